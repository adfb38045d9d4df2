"""Owner nudges from the scheduler's outbox, delivered through the fake Slack Web API."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta

import pytest

from bot.outbox import DeliveryReport, OutboxDeliverer
from knowledge.db import document_models
from knowledge.db import outbox as db_outbox
from knowledge.db.connection import Database
from tests.bot.conftest import Clock
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import block_texts
from tests.bot.outbox_rows import (
    DUE_TEXT,
    OWNER,
    OWNER_EMAIL,
    Deliverers,
    queue,
    rows,
    texts_of,
)


# --- recipients and the message ----------------------------------------------------------------
def test_an_owner_named_by_email_gets_a_dm_naming_the_document_and_what_to_do(
    slack: FakeSlackApi,
    database: Database,
    deliverer: Deliverers,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.users_by_email[OWNER_EMAIL] = OWNER
    notification_id = queue(database, OWNER_EMAIL.upper())

    with caplog.at_level(logging.INFO):
        report = deliverer().deliver_once()

    assert report == DeliveryReport(sent=1)
    assert [c.method for c in slack.calls] == [
        "users.lookupByEmail",
        "conversations.open",
        "chat.postMessage",
    ]
    lookup, opened, post = slack.calls
    assert lookup.args["email"] == OWNER_EMAIL
    assert opened.args["users"] == OWNER
    assert post.args["channel"] == "D0OWNER" and post.args["text"] == DUE_TEXT
    assert post.token == "xoxb-test-token"
    shown = texts_of(post)
    assert post.args["blocks"][0]["text"]["text"] == ":date: Review due: Annual leave"
    assert "due for review in 1401 days, on *2030-01-01*" in shown
    assert "<https://intranet.example.com/policies/annual-leave|annual-leave>" in shown
    assert "`annual-leave`" in shown and "change `review_by:`" in shown
    assert "helpbot reindex --stale" in shown

    [row] = rows(database)
    assert (row.id, row.status, row.attempts, row.claimed_by) == (
        notification_id,
        "sent",
        1,
        "replica-1",
    )
    assert (row.channel, row.message_ts) == ("D0OWNER", post.response["ts"])
    assert document_models.as_utc(row.sent_at) == clock.now  # type: ignore[arg-type]

    assert deliverer().deliver_once() == DeliveryReport()  # sent once, never again
    assert len(slack.calls_to("chat.postMessage")) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Annual leave" not in logged and "xoxb" not in logged and OWNER_EMAIL not in logged


def test_user_ids_are_messaged_directly_and_channels_in_the_channel(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers
) -> None:
    queue(database, f"<@{OWNER}>")
    queue(database, "#policy-owners", document_id="expenses", kind="review_expired")

    assert deliverer().deliver_once() == DeliveryReport(sent=2)

    assert [c.method for c in slack.calls] == [
        "conversations.open",
        "chat.postMessage",
        "chat.postMessage",
    ]
    assert slack.calls[0].args["users"] == OWNER
    dm, channel = slack.calls_to("chat.postMessage")
    assert dm.args["channel"] == "D0OWNER"
    assert channel.args["channel"] == "#policy-owners"
    assert channel.args["blocks"][0]["text"]["text"] == ":warning: Review overdue: Expenses"
    shown = texts_of(channel)
    assert "Its review date, *2020-01-01*, has passed" in shown and "`expenses.md`" in shown
    assert [r.channel for r in rows(database)] == ["D0OWNER", "#policy-owners"]


def test_a_deleted_document_still_gets_the_schedulers_words(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers
) -> None:
    queue(database, OWNER, document_id="gone", text="*Old policy* passed its <review> date.")
    assert deliverer().deliver_once() == DeliveryReport(sent=1)
    [post] = slack.calls_to("chat.postMessage")
    assert block_texts(post.args["blocks"]) == "*Old policy* passed its &lt;review&gt; date."


def test_an_overdue_reminder_whose_document_was_reviewed_since_is_withdrawn_unsent(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers
) -> None:
    # annual-leave's review date (2030-01-01) lies ahead: it was confirmed after queueing.
    queue(database, OWNER, document_id="annual-leave", kind="review_expired")
    queue(database, "#policy-owners", document_id="expenses", kind="review_expired")

    assert deliverer().deliver_once() == DeliveryReport(sent=1, withdrawn=1)

    reviewed, overdue = rows(database)
    assert reviewed.status == "withdrawn" and "no longer past" in (reviewed.error or "")
    assert overdue.status == "sent"
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["#policy-owners"]
    assert deliverer().deliver_once() == DeliveryReport()  # withdrawn rows stay unsent


# --- failures -------------------------------------------------------------------------------------
def test_owners_slack_does_not_know_fail_for_good_with_the_reason(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers
) -> None:
    queue(database, "nobody@northwind.example")
    queue(database, "Jane Doe, People team")
    queue(database, "#gone")
    slack.fail("chat.postMessage", "channel_not_found")

    assert deliverer().deliver_once() == DeliveryReport(failed=3)

    unknown_email, not_an_address, gone = rows(database)
    assert unknown_email.status == "failed" and unknown_email.attempts == 1
    assert unknown_email.error is not None
    assert unknown_email.error.startswith("users_not_found: no Slack account has this email")
    assert not_an_address.status == "failed"
    assert "not an email, a Slack user id" in (not_an_address.error or "")
    assert gone.status == "failed" and (gone.error or "").startswith("channel_not_found: ")
    # One lookup, one post (the channel that is gone), nothing for the unreadable owner.
    assert [c.method for c in slack.calls] == ["users.lookupByEmail", "chat.postMessage"]

    assert deliverer().deliver_once() == DeliveryReport()  # failed rows are not retried
    assert len(slack.calls) == 2


def test_a_rate_limit_is_waited_out_for_its_retry_after(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    first, second = queue(database, OWNER), queue(database, "U0OTHER")
    slack.rate_limit("chat.postMessage", retry_after=30)
    outbox = deliverer()
    started = clock.now

    assert outbox.deliver_once() == DeliveryReport(retrying=1)  # the pass stops at the 429
    waiting, untouched = rows(database)
    assert (waiting.status, waiting.attempts, waiting.error) == ("pending", 1, "ratelimited")
    assert document_models.as_utc(waiting.next_attempt_at) == started + timedelta(seconds=30)  # type: ignore[arg-type]
    assert (untouched.status, untouched.attempts) == ("pending", 0)
    [limited] = slack.calls_to("chat.postMessage")
    assert limited.status == 429

    clock.advance(29)
    assert outbox.deliver_once() == DeliveryReport()  # this replica pauses the whole outbox
    # Another replica never heard the 429: it sends the other row, but the limited row waits.
    assert deliverer(instance_id="replica-2").deliver_once() == DeliveryReport(sent=1)
    assert [r.status for r in rows(database)] == ["pending", "sent"]

    clock.advance(1)
    assert outbox.deliver_once() == DeliveryReport(sent=1)
    posts = slack.calls_to("chat.postMessage")
    assert [(p.status, p.args["channel"]) for p in posts] == [
        (429, "D0OWNER"),
        (200, "D0OTHER"),
        (200, "D0OWNER"),
    ]
    assert [(r.id, r.status, r.attempts) for r in rows(database)] == [
        (first, "sent", 2),
        (second, "sent", 1),
    ]


def test_slack_server_errors_are_retried(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    queue(database, OWNER)
    slack.fail("conversations.open", "internal_error")
    outbox = deliverer(outbox_retry_s=60)

    assert outbox.deliver_once() == DeliveryReport(retrying=1)
    clock.advance(59)
    assert outbox.deliver_once() == DeliveryReport()
    clock.advance(1)
    assert outbox.deliver_once() == DeliveryReport(sent=1)
    [row] = rows(database)
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)


def test_network_errors_back_off_then_give_up_after_the_last_attempt(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    queue(database, OWNER)
    outbox = deliverer(api_url=dead, outbox_max_attempts=3, outbox_retry_s=10)

    waits = []
    for _ in range(2):
        before = clock.now
        assert outbox.deliver_once() == DeliveryReport(retrying=1)
        [row] = rows(database)
        assert row.status == "pending" and (row.error or "").startswith("network error")
        waits.append(document_models.as_utc(row.next_attempt_at) - before)  # type: ignore[arg-type]
        clock.now = document_models.as_utc(row.next_attempt_at)  # type: ignore[arg-type]
    assert waits == [timedelta(seconds=10), timedelta(seconds=20)]

    assert outbox.deliver_once() == DeliveryReport(failed=1)
    [row] = rows(database)
    assert row.status == "failed" and row.attempts == 3
    assert (row.error or "").startswith("gave up after 3 attempts: network error")
    assert slack.calls == []


# --- exactly once -------------------------------------------------------------------------------
def test_a_row_listed_by_two_replicas_is_sent_by_the_one_that_claims_it(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    notification_id = queue(database, OWNER)
    now = clock.now
    with database.session() as session:  # both replicas saw it as due
        assert db_outbox.due_notifications(session, now=now, stale_before=now) == [notification_id]
    with database.session() as session:
        won = db_outbox.claim_notification(
            session, notification_id, holder="replica-2", now=now, stale_before=now
        )
        assert won is not None and won.status == "sending" and won.attempts == 1
    with database.session() as session:
        lost = db_outbox.claim_notification(
            session, notification_id, holder="replica-1", now=now, stale_before=now
        )
        assert lost is None
    assert deliverer().deliver_once() == DeliveryReport()  # claimed elsewhere: not due here
    assert slack.calls == []


@pytest.mark.parametrize("backend", ["database", "postgres_database"])
def test_two_replicas_racing_send_every_message_exactly_once(
    backend: str,
    request: pytest.FixtureRequest,
    slack: FakeSlackApi,
    deliverer: Deliverers,
) -> None:
    db: Database = request.getfixturevalue(backend)
    owners = [f"U{n:04d}" for n in range(40)]
    for owner in owners:
        queue(db, owner)
    # Each replica is its own process: its own engine and connections on the same database.
    replicas = [Database(db.url), Database(db.url)]
    outboxes = [
        deliverer(replica, instance_id=f"replica-{n}") for n, replica in enumerate(replicas)
    ]
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def race(outbox: OutboxDeliverer) -> None:
        start.wait()
        reports.append(outbox.deliver_once())

    threads = [threading.Thread(target=race, args=(o,)) for o in outboxes]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for replica in replicas:
            replica.dispose()

    posted = [c.args["channel"] for c in slack.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted(f"D{owner[1:]}" for owner in owners)
    assert sum(r.sent for r in reports) == len(owners)
    assert sum(r.sent + r.lost for r in reports) >= len(owners)
    assert {r.status for r in rows(db)} == {"sent"} and {r.attempts for r in rows(db)} == {1}


def test_a_claim_abandoned_by_a_dead_replica_is_taken_over_after_the_timeout(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    notification_id = queue(database, OWNER)
    with database.session() as session:
        db_outbox.claim_notification(
            session, notification_id, holder="dead", now=clock.now, stale_before=clock.now
        )
    outbox = deliverer(outbox_claim_timeout_s=600)

    clock.advance(599)
    assert outbox.deliver_once() == DeliveryReport()
    clock.advance(2)
    assert outbox.deliver_once() == DeliveryReport(sent=1)
    [row] = rows(database)
    assert (row.status, row.claimed_by, row.attempts) == ("sent", "replica-1", 2)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_row_whose_replicas_keep_dying_is_given_up_without_sending(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers, clock: Clock
) -> None:
    notification_id = queue(database, OWNER)
    for holder in ("dead-1", "dead-2"):
        with database.session() as session:
            stale_before = clock.now - timedelta(seconds=600)
            assert db_outbox.claim_notification(
                session, notification_id, holder=holder, now=clock.now, stale_before=stale_before
            )
        clock.advance(601)

    assert deliverer(outbox_max_attempts=2).deliver_once() == DeliveryReport(failed=1)
    [row] = rows(database)
    assert row.status == "failed" and row.attempts == 3
    assert row.error == "gave up after 2 attempts: its replica stopped while sending"
    assert slack.calls == []
