"""Ask, Conversations, Insights, Training and Models handlers, and the role check around them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest

from admin.__main__ import answer_service, build_context
from admin.auth import ConsoleError, action
from admin.context import ConsoleContext
from admin.tabs import ask, conversations, insights, models, training
from knowledge.db import admins, jobs, registry
from knowledge.generation import live
from knowledge.services import Services
from tests.admin.conftest import NOW, add_exchange, request_as


class FakeLive:
    """Stands in for LiveAnswerer (no poller thread, no model): stop() is all Services uses."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_the_role_check_runs_before_the_handler_and_rereads_the_database(
    console: ConsoleContext,
) -> None:
    calls = []

    @action(console, "editor")
    def handler(value: str, request: gr.Request) -> str:
        calls.append(value)
        return value.upper()

    assert handler("ok", request_as("eddie")) == "OK"
    with pytest.raises(ConsoleError, match="needs the editor role; you are a viewer"):
        handler("no", request_as("vic"))
    with pytest.raises(ConsoleError, match="session has expired"):
        handler("no", request_as(None))
    with console.services.db.session() as session:
        admins.remove_user(session, "eddie", by="olivia")
    with pytest.raises(ConsoleError, match="no longer exists"):
        handler("no", request_as("eddie"))
    assert calls == ["ok"]


def test_errors_reach_the_admin_as_sentences(console: ConsoleContext) -> None:
    @action(console, "viewer")
    def refusing(request: gr.Request) -> None:
        raise ValueError("That document is gone.")

    @action(console, "viewer")
    def crashing(request: gr.Request) -> None:
        raise KeyError("internal detail")

    with pytest.raises(ConsoleError, match=r"That document is gone\."):
        refusing(request_as("vic"))
    with pytest.raises(ConsoleError, match=r"Something went wrong \(KeyError\).*Reference"):
        crashing(request_as("vic"))


def test_ask_compares_answerers_and_shows_scores(console: ConsoleContext) -> None:
    columns, rows = ask.ask(
        console,
        "How many weeks of parental leave do I get?",
        "everyone",
        ["extractive", "extractive"],
        request_as("vic"),
    )
    assert "16 weeks" in columns[0] and "Grounded" in columns[0] and "timings:" in columns[0]
    assert columns[1:] == ["", ""]  # one column per distinct answerer
    assert rows and rows[0][1] == "parental-leave v1"
    assert all(isinstance(r[3], float) for r in rows)  # fused scores
    abstained, _ = ask.ask(
        console, "What is the office wifi password?", "everyone", ["extractive"], request_as("vic")
    )
    assert "Abstained" in abstained[0]
    with pytest.raises(ValueError, match="Type a question"):
        ask.ask(console, "  ", "everyone", ["extractive"], request_as("vic"))


