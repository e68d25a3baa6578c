"""What applying a catalog file changed, in words an operator reads, and which rate changes
reach back in time (the leads they reprice need a rebuild)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple


class RetroactiveRateChange(NamedTuple):
    """A rate change whose money differs from `effective_from` on, which is in the past: leads
    created since then are priced differently, and the ledger needs a rebuild."""

    offer: str
    goal: str
    webmaster: str | None
    effective_from: datetime


@dataclass(frozen=True)
class CatalogChanges:
    """What applying a catalog file changed, in words an operator reads."""

    lines: tuple[str, ...] = ()
    retroactive_rate_changes: tuple[RetroactiveRateChange, ...] = ()
    version_before: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass
class ChangeLog:
    """Collects the changes of one apply: its moment, who applied it, and what changed."""

    now: datetime
    actor: str = ""
    version_before: int = 0
    lines: list[str] = field(default_factory=list)
    retroactive: list[RetroactiveRateChange] = field(default_factory=list)

    def rate_changed(self, change: RetroactiveRateChange | None) -> None:
        if change is not None and change.effective_from < self.now:
            self.retroactive.append(change)

    def changes(self) -> CatalogChanges:
        return CatalogChanges(tuple(self.lines), tuple(self.retroactive), self.version_before)


def verb(known: object) -> str:
    return "added" if known is None else "changed"


def switched(active: bool) -> str:
    return "" if active else " (inactive)"


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {moment.isoformat()}")
    return moment.astimezone(UTC)
