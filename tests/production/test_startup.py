"""Bad input at start: a database that is down is waited for, then a clear message and a
non-zero exit (never a traceback with the password in it)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db.connection import DatabaseUnavailableError, wait_for_database

PASSWORD = "Db-pl4nted-pw"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_bot_whose_database_is_down_retries_then_exits_with_a_clear_message(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://helpbot:{PASSWORD}@127.0.0.1:{closed_port()}/helpbot"
    monkeypatch.setenv("HELPBOT_DATABASE_URL", url)
    monkeypatch.setenv("HELPBOT_DB_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("COLUMNS", "300")
    started = time.monotonic()

    result = CliRunner().invoke(app, ["bot", "--http"])

    assert result.exit_code == 3, result.output
    assert "is not reachable" in result.output and "HELPBOT_DATABASE_URL" in result.output
    assert PASSWORD not in result.output and "helpbot:***@127.0.0.1" in result.output
    assert time.monotonic() - started >= 1.0  # it waited and retried


def test_a_database_that_stays_down_is_retried_then_refused() -> None:
    sleeps: list[float] = []
    url = f"postgresql+psycopg://u:p@127.0.0.1:{closed_port()}/db"
    with pytest.raises(DatabaseUnavailableError):
        wait_for_database(url, timeout_s=0.3, interval_s=0.1, sleep=sleeps.append)
    assert sleeps  # retried before giving up


def test_waiting_for_a_server_that_starts_late(postgres_url: str) -> None:
    """A real server on a port that only starts listening after the first refused attempt."""
    host_port = postgres_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    proxy_port = listener.getsockname()[1]
    listener.close()  # nothing listens on proxy_port until the proxy starts

    def proxy(server: socket.socket) -> None:
        server.settimeout(10)
        for _ in range(2):
            try:
                client, _ = server.accept()
            except TimeoutError:
                break
            upstream = socket.create_connection((host, int(port)))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()
        server.close()

    attempts: list[float] = []

    def start_proxy_then_sleep(seconds: float) -> None:
        """The server comes up while wait_for_database waits between attempts."""
        if not attempts:
            server = socket.create_server(("127.0.0.1", proxy_port))
            threading.Thread(target=proxy, args=(server,), daemon=True).start()
        attempts.append(seconds)

    late = postgres_url.replace(host_port, f"127.0.0.1:{proxy_port}")
    wait_for_database(late, timeout_s=10, interval_s=0.2, sleep=start_proxy_then_sleep)
    assert attempts  # the first attempt was refused, then retried


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        target.close()
