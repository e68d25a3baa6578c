"""The moment a support person asks "as the ledger stood at", from a picker, a choice or text.

The page offers a text field for a date and a 24-hour time (`2026-11-03 14:00:00`, no zone: the
label says UTC, like every time on the page; a browser's datetime-local picker would show the
viewer's 12-hour locale format instead) and relative choices ("1 hour ago", "yesterday", "7 days
ago"). Typed text is read the same way, so `yesterday` or `3 days ago` in an old link works, and
anything else gets a message saying what to type instead of a confusing "did not exist".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The relative choices the page offers, in order: (value sent, label shown).
CHOICES = (
    ("1 hour ago", "1 hour ago"),
    ("yesterday", "Yesterday, this time"),
    ("7 days ago", "7 days ago"),
    ("30 days ago", "30 days ago"),
)
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_RELATIVE = re.compile(r"^(\d{1,5})\s*(minute|hour|day|week)s?\s+ago$")
EXAMPLE = "2026-11-03 14:00"


@dataclass(frozen=True)
class Moment:
    """What was asked (as typed or chosen), the UTC moment it means, or why it means none."""

    asked: str
    at: datetime | None = None
    problem: str | None = None

    @property
    def picker_value(self) -> str:
        """The moment as the picker shows it: UTC, 24-hour, to the second, no zone (the label
        says UTC), written like every other time on the page."""
        return self.at.strftime("%Y-%m-%d %H:%M:%S") if self.at else ""

    @property
    def relative(self) -> bool:
        """Asked in words ("yesterday"), not as a date: worth repeating beside the date."""
        return not self.asked[:1].isdigit()

    @property
    def shown(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.at else self.asked


def moment_of(text: str, now: datetime | None = None) -> Moment | None:
    """None when nothing was asked; otherwise the moment, or a problem to show."""
    asked = " ".join(text.split())
    if not asked:
        return None
    now = now or datetime.now(UTC)
    at = _relative(asked.lower(), now) or _absolute(asked)
    if at is None:
        return Moment(asked, problem=_not_understood(asked))
    if at > now:
        return Moment(asked, at, f"{at:%Y-%m-%d %H:%M:%S} UTC is in the future.")
    return Moment(asked, at)


def _relative(text: str, now: datetime) -> datetime | None:
    if text == "now":
        return now
    if text == "yesterday":
        return now - timedelta(days=1)
    found = _RELATIVE.match(text)
    if found is None:
        return None
    return now - timedelta(seconds=int(found[1]) * _UNITS[found[2]])


def _absolute(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _not_understood(asked: str) -> str:
    return (
        f"“{asked}” is not a date and time this page can read. Type it as {EXAMPLE} "
        f"(24-hour, UTC), choose one of the buttons, or type “3 days ago”."
    )
