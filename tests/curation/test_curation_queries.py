"""Curation items: created from exchanges and votes (idempotent), reviewed with full history."""

from __future__ import annotations

import pytest

from knowledge.db import conversations as store
from knowledge.db import curation
from knowledge.db.connection import Database
from knowledge.db.curation import CurationError
from tests.curation.conftest import T0, add_exchange


def test_every_answered_exchange_becomes_one_item_with_the_label_its_votes_give(
    db: Database,
) -> None:
    with db.session() as s:
        up = add_exchange(
            s, "How many days of leave?", "25 working days [1].", votes=[("U1", 1, None)]
        )
        down = add_exchange(s, "Carry over?", "No [2].", votes=[("U1", -1, None), ("U2", -1, None)])
        fixed = add_exchange(
            s,
            "Carry over how much?",
            "None [2].",
            votes=[("U1", -1, "Up to 5 days, used by 31 March.")],
        )
        quiet = add_exchange(s, "Sick note?", "From day 8 [3].")
        add_exchange(s, "Failed one", "", status="failed")
        first = curation.sync_exchanges(s, now=T0)
    assert (first.created, first.updated) == (4, 0)
    with db.session() as s:
        assert curation.sync_exchanges(s, now=T0) == curation.SyncResult(0, 0)  # idempotent
        items = {i.exchange_id: i for i in curation.list_items(s)}
        assert set(items) == {up, down, fixed, quiet}
        assert items[up].label == "positive" and items[up].upvotes == 1
        assert items[down].label == "negative" and items[down].downvotes == 2
        assert items[fixed].label == "corrected"
        assert items[fixed].correction == "Up to 5 days, used by 31 March."
        assert items[fixed].corrected_by == "slack:U1"
        assert items[quiet].label == "unrated"
        assert all(i.state == "new" for i in items.values())
        assert items[up].passages[0]["document_id"] == "annual-leave"
        assert items[up].asker_id == "U0ASKER01"
        events = curation.history(s, items[up].id)
        assert [(e.action, e.actor, e.from_state, e.to_state) for e in events] == [
            ("created", "sync", None, "new")
        ]


def test_a_correction_after_approval_sends_the_item_back_to_review(db: Database) -> None:
    with db.session() as s:
        exchange_id = add_exchange(s, "How many days?", "25 days [1].", votes=[("U1", 1, None)])
        curation.sync_exchanges(s, now=T0)
        item = curation.list_items(s)[0]
        curation.transition(s, item.id, "approved", actor="ana", now=T0)
        store.save_vote(
            s,
            exchange_id=exchange_id,
            user_id="U2",
            value=-1,
            source="correction",
            reactions=[],
            correction="25 working days, 28 after 5 years.",
            now=T0,
        )
        result = curation.sync_exchanges(s, now=T0)
        assert result.updated == 1
        item = curation.get_item(s, item.id)
        assert (item.state, item.label) == ("new", "corrected")
        assert item.correction == "25 working days, 28 after 5 years."
        actions = [(e.action, e.from_state, e.to_state) for e in curation.history(s, item.id)]
        assert actions[-1] == ("votes", "approved", "new")


def test_an_admin_correction_is_kept_when_slack_votes_change(db: Database) -> None:
    with db.session() as s:
        exchange_id = add_exchange(s, "How many days?", "20 days [1].", votes=[("U1", -1, None)])
        curation.sync_exchanges(s, now=T0)
        item = curation.list_items(s)[0]
        curation.correct(s, item.id, "25 working days [1].", actor="ana", now=T0)
        store.save_vote(
            s,
            exchange_id=exchange_id,
            user_id="U1",
            value=-1,
            source="correction",
            reactions=[],
            correction="something else",
            now=T0,
        )
        curation.sync_exchanges(s, now=T0)
        item = curation.get_item(s, item.id)
        assert (item.correction, item.corrected_by, item.state) == (
            "25 working days [1].",
            "ana",
            "approved",
        )


