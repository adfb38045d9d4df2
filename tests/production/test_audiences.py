"""Fix 7: a failed group lookup fails closed, even when an expired membership is cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.audiences import AudienceResolver
from bot.slack_api import SlackApi


class GroupsApi:
    """The two membership calls of the Web API; `down` makes them fail as Slack would."""

    def __init__(self) -> None:
        self.members = {"S0MANAGERS": {"U1"}}
        self.down = False

    def usergroup_members(self, usergroup_id: str) -> set[str]:
        if self.down:
            raise ConnectionError("slack unreachable")
        return set(self.members[usergroup_id])

    def channel_members(self, channel_id: str) -> set[str]:
        raise AssertionError("no channel is mapped")


def test_a_failed_lookup_after_the_cache_expired_grants_nothing_extra() -> None:
    api = GroupsApi()
    now = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    resolver = AudienceResolver(
        cast(SlackApi, cast(Any, api)),
        {"S0MANAGERS": ("managers",)},
        ttl_s=300,
        clock=lambda: now[0],
    )
    assert resolver.audiences_for("U1") == ("everyone", "managers")

    now[0] += timedelta(seconds=60)
    api.down = True
    assert resolver.audiences_for("U1") == ("everyone", "managers"), "a fresh cache is used"

    now[0] += timedelta(minutes=10)  # expired: U1 may have left the group since
    assert resolver.audiences_for("U1") == ("everyone",)

    api.down = False
    assert resolver.audiences_for("U1") == ("everyone", "managers")