def test_the_live_backend_is_the_process_answer_service_built_once(
    console: ConsoleContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[FakeLive] = []

    def fake_live_answer_service(services: Services, *, start: bool = True) -> FakeLive:
        built.append(FakeLive())
        return built[-1]

    monkeypatch.setattr(live, "live_answer_service", fake_live_answer_service)
    services = console.services
    first = answer_service(services, "live")
    assert answer_service(services, "live") is first
    assert build_context(services).answerer("live") is first
    assert console.answerer("live") is first
    assert first is services.answers and len(built) == 1


def test_conversation_filters_and_bulk_decisions(console: ConsoleContext) -> None:
    liked = add_exchange(console, "How long is parental leave?", vote=1)
    disliked = add_exchange(console, "Can I expense lunch?", vote=-1, correction="Up to 45 EUR.")
    abstained = add_exchange(console, "Where is the gym?", abstained=True, kind="dm")
    every = conversations.make_filter([], [], "", "", "")
    rows, label = conversations.exchange_table(console, every, 1)
    assert [r[0] for r in rows] == [abstained, disliked, liked] and "3 exchanges" in label
    down = conversations.make_filter(["thumbs-down"], [], "", "", "")
    assert [r[0] for r in conversations.exchange_table(console, down, 1)[0]] == [disliked]
    dms = conversations.make_filter([], ["dm"], "", "", "")
    assert [r[0] for r in conversations.exchange_table(console, dms, 1)[0]] == [abstained]
    later = conversations.make_filter([], [], NOW.date().isoformat(), "", "")
    assert conversations.exchange_table(console, later, 1)[0] == []
    message = conversations.decide(console, [liked, abstained], "approve", "", "eddie")
    assert message.startswith("approve: 2 of 2 done")
    with pytest.raises(ValueError, match="Say why"):
        conversations.decide(console, [disliked], "reject", "", "eddie")
    rows, _ = conversations.exchange_table(console, every, 1)
    assert {r[0]: r[8] for r in rows}[liked].startswith("approved")


def test_the_later_of_two_admins_is_told_and_nothing_is_lost(console: ConsoleContext) -> None:
    exchange = add_exchange(console, "Can I expense lunch?", vote=-1)
    conversations.sync_queue(console, "eddie")
    _, _, token = conversations.exchange_detail(console, exchange)
    conversations.correct_answer(console, exchange, "Up to 45 EUR a day.", "olivia", token)
    with pytest.raises(ValueError, match="changed by console:olivia"):
        conversations.decide(console, [exchange], "reject", "wrong", "eddie", token)
    detail, preview, _ = conversations.exchange_detail(console, exchange)
    assert "approved" in detail and "Up to 45 EUR a day." in preview
    assert "[system]" in preview and "[human]" in preview and "[ai]" in preview


def test_the_dataset_preview_is_scrubbed_as_the_dataset_build_does(
    console: ConsoleContext, tmp_path: Path
) -> None:
    question = (
        "Can I email jane.doe@acme.example or call +44 20 7946 0958 about leave? "
        "<@U024BE7LH> said yes."
    )
    exchange = add_exchange(
        console,
        question,
        vote=-1,
        correction="Ask Maria Lopez at maria@acme.example, or people@example.com.",
    )
    console.services.settings.pii_keep = ["people@example.com"]
    names = tmp_path / "names.txt"
    names.write_text("# the people directory\nMaria Lopez\n")
    console.services.settings.pii_names_file = names
    conversations.sync_queue(console, "eddie")
    detail, preview, _ = conversations.exchange_detail(console, exchange)
    assert "jane.doe@acme.example" in detail  # the admin still reads the exchange itself
    for secret in ("jane.doe", "7946", "U024BE7LH", "maria@", "Maria", "Lopez"):
        assert secret not in preview, secret
    assert "[email] or call [phone] about leave? [user] said yes." in preview
    assert "Ask [name] at [email], or people@example.com." in preview
    assert preview.startswith("PII scrubbed (5 replaced): 2 email, 1 name, 1 phone, 1 slack user.")
    clean = add_exchange(console, "How long is parental leave?")
    _, preview, _ = conversations.exchange_detail(console, clean)
    assert preview.startswith("PII scrubbed: none found.")


def test_insights_count_days_rates_latency_gaps_and_overdue(console: ConsoleContext) -> None:
    for n in range(3):
        add_exchange(console, f"leave question {n}", vote=1, total_s=1.0 + n)
    add_exchange(console, "Where is the office gym?", abstained=True)
    add_exchange(console, "Is there a gym at the office?", abstained=True)
    frames = insights.frames(console, 7)
    assert len(frames.volume) == 7 and frames.volume["questions"].sum() == 5
    yesterday = pd.Timestamp((NOW - timedelta(days=1)).date())
    rates = frames.rates.set_index(["day", "metric"])["rate"]
    assert rates[(yesterday, "answered")] == pytest.approx(0.6)
    assert rates[(yesterday, "abstained")] == pytest.approx(0.4)
    assert rates[(yesterday, "thumbs up")] == pytest.approx(1.0)
    latency = frames.latency.set_index("percentile")["seconds"]
    assert latency["p50"] == pytest.approx(2.0)
    assert frames.gap_rows[0][1] == 2 and "gym" in frames.gap_rows[0][0]
    assert [row[0] for row in frames.overdue_rows] == ["expenses"]
    assert "**5** questions" in frames.summary


def test_training_queues_jobs_and_says_when_no_worker_runs(console: ConsoleContext) -> None:
    message = training.build_dataset(console, True, "fast", {"epochs": "1"}, "tina")
    assert "queued as job" in message and "No worker is running" in message
    (job,) = jobs.list_jobs(console.services.db)
    assert job.kind == "dataset_build"
    assert job.payload["then_train"] == {"config": "fast", "overrides": {"epochs": 1.0}}
    assert "options" not in job.payload  # Slack stays out unless asked (or consented)
    training.build_dataset(console, False, "fast", {}, "tina", include_slack=True)
    newest = jobs.list_jobs(console.services.db)[0]
    assert newest.payload == {"options": {"include_slack": True}}
    jobs.request_cancel(console.services.db, newest.id)
    with pytest.raises(ValueError, match="no dataset version"):
        training.start_training(console, "missing", "fast", {}, "tina")
    jobs.record_metrics(console.services.db, job.id, 1, {"loss": 2.5})
    jobs.record_metrics(console.services.db, job.id, 2, {"loss": 2.0, "eval_loss": 2.2})
    curves = training.loss_curves(console, job.id)
    assert list(curves["series"]) == ["train", "train", "validation"]
    assert training.cancel_job(console, job.id, "tina") == f"Job {job.id} cancelled."
    assert training.job_rows(console)[0][2] == "cancelled"


def test_models_refuse_an_unevaluated_promotion_and_an_empty_rollback(
    console: ConsoleContext,
) -> None:
    registry.ensure_bootstrap(console.services.db, base_model="smollm2")
    assert [r[0] for r in models.version_rows(console)] == ["base", "extractive"]
    with pytest.raises(registry.RegistryError, match="has not been evaluated"):
        models.promote(console, "base", False, "", "tina")
    with pytest.raises(registry.RegistryError, match="no earlier version"):
        models.rollback(console, "", "tina")
    assert "no evaluation yet" in models.report_view(console, "base")[0]
    assert "base model" in models.lineage(console, "base")
    assert "queued as job" in models.evaluate(console, "base", "tina")
