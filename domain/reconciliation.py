"""Matching a statement's lines to the ledger's leads, and the class each line gets.

A line is matched by `exto` first (narrowed by its click or flow when it gives them), then by
its click alone: advertisers often keep their own order id but echo our click. A matched line is
`matched` when every field it gives agrees with the lead (amounts within the absolute
`amount` tolerance, times within the `time` tolerance), otherwise `value_differs`, naming each
field with both values. A line that finds no lead is `only_in_statement`; a lead of the period
that no line found is `only_in_ledger`; a later line about a lead (or key) an earlier line
already named is one of the `duplicates`, so a lead is never counted twice. Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.money import Money
from domain.statement import StatementLine
from domain.statuses import Status


class LineClass(enum.StrEnum):
    MATCHED = "matched"
    VALUE_DIFFERS = "value_differs"
    ONLY_IN_STATEMENT = "only_in_statement"
    ONLY_IN_LEDGER = "only_in_ledger"
    DUPLICATES = "duplicates"
    AMBIGUOUS = "ambiguous"
    OUTSIDE_PERIOD = "outside_period"
    SKIPPED = "skipped"


CLASSES = tuple(LineClass)
# Classes a summary always lists; the others only when the statement has such lines.
ALWAYS_SUMMED = CLASSES[:5]


@dataclass(frozen=True)
class Tolerances:
    amount: Decimal = Decimal(0)
    time: timedelta = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LedgerLead:
    """What the ledger says of a lead, as far as a statement can compare it."""

    id: UUID
    exto: str | None
    click: str | None
    flow: int
    offer: str
    goal: str
    status: Status
    payout: Money | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Difference:
    field: str
    statement: str
    ledger: str


@dataclass(frozen=True, slots=True)
class Verdict:
    line_class: LineClass
    lead: LedgerLead | None = None
    differences: tuple[Difference, ...] = ()
    candidates: tuple[LedgerLead, ...] = ()  # an ambiguous line's leads, one per offer


GoalResolver = Callable[[str, str], str | None]  # (offer, word) -> goal id


def ambiguous_leads(
    line: StatementLine, by_exto: Mapping[str, list[LedgerLead]]
) -> tuple[LedgerLead, ...]:
    """The leads of different offers a line naming only an order id may be about.

    Advertisers number orders per offer, so an order id alone may name a lead of each: picking
    one (the closest in time) would settle the other offer's lead, in its currency. Such a
    line names no lead until the user does."""
    if not line.exto or line.click or line.flow is not None:
        return ()
    found = by_exto.get(line.exto, ())
    if len({lead.offer for lead in found}) < 2:
        return ()
    return tuple(sorted(found, key=lambda lead: (lead.offer, lead.created_at)))


def find_lead(
    line: StatementLine,
    by_exto: Mapping[str, list[LedgerLead]],
    by_click: Mapping[str, list[LedgerLead]],
) -> LedgerLead | None:
    if line.exto:
        found = [lead for lead in by_exto.get(line.exto, ()) if _narrows(line, lead)]
        if found:
            return _closest(found, line.time)
    if line.click:
        found = by_click.get(line.click, [])
        if len(found) == 1 or (found and not line.exto):
            return _closest(found, line.time)
    return None


def _narrows(line: StatementLine, lead: LedgerLead) -> bool:
    return (line.click is None or line.click == lead.click) and (
        line.flow is None or line.flow == lead.flow
    )


def _closest(leads: list[LedgerLead], at: datetime | None) -> LedgerLead:
    if at is None or len(leads) == 1:
        return leads[0]
    return min(leads, key=lambda lead: abs(lead.created_at - at))


def differences(
    line: StatementLine,
    lead: LedgerLead,
    tolerances: Tolerances,
    goal_of: GoalResolver | None = None,
) -> tuple[Difference, ...]:
    found: list[Difference] = []
    if line.status is not None and line.status != lead.status:
        found.append(Difference("status", f"{line.status_word} ({line.status})", lead.status))
    if line.amount is not None:
        found += _amount_differences(line, lead.payout, tolerances.amount)
    if line.time is not None and abs(line.time - lead.created_at) > tolerances.time:
        found.append(Difference("time", line.time.isoformat(), lead.created_at.isoformat()))
    if line.goal:
        goal = goal_of(lead.offer, line.goal) if goal_of else line.goal
        if goal != lead.goal:
            found.append(Difference("goal", line.goal, lead.goal))
    return tuple(found)


def _amount_differences(
    line: StatementLine, payout: Money | None, tolerance: Decimal
) -> list[Difference]:
    assert line.amount is not None
    currency = line.currency or (payout.currency if payout else None)
    shown = f"{line.amount} {currency or ''}".strip()
    if payout is None:
        return [Difference("amount", shown, "none")]
    if currency != payout.currency:
        return [Difference("currency", currency or "", payout.currency)]
    if abs(line.amount - payout.amount) > tolerance:
        return [Difference("amount", shown, f"{payout.amount} {payout.currency}")]
    return []


def classify(
    line: StatementLine,
    by_exto: Mapping[str, list[LedgerLead]],
    by_click: Mapping[str, list[LedgerLead]],
    tolerances: Tolerances,
    goal_of: GoalResolver | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> Verdict:
    """The line's class before duplicates are told apart (see `duplicate_key`).

    A skipped row (a total) is `skipped`; a line naming only an order id that leads of two
    offers have is `ambiguous`; a line dated outside the period [start, end) is
    `outside_period` (whatever it matches: another period's statement decides that lead)."""
    if line.skip_reason is not None:
        return Verdict(LineClass.SKIPPED)
    candidates = ambiguous_leads(line, by_exto)
    if candidates:
        return Verdict(LineClass.AMBIGUOUS, candidates=candidates)
    lead = find_lead(line, by_exto, by_click)
    found = differences(line, lead, tolerances, goal_of) if lead is not None else ()
    if period is not None and line.time is not None and not period[0] <= line.time < period[1]:
        return Verdict(LineClass.OUTSIDE_PERIOD, lead, found)
    if lead is None:
        return Verdict(LineClass.ONLY_IN_STATEMENT)
    return Verdict(LineClass.VALUE_DIFFERS if found else LineClass.MATCHED, lead, found)


def duplicate_key(line: StatementLine, verdict: Verdict) -> str:
    """Lines with the same key are about the same lead: the first keeps its class, the later
    ones are `duplicates` (the store applies this over all stored lines at once)."""
    if verdict.line_class is LineClass.SKIPPED:
        return f"skipped:{line.line}"
    return str(verdict.lead.id) if verdict.lead is not None else "key:" + line.key()
