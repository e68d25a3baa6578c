"""Hold rules: how long a lead an advertiser put on `hold` stays there, and what it becomes after.

An offer may state `hold_for` (a whole number and a unit: `"90s"`, `"15m"`, `"72h"`, `"30d"`) and
`after_hold` (`"approve"`, the default, or `"cancel"`); each goal may state its own, and the goal's
wins. The rule is read from the catalog version in force when the lead ENTERS hold, and its
result (`HoldTerms`: the release time, the outcome, the rule's name and that catalog version) is
stored on the lead's event: a later change of `hold_for` or `after_hold` applies to holds that
start after it, never to one already running (like a rate version, `domain.rate_schedule`).

Pure: no I/O, no clock (the caller gives the time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

AFTER_HOLD = ("approve", "cancel")
MAX_HOLD = timedelta(days=3650)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_WORDS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# ASCII digits only: `int` would also read "٣d" as 3 days, which nobody means to write.
_DURATION = re.compile(r"\A\s*([+-]?[0-9]+)\s*([smhd])\s*\Z")


class BadDuration(ValueError):
    """A `hold_for` that is not a positive whole number of s, m, h or d up to 3650 days."""


def parse_duration(text: str) -> timedelta:
    """`"72h"` → 72 hours; raises BadDuration for anything else, zero, negative or too long."""
    match = _DURATION.match(text)
    if match is None:
        raise BadDuration(f"{text!r} is not a duration: a whole number and s, m, h or d ('72h')")
    number = int(match.group(1))
    if number <= 0:
        raise BadDuration(f"{text!r} must be more than zero")
    seconds = number * _UNITS[match.group(2)]
    # Compared as a number first: timedelta itself overflows (OverflowError) past 10**9 days.
    if seconds > MAX_HOLD.total_seconds():
        raise BadDuration(f"{text!r} is longer than 3650 days")
    return timedelta(seconds=seconds)


def duration_words(text: str) -> str:
    """`"30d"` → `"30 days"`, as people read a rule."""
    match = _DURATION.match(text)
    if match is None:
        return text
    number, unit = int(match.group(1)), match.group(2)
    word = _UNIT_WORDS[unit]
    return f"{number} {word[:-1] if number == 1 else word}"


@dataclass(frozen=True)
class HoldRule:
    """What one offer (goal "") or one goal of it says about holds; `hold_for` None: no limit."""

    hold_for: str | None
    after_hold: str | None


@dataclass(frozen=True)
class HoldTerms:
    """A running hold's terms, fixed when it began; stored on the lead's event as a dict."""

    until: datetime
    after_hold: str
    rule: str  # "offer-1/reg" (the goal's rule) or "offer-1" (the offer's)
    hold_for: str
    catalog_version: int
    started_at: datetime

    def to_event(self) -> dict[str, Any]:
        return {
            "until": self.until.isoformat(),
            "after_hold": self.after_hold,
            "rule": self.rule,
            "hold_for": self.hold_for,
            "catalog_version": self.catalog_version,
            "started_at": self.started_at.isoformat(),
        }

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> HoldTerms:
        return cls(
            until=datetime.fromisoformat(data["until"]),
            after_hold=data["after_hold"],
            rule=data["rule"],
            hold_for=data["hold_for"],
            catalog_version=int(data["catalog_version"]),
            started_at=datetime.fromisoformat(data["started_at"]),
        )

    def description(self) -> str:
        """ "offer-1/reg: 30 days, then approve"."""
        return f"{self.rule}: {duration_words(self.hold_for)}, then {self.after_hold}"

    def on_hold_words(self) -> str:
        """How people read a running hold: "on hold until 2027-01-05 (offer-1/reg: 30 days,
        then approve)"."""
        return f"on hold until {self.until.date().isoformat()} ({self.description()})"


def terms_for(
    rules: Mapping[tuple[str, str], HoldRule],
    offer: str,
    goal: str,
    catalog_version: int,
    now: datetime,
) -> HoldTerms | None:
    """The terms of a hold that begins `now` for a lead of this offer and goal; None: the
    catalog sets no limit, and the hold lasts until a postback ends it."""
    own = rules.get((offer, goal))
    general = rules.get((offer, ""))
    if own is not None and own.hold_for:
        hold_for, rule = own.hold_for, f"{offer}/{goal}"
    elif general is not None and general.hold_for:
        hold_for, rule = general.hold_for, offer
    else:
        return None
    after = (own.after_hold if own else None) or (general.after_hold if general else None)
    try:
        duration = parse_duration(hold_for)
    except BadDuration:
        return None  # refused at apply; an old stored rule that no longer parses sets none
    return HoldTerms(now + duration, after or "approve", rule, hold_for, catalog_version, now)


def rule_problems(path: str, hold_for: str | None, after_hold: str | None) -> list[str]:
    """The problems of one offer's or goal's `hold_for` and `after_hold`, at `path`."""
    problems = []
    if hold_for is not None:
        try:
            parse_duration(hold_for)
        except BadDuration as error:
            problems.append(f"{path}.hold_for: {error}")
    if after_hold is not None and after_hold not in AFTER_HOLD:
        problems.append(f"{path}.after_hold: {after_hold!r} is not one of approve, cancel")
    return problems