def test_the_state_machine_refuses_what_it_must_and_keeps_who_when_why(db: Database) -> None:
    with db.session() as s:
        add_exchange(s, "How many days?", "25 days [1].")
        curation.sync_exchanges(s, now=T0)
        item_id = curation.list_items(s)[0].id
        with pytest.raises(CurationError, match="reason"):
            curation.transition(s, item_id, "rejected", actor="ana")
        with pytest.raises(CurationError, match="Unknown state"):
            curation.transition(s, item_id, "published", actor="ana")
        curation.transition(s, item_id, "needs_correction", actor="ana", reason="wrong figure")
        curation.transition(s, item_id, "rejected", actor="bo", reason="duplicate")
        with pytest.raises(CurationError, match="already rejected"):
            curation.transition(s, item_id, "rejected", actor="bo", reason="again")
        with pytest.raises(CurationError, match="no curation item 999"):
            curation.transition(s, 999, "approved", actor="bo")
        with pytest.raises(CurationError, match="empty"):
            curation.correct(s, item_id, "   ", actor="bo")
        events = curation.history(s, item_id)
        assert [(e.actor, e.action, e.from_state, e.to_state, e.reason) for e in events[1:]] == [
            ("ana", "needs_correction", "new", "needs_correction", "wrong figure"),
            ("bo", "reject", "needs_correction", "rejected", "duplicate"),
        ]
        assert curation.counts(s) == {"new": 0, "approved": 0, "rejected": 1, "needs_correction": 0}


def test_golden_pairs_are_approved_and_not_added_twice(db: Database) -> None:
    with db.session() as s:
        item = curation.add_golden(
            s, question="Who approves travel?", answer="Your manager.", actor="ana"
        )
        assert (item.source, item.state, item.created_by) == ("golden", "approved", "ana")
        with pytest.raises(CurationError, match="already"):
            curation.add_golden(
                s, question="who approves travel?", answer="Your manager.", actor="bo"
            )
        with pytest.raises(CurationError, match="needs an answer"):
            curation.add_golden(s, question="Anything?", answer="", actor="bo")
        none = curation.add_golden(
            s, question="Pet insurance?", answer="", answerable=False, actor="bo"
        )
        assert not none.answerable


def test_opt_outs_take_a_session_or_a_database(db: Database) -> None:
    assert curation.set_opt_out(db, "U0ASKER01", True)
    assert not curation.set_opt_out(db, "U0ASKER01", True)
    assert curation.is_opted_out(db, "U0ASKER01")
    with db.session() as s:
        assert curation.opted_out_users(s) == {"U0ASKER01"}
        assert curation.set_opt_out(s, "U0ASKER01", False)
        assert not curation.is_opted_out(s, "U0ASKER01")
    with pytest.raises(ValueError, match="user id"):
        curation.set_opt_out(db, " ", True)


def test_a_retracted_or_changed_vote_reaches_the_item_on_the_next_sync(db: Database) -> None:
    with db.session() as s:
        exchange_id = add_exchange(s, "How many days?", "25 days [1].", votes=[("U1", 1, None)])
        curation.sync_exchanges(s, now=T0)
        item = curation.list_items(s)[0]
        assert item.label == "positive"
        store.save_vote(
            s,
            exchange_id=exchange_id,
            user_id="U1",
            value=-1,
            source="reaction",
            reactions=[],
            correction=None,
            now=T0,
        )
        assert curation.sync_exchanges(s, now=T0).updated == 1
        assert curation.get_item(s, item.id).label == "negative"
        store.delete_vote(s, exchange_id, "U1")
        assert curation.sync_exchanges(s, now=T0).updated == 1
        refreshed = curation.get_item(s, item.id)
        assert (refreshed.label, refreshed.upvotes, refreshed.downvotes) == ("unrated", 0, 0)
        assert curation.sync_exchanges(s, now=T0) == curation.SyncResult(0, 0)
