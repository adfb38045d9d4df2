"""Feedback rules (pure): reactions and buttons to one vote per person per answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class VoteState:
    """A person's current vote on one answer; None means no vote."""

    value: int
    """+1 or -1."""
    source: str
    """reaction | button | correction: what set the value."""
    reactions: tuple[str, ...] = ()
    """Their feedback reactions still on the answer, oldest first."""
    correction: str | None = None


def reaction_value(emoji_map: Mapping[str, int], name: str) -> int | None:
    """+1 / -1 for a feedback emoji (skin tones ignored), None for any other reaction."""
    value = emoji_map.get(name.split("::", 1)[0])
    if value is None or value == 0:
        return None
    return 1 if value > 0 else -1


def _fallback(
    reactions: tuple[str, ...], correction: str | None, emoji_map: Mapping[str, int]
) -> VoteState | None:
    """What remains when the latest signal is withdrawn: the newest reaction, else the
    correction, else no vote at all."""
    for name in reversed(reactions):
        value = reaction_value(emoji_map, name)
        if value is not None:
            return VoteState(value, "reaction", reactions, correction)
    if correction:
        return VoteState(-1, "correction", reactions, correction)
    return None


def reaction_added(
    state: VoteState | None, name: str, emoji_map: Mapping[str, int]
) -> VoteState | None:
    """The newest feedback reaction sets the vote."""
    value = reaction_value(emoji_map, name)
    if value is None:
        return state
    kept = tuple(r for r in (state.reactions if state else ()) if r != name)
    return VoteState(value, "reaction", (*kept, name), state.correction if state else None)


def reaction_removed(
    state: VoteState | None, name: str, emoji_map: Mapping[str, int]
) -> VoteState | None:
    """Removing a reaction takes it back; the vote falls back to what is left, if anything."""
    if state is None or name not in state.reactions:
        return state
    remaining = tuple(r for r in state.reactions if r != name)
    if state.source != "reaction":  # a later button or correction set the vote: it stands
        return replace(state, reactions=remaining)
    return _fallback(remaining, state.correction, emoji_map)


def button_pressed(
    state: VoteState | None, value: int, emoji_map: Mapping[str, int]
) -> VoteState | None:
    """A feedback button sets the vote; pressing the same button again takes it back."""
    if state is not None and state.source == "button" and state.value == value:
        return _fallback(state.reactions, state.correction, emoji_map)
    reactions = state.reactions if state else ()
    correction = state.correction if state else None
    return VoteState(value, "button", reactions, correction)


def correction_sent(state: VoteState | None, text: str) -> VoteState:
    """A correction from the modal is a -1 vote carrying the right answer."""
    return VoteState(-1, "correction", state.reactions if state else (), text.strip())
