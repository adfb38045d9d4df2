"""The words about review dates: an owner's reminder, and the flag beside a cited source."""

from __future__ import annotations

from datetime import date


def source_flag(review_by: date | None, *, stale: bool) -> str | None:
    """What an answer's source line says of its review date, in every rendering: 'review
    overdue (due 2026-05-01), may be out of date', 'review due 2026-05-01', or None."""
    if stale:
        due = f" (due {review_by.isoformat()})" if review_by else ""
        return f"review overdue{due}, may be out of date"
    if review_by:
        return f"review due {review_by.isoformat()}"
    return None


def due_in(review_by: date, today: date) -> str:
    """'today', 'in 1 day', 'in 12 days'."""
    days = (review_by - today).days
    if days <= 0:
        return "today"
    return f"in {days} day{'s' if days != 1 else ''}"


def due_status(title: str, review_by: date, today: date) -> str:
    """Whose document is due for review when, and what happens after (mrkdwn; title as given)."""
    return (
        f"You own *{title}*. It is due for review {due_in(review_by, today)}, on "
        f"*{review_by.isoformat()}*. After that date helpbot flags answers from it as possibly "
        "out of date."
    )


def expired_status(title: str, review_by: date) -> str:
    """Whose document passed its review date, and what that means for answers (mrkdwn)."""
    return (
        f"You own *{title}*. Its review date, *{review_by.isoformat()}*, has passed: helpbot "
        "still answers from it, but flags those answers as possibly out of date until it is "
        "reviewed."
    )


def confirm_command(document_id: str) -> str:
    """The command that confirms a document still correct until a new date."""
    return f"`helpbot docs review {document_id} --until YYYY-MM-DD`"


def what_to_do(document_id: str) -> str:
    """The real ways out, in one paragraph: confirm a new date, or update the document."""
    return (
        f"If it is still correct, confirm it until a new date with {confirm_command(document_id)} "
        "(a helpbot admin can run it), or set a new `review_by` in the document at its source; "
        "if it changed, update its source and helpbot will pick up the new version."
    )


def reminder_text(
    *, kind: str, document_id: str, title: str, source: str, review_by: date, today: date
) -> str:
    """The queued message's own text: the Slack fallback, and all that is shown once the
    document is gone. `kind` is review_due or review_expired."""
    if kind == "review_expired":
        status = expired_status(title, review_by)
    else:
        status = due_status(title, review_by, today)
    return f"{status} Source: {source}. {what_to_do(document_id)}"
