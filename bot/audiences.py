"""Which documents a Slack user may see: their user groups and channels mapped to audiences."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.slack_api import SlackApi
from knowledge.stores.base import EVERYONE

log = logging.getLogger(__name__)


def audiences_of(
    user_id: str, mapping: Mapping[str, tuple[str, ...]], members: Mapping[str, set[str]]
) -> tuple[str, ...]:
    """'everyone' plus the audiences of every mapped group or channel the user belongs to."""
    audiences = [EVERYONE]
    for group_id, granted in mapping.items():
        if user_id in members.get(group_id, set()):
            audiences.extend(granted)
    return tuple(dict.fromkeys(audiences))


class AudienceResolver:
    """Looks memberships up through the Web API, cached for a while (they are rate limited)."""

    def __init__(
        self,
        api: SlackApi,
        mapping: Mapping[str, tuple[str, ...]],
        *,
        ttl_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._api = api
        self._mapping = dict(mapping)
        self._ttl = timedelta(seconds=ttl_s)
        self._clock = clock
        self._cache: dict[str, tuple[datetime, set[str]]] = {}
        self._lock = threading.Lock()

    def audiences_for(self, user_id: str) -> tuple[str, ...]:
        if not self._mapping:
            return (EVERYONE,)
        members = {group_id: self._members(group_id) for group_id in self._mapping}
        return audiences_of(user_id, self._mapping, members)

    def _members(self, group_id: str) -> set[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        try:
            if group_id.startswith("S"):
                members = self._api.usergroup_members(group_id)
            else:
                members = self._api.channel_members(group_id)
        except Exception as error:  # a failed lookup grants nothing extra (fail closed):
            # not even a stale cached membership, which may have been revoked since.
            log.warning("membership lookup for %s failed: %s", group_id, type(error).__name__)
            return set()
        with self._lock:
            self._cache[group_id] = (now, members)
        return members
