"""An in-process Weaviate: REST and gRPC servers on localhost that the real client talks to."""

from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

import grpc
from weaviate.proto.v1 import weaviate_pb2_grpc

from tests.fakes.weaviate_server.faults import Faults
from tests.fakes.weaviate_server.grpc_service import WeaviateService, health_handler
from tests.fakes.weaviate_server.rest import RestApi, make_handler
from tests.fakes.weaviate_server.state import Database

# The version the fake reports; the client picks wire formats by it (>= 1.32 for aliases).
DEFAULT_VERSION = "1.37.4"
_MAX_MESSAGE = 104_858_000


@dataclass(frozen=True)
class Endpoint:
    """Where a started fake listens."""

    host: str
    http_port: int
    grpc_port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"


class FakeWeaviateServer:
    """REST on one port, gRPC on another, one in-memory database behind both.

    `stop()` then `start()` restarts on the same ports with the data kept, like a server
    process restarting on a persistent volume; `faults` injects latency and failures.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        version: str = DEFAULT_VERSION,
        api_key: str | None = None,
        enabled_modules: set[str] | None = None,
    ) -> None:
        self.host = host
        self.api_key = api_key
        self.faults = Faults()
        self.faults.on_crash = self._crash_soon
        self.db = Database(enabled_modules or {"text2vec-transformers"})
        self._api = RestApi(self.db, version, lambda: self._grpc_port)
        self._service = WeaviateService(self.db, self.faults, api_key)
        self._http_port = 0
        self._grpc_port = 0
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._grpc: grpc.Server | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.host, self._http_port, self._grpc_port)

    @property
    def running(self) -> bool:
        return self._http is not None

    def start(self) -> Endpoint:
        with self._lock:
            if self._http is not None:
                return self.endpoint
            self.faults.wake.clear()
            self._start_grpc()
            self._start_http()
            return self.endpoint

    def _start_grpc(self) -> None:
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="fake-weaviate-grpc"),
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
                # A restarted fake must own its port alone, as a real server would.
                ("grpc.so_reuseport", 0),
            ],
        )
        weaviate_pb2_grpc.add_WeaviateServicer_to_server(self._service, server)
        server.add_generic_rpc_handlers((health_handler(self._service),))
        port = _bind(lambda: server.add_insecure_port(f"{self.host}:{self._grpc_port}"))
        server.start()
        self._grpc, self._grpc_port = server, port

    def _start_http(self) -> None:
        handler = make_handler(self._api, self.faults, self.api_key)
        holder: list[ThreadingHTTPServer] = []

        def bind() -> int:
            holder.append(ThreadingHTTPServer((self.host, self._http_port), handler))
            return int(holder[-1].server_address[1])

        port = _bind(bind)
        http = holder[-1]
        http.daemon_threads = True
        thread = threading.Thread(
            target=http.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-weaviate-http",
        )
        thread.start()
        self._http, self._http_thread, self._http_port = http, thread, port

    def stop(self) -> None:
        """Stop listening on both ports at once (in-flight calls are cut off); data is kept."""
        with self._lock:
            self.faults.wake.set()
            if self._grpc is not None:
                self._grpc.stop(grace=None).wait(5)
                self._grpc = None
            if self._http is not None:
                self._http.shutdown()
                self._http.server_close()
                self._http = None
            if self._http_thread is not None:
                self._http_thread.join(5)
                self._http_thread = None

    def restart(self) -> Endpoint:
        self.stop()
        return self.start()

    def _crash_soon(self) -> None:
        # From inside a handler: let the aborted reply leave, then die.
        threading.Timer(0.05, self.stop).start()

    def __enter__(self) -> FakeWeaviateServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(attempt: object) -> int:
    """Bind, retrying briefly: a port freed by a stop can take a moment to be reusable."""
    deadline = time.monotonic() + 5
    while True:
        try:
            port = attempt()  # type: ignore[operator]
        except (OSError, RuntimeError):
            port = 0
        if port:
            return int(port)
        if time.monotonic() > deadline:
            raise OSError("the fake Weaviate could not bind its port")
        time.sleep(0.05)
