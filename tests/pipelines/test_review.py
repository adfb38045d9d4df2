"""Review dates: expired documents turn stale and are flagged, owners are nudged exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from apscheduler.executors.debug import DebugExecutor

from bot.nudges import Nudge, nudge_blocks
from knowledge.answering import Asker, build_answer_service
from knowledge.db import documents as registry
from knowledge.db import job_runs
from knowledge.db import outbox as db_outbox
from knowledge.retrieval import RetrievalSettings, Retriever
from knowledge.services import Services
from pipelines.reindex import reindex
from pipelines.review import review_check
from pipelines.scheduler import FreshnessScheduler
from tests.pipelines.fakes import FakeClock, ManualScheduler
from tests.pipelines.policies import OWNER, policy, watch, write

TODAY = date(2027, 3, 1)
QUESTION = "How many parking spaces does the Lisbon office have?"


def corpus(folder: Path) -> None:
    """Four policies: expired, due within the nudge window, far from due, expired with no owner."""
    write(
        folder,
        "parking.md",
        policy(
            "Parking policy",
            ("Spaces", "The Lisbon office has 12 parking spaces for employees."),
            review_by=str(TODAY - timedelta(days=1)),
        ),
    )
    write(
        folder,
        "coworking.md",
        policy(
            "Coworking policy",
            ("Allowance", "A coworking desk is paid up to EUR 150 per month."),
            review_by=str(TODAY + timedelta(days=10)),
        ),
    )
    write(
        folder,
        "bicycle.md",
        policy(
            "Bicycle scheme",
            ("Lease", "One e-bike per employee is leased for 36 months."),
            review_by=str(TODAY + timedelta(days=100)),
        ),
    )
    write(
        folder,
        "lockers.md",
        policy(
            "Locker policy",
            ("Lockers", "Lockers are emptied every Friday at 18:00."),
            review_by=str(TODAY - timedelta(days=30)),
            owner=None,
        ),
    )


def statuses(services: Services) -> dict[str, str]:
    with services.db.session() as session:
        return {d.id: d.status for d in registry.list_all(session)}


def test_expired_documents_turn_stale_and_owners_get_one_message_each(
    services: Services, tmp_path: Path
) -> None:
    corpus(tmp_path / "policies")
    watch(services, tmp_path / "policies")
    reindex(services)

    report = review_check(services.db, today=TODAY, nudge_days=14)

    assert (report.marked_stale, report.expiry_notices_queued, report.nudges_queued) == (2, 1, 1)
    assert report.without_owner == 1
    assert statuses(services) == {
        "parking": "stale",
        "lockers": "stale",
        "coworking": "active",
        "bicycle": "active",
    }
    with services.db.session() as session:
        outbox = db_outbox.pending_notifications(session)
        assert [(n.recipient, n.kind, n.document_id) for n in outbox] == [
            (OWNER, "review_expired", "parking"),
            (OWNER, "review_due", "coworking"),
        ]
        assert "in 10 days" in outbox[1].text and "Coworking policy" in outbox[1].text
        for notice, doc_id in zip(outbox, ("parking", "coworking"), strict=True):
            # The real ways out: a confirmed review, or a new date at the source.
            assert f"`helpbot docs review {doc_id} --until YYYY-MM-DD`" in notice.text
            assert "`review_by`" in notice.text and "console" not in notice.text

    again = review_check(services.db, today=TODAY + timedelta(days=1), nudge_days=14)
    assert (again.expiry_notices_queued, again.nudges_queued, again.marked_stale) == (0, 0, 0)
    with services.db.session() as session:
        first = db_outbox.pending_notifications(session)[0]
        db_outbox.mark_sent(session, first.id, at=first.created_at)
    with services.db.session() as session:
        assert [n.document_id for n in db_outbox.pending_notifications(session)] == ["coworking"]


def test_the_queued_text_and_the_slack_message_say_the_same_thing(
    services: Services, tmp_path: Path
) -> None:
    """The daily check writes the fallback text, the bot renders the blocks: one sentence."""
    corpus(tmp_path / "policies")
    watch(services, tmp_path / "policies")
    reindex(services)
    review_check(services.db, today=TODAY, nudge_days=14)

    with services.db.session() as session:
        for notice in db_outbox.pending_notifications(session):
            document = registry.get(session, notice.document_id or "")
            assert document is not None
            nudge = Nudge(
                kind=notice.kind,
                text=notice.text,
                document_id=document.id,
                title=document.title,
                source_uri=document.source_uri,
                review_by=document.review_by,
            )
            status = nudge_blocks(nudge, today=TODAY)[1]["text"]["text"]
            assert status.startswith(f"You own *{document.title}*.")
            assert status in notice.text


def test_stale_passages_are_flagged_and_can_be_down_ranked(
    services: Services, tmp_path: Path
) -> None:
    corpus(tmp_path / "policies")
    watch(services, tmp_path / "policies")
    reindex(services)
    fresh = services.retriever.retrieve(QUESTION, k=1)[0]
    review_check(services.db, today=TODAY, nudge_days=14)

    (stale,) = services.retriever.retrieve(QUESTION, k=1)
    assert stale.source_name == "parking.md" and stale.stale and not fresh.stale
    penalised = Retriever(
        services.db,
        services.store,
        services.embedder,
        RetrievalSettings(stale_penalty=0.2, min_score=0.0),
    ).retrieve(QUESTION, k=1)[0]
    assert penalised.score == stale.score - 0.2
    answer = build_answer_service(services, backend="extractive").answer(QUESTION, Asker("u1"))
    assert "overdue for review" in answer.text


def test_a_new_review_date_makes_a_stale_document_active_again(
    services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    corpus(folder)
    watch(services, folder)
    reindex(services)
    review_check(services.db, today=TODAY, nudge_days=14)
    # The owner reviews it: a new version with a new date makes it active at once...
    write(
        folder,
        "parking.md",
        policy(
            "Parking policy",
            ("Spaces", "The Lisbon office has 14 parking spaces for employees."),
            review_by=str(TODAY + timedelta(days=180)),
        ),
    )
    reindex(services)
    assert statuses(services)["parking"] == "active"
    # ...and a date moved forward without a new version (the console) is noticed daily.
    with services.db.session() as session:
        lockers = registry.get(session, "lockers")
        assert lockers is not None
        lockers.review_by = TODAY + timedelta(days=90)
    assert review_check(services.db, today=TODAY, nudge_days=14).reactivated == 1
    assert statuses(services)["lockers"] == "active"


def test_the_daily_job_runs_at_the_configured_hour(
    services: Services,
    another_process: Callable[[], Services],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    corpus(tmp_path / "policies")
    watch(services, tmp_path / "policies")
    reindex(services)
    leader = FreshnessScheduler(
        services,
        holder="a",
        clock=clock,
        scheduler_class=ManualScheduler,
        executor=DebugExecutor(),
    )
    leader.tick()
    clock.advance(minutes=59)
    assert isinstance(leader.aps, ManualScheduler)
    leader.aps.run_due()
    assert statuses(services)["parking"] == "active", "06:59: not yet"
    clock.advance(minutes=1)
    leader.tick()
    leader.aps.run_due()
    assert statuses(services)["parking"] == "stale"
    with services.db.session() as session:
        (run,) = job_runs.recent_runs(session, job="review")
        assert (run.result, run.counts["marked_stale"]) == ("ok", 2)
    leader.stop()
