"""`helpbot up`'s opening block and its log file while the question prompt runs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from helpbot.commands.runtime import logs_to_file, startup_summary
from knowledge.settings import Settings


def test_summary_says_where_everything_is() -> None:
    lines = startup_summary(
        console_url="http://127.0.0.1:7860/",
        missing_slack=["HELPBOT_SLACK_BOT_TOKEN", "HELPBOT_SLACK_APP_TOKEN"],
        documents=12,
        chunks=340,
        live="extractive (extractive)",
        log_file=Path("/data/logs/helpbot.log"),
    )
    text = "\n".join(lines)
    assert "http://127.0.0.1:7860/" in text
    assert "not connected: set HELPBOT_SLACK_BOT_TOKEN, HELPBOT_SLACK_APP_TOKEN" in text
    assert "12 documents, 340 chunks" in text
    assert "extractive" in text and "/data/logs/helpbot.log" in text
    assert len(lines) <= 6  # one short block


def test_summary_when_slack_is_connected_and_no_console() -> None:
    text = "\n".join(
        startup_summary(console_url=None, missing_slack=[], documents=0, chunks=0, live=None)
    )
    assert "connected (Socket Mode)" in text and "not connected" not in text
    assert "console:   not started" in text and "none live" in text


def test_prompt_logs_go_to_a_file_and_only_warnings_to_the_terminal(
    settings: Settings,
) -> None:
    root = logging.getLogger()
    terminal = logging.StreamHandler(sys.stderr)
    root.addHandler(terminal)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        with logs_to_file(settings) as path:
            assert terminal.level == logging.WARNING  # nothing at INFO lands on the `? ` prompt
            logging.getLogger("pipelines.scheduler").info("job reindex ran")
            logging.getLogger("pipelines.scheduler").warning("source unreachable")
        assert terminal.level == logging.NOTSET  # restored when the prompt ends
    finally:
        root.removeHandler(terminal)
        root.setLevel(old_level)
    assert path == settings.data_dir / "logs" / "helpbot.log"
    written = path.read_text()
    assert "job reindex ran" in written and "source unreachable" in written
