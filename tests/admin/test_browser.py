"""End to end in real Chromium: log in, upload and ask, approve, watch a loss curve, promote and
roll back, see the charts; a screenshot of every tab goes to docs/ from this same run."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from admin.__main__ import build_context
from admin.server import launch
from knowledge.db import admins, jobs, registry
from knowledge.services import Services
from knowledge.settings import Settings
from tests.admin.conftest import add_exchange
from tests.chromium import CHROMIUM, FLAGS

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
PASSWORD = "correct horse battery"
REMOTE = "# Remote work\n\n## Days at home\nYou may work from home up to three days a week.\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def console_url(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any
) -> Iterator[tuple[str, Services]]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    data = tmp_path_factory.mktemp("browser")
    services = Services.from_settings(Settings(data_dir=data, generator="extractive"))
    services.__dict__["embedder"] = embedder
    ctx = build_context(services)
    with services.db.session() as session:
        admins.add_user(session, "olivia", PASSWORD, "owner", by="test")
    now = datetime.now(UTC)
    for day in range(2, 12):  # a fortnight of history for the charts
        for n in range(day % 4 + 1):
            add_exchange(
                ctx,
                f"How much parental leave do I get? ({day}-{n})",
                vote=1 if n % 3 else -1,
                abstained=n == 3,
                at=now - timedelta(days=day, hours=n),
                total_s=0.8 + 0.1 * n + 0.05 * day,
            )
    add_exchange(ctx, "How many days can I work from home?", vote=-1)
    add_exchange(ctx, "Is there a gym at the office?", abstained=True)
    add_exchange(ctx, "Where is the office gym?", abstained=True)
    registry.ensure_bootstrap(services.db, base_model="smollm2")
    port = _free_port()
    app = launch(ctx, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}", services
    app.close()
    services.close()


@pytest.fixture(autouse=True)
def screenshot_on_failure(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """A failing step leaves what the browser showed in pytest's temporary folder."""
    yield
    report = getattr(request.node, "rep_call", None)
    tab = request.node.funcargs.get("page")
    if tab is not None and (report is None or report.failed):
        shot = tmp_path_factory.getbasetemp() / f"console-browser-{request.node.name}.png"
        tab.screenshot(path=str(shot), full_page=True)


@pytest.fixture(scope="module")
def page(console_url: tuple[str, Services]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(60_000)
        yield tab
        browser.close()


def shot(page: Any, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"console-{name}.png"), full_page=True)


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_1_login_is_required_and_works(page: Any, console_url: tuple[str, Services]) -> None:
    url, _ = console_url
    page.goto(url)
    page.get_by_label("username").wait_for()
    shot(page, "login")
    page.get_by_label("username").fill("olivia")
    page.get_by_label("password").fill("wrong password!")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Incorrect Credentials").wait_for()
    page.get_by_label("username").fill("olivia")  # the form clears the name after a failure
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Logged in as").wait_for()
    assert page.get_by_role("tab", name="Insights").is_visible()


def test_2_upload_a_document_then_ask_about_it(page: Any, tmp_path: Path) -> None:
    document = tmp_path / "remote-work.md"
    document.write_text(REMOTE)
    open_tab(page, "Knowledge")
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Click to Upload").first.click()
    chooser.value.set_files(str(document))
    page.get_by_text("remote-work.md").filter(
        visible=True
    ).first.wait_for()  # uploaded to the console
    page.get_by_role("button", name="Upload and index").click()
    page.get_by_text("Done: 1 files").wait_for()
    page.get_by_text("remote-work", exact=True).filter(visible=True).first.wait_for()
    shot(page, "knowledge")
    open_tab(page, "Ask")
    page.get_by_label("Question").fill("How many days a week can I work from home?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_text("three days a week").filter(visible=True).first.wait_for()
    page.get_by_text("Grounded").filter(visible=True).first.wait_for()
    shot(page, "ask")


def test_3_approve_a_conversation(page: Any) -> None:
    open_tab(page, "Conversations")
    cell = page.get_by_text("How many days can I work from home?").filter(visible=True).first
    cell.click()
    page.get_by_text("What would enter a dataset").wait_for()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_text("approve: 1 of 1 done").wait_for()
    page.get_by_text("approved (negative)").filter(visible=True).first.wait_for()
    shot(page, "conversations")


def test_4_sources_and_schedules(page: Any) -> None:
    open_tab(page, "Sources")
    page.get_by_text("not scheduled").filter(visible=True).first.wait_for()
    shot(page, "sources")


def test_5_a_training_job_shows_its_loss_curve_while_it_runs(
    page: Any, console_url: tuple[str, Services]
) -> None:
    _, services = console_url
    open_tab(page, "Training")
    page.get_by_text("No worker is running").wait_for()
    page.get_by_role("button", name="Build a dataset from approved items").click()
    page.get_by_text("Dataset build queued as job").wait_for()
    (job,) = jobs.list_jobs(services.db, kind="dataset_build")
    stop = threading.Event()

    def worker_steps() -> None:  # what a worker records while it trains (see knowledge.db.jobs)
        for step in range(1, 40):
            if stop.wait(0.3):
                return
            values = {"loss": 3.0 / step}
            if step % 5 == 0:
                values["eval_loss"] = 3.2 / step
            jobs.record_metrics(services.db, job.id, step, values)

    feeder = threading.Thread(target=worker_steps, daemon=True)
    feeder.start()
    page.get_by_label("Job id (click a row)").fill(str(job.id))
    page.get_by_label("Job id (click a row)").press("Enter")
    page.locator(".vega-embed").filter(visible=True).first.wait_for()
    page.wait_for_timeout(3000)  # the timer redraws the curve as steps arrive
    shot(page, "training")
    stop.set()
    feeder.join()
    assert len(jobs.metrics_for(services.db, job.id)) > 3


def test_6_promote_is_gated_then_promote_and_roll_back(
    page: Any, console_url: tuple[str, Services]
) -> None:
    _, services = console_url
    open_tab(page, "Models")
    page.get_by_text("extractive", exact=True).filter(visible=True).first.wait_for()
    page.get_by_label("Version id (click a row)").fill("base")
    page.get_by_label("Version id (click a row)").press("Enter")
    page.get_by_role("button", name="Promote").click()
    page.get_by_text("has not been evaluated").filter(visible=True).first.wait_for()
    gate = {"passed": True, "rules": [{"rule": "beats live on key facts", "passed": True}]}
    registry.save_report(  # what the worker's evaluation job stores
        services.db,
        "base",
        live_version_id="extractive",
        passed=True,
        report={"gate": gate, "figures": {"all": {"candidate": {"key_facts": 0.8}}}},
        created_by="worker",
    )
    page.get_by_label("Version id (click a row)").press("Enter")
    page.get_by_text("beats live on key facts").filter(visible=True).first.wait_for()
    page.get_by_role("button", name="Promote").click()
    page.get_by_text("base is live").filter(visible=True).first.wait_for()
    assert registry.live_version_id(services.db) == "base"
    shot(page, "models")
    page.get_by_label("Reason", exact=True).fill("checking the rollback")
    page.get_by_role("button", name="Roll back").click()
    page.get_by_text("extractive is live again").filter(visible=True).first.wait_for()
    assert registry.live_version_id(services.db) == "extractive"


def test_7_insights_charts(page: Any) -> None:
    page.locator(".toast-body").first.wait_for(state="detached", timeout=30_000)
    open_tab(page, "Insights")
    page.get_by_text("questions · answered").wait_for()
    page.locator(".vega-embed").nth(3).wait_for()
    page.get_by_text("gym").filter(visible=True).first.wait_for()
    shot(page, "insights")
