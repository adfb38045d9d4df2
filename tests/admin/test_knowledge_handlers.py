"""Knowledge and Sources handlers as plain functions: uploads, table, preview, delete, review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from admin.context import ConsoleContext
from admin.tabs import knowledge, sources
from knowledge.db import documents as registry
from knowledge.db import job_runs, leases
from knowledge.db.document_models import AuditEvent
from pipelines.reindex import reindex
from tests.admin.conftest import NOW
from tests.pipelines.policies import BICYCLE, COWORKING, passages_text, watch, write


def _results(ctx: ConsoleContext, paths: list[Path]) -> tuple[list[str], list[list[object]]]:
    steps = list(knowledge.upload(ctx, [str(p) for p in paths], "", "", "", "eddie"))
    return [s for s, _ in steps], steps[-1][1]


def test_a_batch_upload_reports_each_file_and_keeps_going(
    console: ConsoleContext, upload_dir: Path
) -> None:
    good = upload_dir / "remote-work.md"
    good.write_text("# Remote work\n\nYou may work remotely up to three days a week.\n")
    empty = upload_dir / "empty.md"
    empty.write_text("")
    corrupt = upload_dir / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.7 this is not really a pdf")
    statuses, rows = _results(console, [good, empty, corrupt])
    outcomes = {row[0]: (row[1], row[5]) for row in rows}
    assert outcomes["remote-work.md"][0] == "indexed"
    assert outcomes["empty.md"][0] == "failed" and outcomes["empty.md"][1]
    assert outcomes["broken.pdf"][0] == "failed" and outcomes["broken.pdf"][1]
    assert statuses[0].startswith("Processed 0 of 3") and statuses[-1].startswith("Done: 3 files")
    with console.services.db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert "console.upload" in actions


def test_a_huge_upload_is_refused_before_it_is_read(
    console: ConsoleContext, upload_dir: Path
) -> None:
    console.services.settings.max_upload_bytes = 100
    big = upload_dir / "big.md"
    big.write_text("# Big\n\n" + "words " * 100)
    _, rows = _results(console, [big])
    assert rows[0][1] == "failed" and "limit is 100" in rows[0][5]


def test_script_in_an_html_upload_never_reaches_the_chunks(
    console: ConsoleContext, upload_dir: Path
) -> None:
    page = upload_dir / "travel.html"
    page.write_text(
        "<html><head><title>Travel</title><script>alert('x')</script></head><body>"
        "<h1>Travel</h1><p>Book trains for trips under four hours.</p>"
        "<img src=x onerror=alert(1)></body></html>"
    )
    _, rows = _results(console, [page])
    assert rows[0][1] == "indexed"
    text = knowledge.chunk_preview(console, str(rows[0][2]))
    assert "trains" in text and "alert" not in text and "<script" not in text


def test_no_files_is_a_sentence_not_a_crash(console: ConsoleContext) -> None:
    with pytest.raises(ValueError, match="Choose one or more files"):
        list(knowledge.upload(console, [], "", "", "", "eddie"))


def test_the_document_table_is_paged_and_searchable(console: ConsoleContext) -> None:
    rows, label = knowledge.document_table(console, "", 1)
    assert [r[0] for r in rows] == ["expenses", "parental-leave"]
    assert label == "Page 1 of 1 · 2 documents"
    rows, _ = knowledge.document_table(console, "PEOPLE@", 1)
    assert [r[0] for r in rows] == ["parental-leave"]
    rows, label = knowledge.document_table(console, "", 5)
    assert rows == [] and "2 documents" in label


def test_chunk_preview_shows_the_live_version(console: ConsoleContext) -> None:
    text = knowledge.chunk_preview(console, "parental-leave")
    assert "v1" in text and "16 weeks" in text
    with pytest.raises(ValueError, match="no document"):
        knowledge.chunk_preview(console, "nope")


def test_replacing_a_document_makes_a_new_live_version(
    console: ConsoleContext, upload_dir: Path
) -> None:
    new = upload_dir / "leave-v2.md"
    new.write_text("# Parental leave\n\n## Entitlement\nEvery employee gets 20 weeks of leave.\n")
    message = knowledge.replace_document(console, "parental-leave", str(new), "eddie")
    assert "parental-leave: indexed (version 2" in message
    assert "20 weeks" in knowledge.chunk_preview(console, "parental-leave")


def test_deleting_stops_answers_at_once(console: ConsoleContext) -> None:
    message = knowledge.delete_document(console, "expenses", None, "eddie")
    assert message.startswith("Deleted expenses")
    with console.services.db.session() as session:
        assert registry.get(session, "expenses").status == "deleted"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="already deleted"):
        knowledge.delete_document(console, "expenses", None, "eddie")


def _served(console: ConsoleContext) -> set[str]:
    with console.services.db.session() as session:
        return {d.id for d in registry.list_all(session) if d.status != "deleted"}


def test_a_watched_document_is_excluded_and_stays_out_after_a_re_index(
    console: ConsoleContext, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(console.services, folder)
    reindex(console.services)
    assert {"coworking", "bicycle"} <= _served(console)
    message = knowledge.delete_document(console, "coworking", None, "eddie")
    assert "watched source" in message and "Exclude it" in message
    assert "Nothing was deleted" in message and "coworking" in _served(console)
    message = knowledge.delete_document(console, "coworking", "exclude", "eddie")
    assert message.startswith("Deleted coworking") and "Excluded from" in message
    reindex(console.services, deep=True)
    assert "coworking" not in _served(console) and "bicycle" in _served(console)
    assert (folder / "coworking.md").exists()
    assert "EUR 150" not in passages_text(console.services, "coworking desk allowance per month")
    with console.services.db.session() as session:
        events = [(e.action, e.target) for e in session.scalars(select(AuditEvent))]
    assert ("console.delete", "coworking") in events


def test_a_watched_document_can_be_removed_at_the_source(
    console: ConsoleContext, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    write(folder, "bicycle.md", BICYCLE)
    watch(console.services, folder)
    reindex(console.services)
    with pytest.raises(ValueError, match="Choose to exclude"):
        knowledge.delete_document(console, "bicycle", "shred", "eddie")
    assert "its file in" in knowledge.delete_document(console, "bicycle", "remove", "eddie").lower()
    assert not (folder / "bicycle.md").exists()
    reindex(console.services)
    assert "bicycle" not in _served(console)


def test_confirming_a_review_clears_the_overdue_mark(console: ConsoleContext) -> None:
    with console.services.db.session() as session:
        registry.get(session, "expenses").status = "stale"  # type: ignore[union-attr]
    message = knowledge.confirm_review(console, "expenses", "2027-03-01", "eddie")
    assert "review by 2027-03-01" in message and "no longer marked overdue" in message
    with pytest.raises(ValueError, match="must be in the future"):
        knowledge.confirm_review(console, "expenses", "2020-01-01", "eddie")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        knowledge.confirm_review(console, "expenses", "soon", "eddie")


def test_reindex_now_is_a_request_the_scheduler_takes(console: ConsoleContext) -> None:
    message = knowledge.reindex_now(console, "eddie")
    assert "no scheduler is running" in message
    with console.services.db.session() as session:
        taken = job_runs.take_run_requests(session, holder="test", at=NOW)
    assert taken == ["reindex"]


def test_requested_runs_name_the_running_scheduler(console: ConsoleContext) -> None:
    leases.acquire_lease(
        console.services.db,
        leases.SCHEDULER_LEASE,
        "leader@host",
        now=NOW,
        ttl=timedelta(minutes=1),
    )
    for message in (
        knowledge.reindex_now(console, "eddie"),
        sources.run_now(console, "review", "eddie"),
    ):
        assert "the scheduler (leader@host) starts it shortly" in message
        assert "no scheduler" not in message


def test_sources_add_list_run_and_remove(console: ConsoleContext, tmp_path: Path) -> None:
    folder = tmp_path / "drive"
    folder.mkdir()
    assert "Watching folder" in sources.add_source(console, str(folder), "eddie")
    with pytest.raises(ValueError, match="already watched"):
        sources.add_source(console, str(folder), "eddie")
    with pytest.raises(ValueError, match="not a folder"):
        sources.add_source(console, str(tmp_path / "missing"), "eddie")
    with pytest.raises(ValueError, match="folder on this machine or an http"):
        sources.add_source(console, "ftp://example", "eddie")
    assert [row[0] for row in sources.source_rows(console)] == [str(folder.resolve())]
    assert [row[0] for row in sources.schedule_rows(console)] == ["reindex", "review", "rebuild"]
    assert "requested" in sources.run_now(console, "review", "eddie")
    assert "stay served" in sources.remove_source(console, str(folder), False, "eddie")
    assert sources.source_rows(console) == []
