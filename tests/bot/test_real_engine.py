"""The bot with the real answer engine over the sample handbook (extractive; the model: slow)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.app import build_runtime
from bot.deps import Deps
from bot.http_server import BackgroundServer
from knowledge.ingest import SourceFile
from knowledge.services import Services
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, make_config
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import block_texts, final_reply
from tests.conftest import HANDBOOK

answering = pytest.importorskip("knowledge.answering")
if not hasattr(answering, "build_answer_service"):
    pytest.skip(
        "knowledge.answering.build_answer_service is not there yet", allow_module_level=True
    )


@pytest.fixture
def handbook_services(services: Services) -> Services:
    files = [HANDBOOK / "annual-leave.md", HANDBOOK / "expenses.md"]
    list(services.ingestor().ingest(SourceFile.from_path(f) for f in files))
    return services


def ask_through_http(services: Services, slack: FakeSlackApi, backend: str) -> dict[str, Any]:
    answers = answering.build_answer_service(services, backend=backend)
    config = replace(make_config(slack), answer_timeout_s=600.0)
    runtime = build_runtime(Deps(config=config, db=services.db, answers=answers))
    server = BackgroundServer(runtime.app).start()
    sender = p.SlackSender(server.url)
    try:
        event = p.mention(EMPLOYEE, CHANNEL, "How many days of annual leave do I get per year?")
        assert sender.event(event).status == 200
        assert runtime.drain(600)
        _, content = final_reply(slack, CHANNEL, event["ts"])
        return content
    finally:
        sender.close()
        server.stop()
        runtime.close()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        fake.add_channel(CHANNEL)
        yield fake


def test_real_engine_answers_with_handbook_sources(
    handbook_services: Services, fake_slack: FakeSlackApi
) -> None:
    content = ask_through_http(handbook_services, fake_slack, "extractive")
    text = block_texts(content["blocks"])
    assert "**Sources**" in text and "annual-leave.md" in text


@pytest.mark.slow
def test_real_default_model_answers_through_the_bot(
    handbook_services: Services, fake_slack: FakeSlackApi
) -> None:
    content = ask_through_http(handbook_services, fake_slack, "local")
    assert "ref `" in block_texts(content["blocks"])
