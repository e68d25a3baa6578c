"""Statements of a period: per account and currency, opening + movements = closing, per bucket.

Pure: the close (and `audit check`, which draws them again from the entries) hands in the
previous period's statements and the period's movements, already summed per account, currency,
kind and bucket as the account's holder reads them (`domain.ledger.holder_view`). Amounts are
kept as text in the statement, exactly as Decimal prints them, so that a statement stored in an
event is byte for byte the one the read model shows.

Worked example: webmaster wm-1 opens November with nothing; a lead accrues 10.00 USD pending
and is approved; the statement reads
    opening   {pending: 0, hold: 0, approved: 0}
    accrued   pending +10.00
    approved  pending -10.00, approved +10.00
    closing   {pending: 0.00, hold: 0, approved: 10.00}
and December's statement opens with November's closing figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from domain.currencies import CURRENCY_MINOR_UNITS
from domain.ledger import Bucket
from domain.period import KINDS

# The lead buckets, and `paid`: where the network's account keeps the cash paid out.
BUCKETS = (*(bucket.value for bucket in Bucket), "paid")
# An advertiser's invoices not yet paid, and the cash the network received against them: shown
# only by the statements of accounts that have such money (most never do).
BILLING_BUCKETS = ("invoiced", "received")
_ORDER = (*BUCKETS, *BILLING_BUCKETS)


@dataclass(frozen=True, slots=True)
class Movement:
    """The sum of one kind of change to one bucket of one account and currency in a period."""

    account: str
    currency: str
    kind: str
    bucket: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A change this period to a lead whose money lay in a closed period, and its cause
    (`postback:<id>`, which for a change settled from a statement is the statement line's id,
    or `recalculation:<id>`). Already counted in the movements: listed to say why."""

    account: str
    currency: str
    lead: str
    position: int
    kind: str
    bucket: str
    amount: Decimal
    cause: str
    effective_at: str = ""  # when the fact happened (ISO 8601, UTC)
    booked_at: str = ""  # when the ledger booked it, in this period


def statements_for(
    previous: Iterable[dict],
    movements: Iterable[Movement],
    late: Iterable[Adjustment] = (),
    settled: Iterable[Adjustment] = (),
) -> list[dict]:
    """Every account and currency that had money or moved it: opening, movements, closing, the
    changes carried into this period from closed ones (`adjustments`), and the changes settled
    from advertisers' statement lines, each with its line (`settlements`).

    An account whose balance was all zero and that did not move this period has no statement.
    """
    openings: dict[tuple[str, str], dict[str, Decimal]] = {}
    for statement in previous:
        closing = {bucket: Decimal(amount) for bucket, amount in statement["closing"].items()}
        if any(closing.values()):
            openings[(statement["account"], statement["currency"])] = closing
    moved: dict[tuple[str, str], dict[tuple[str, str], Decimal]] = {}
    for movement in movements:
        key = (movement.account, movement.currency)
        lines = moved.setdefault(key, {})
        line = (movement.kind, movement.bucket)
        lines[line] = lines.get(line, Decimal(0)) + movement.amount
    carried, settlements = _listed(late), _listed(settled)
    keys = sorted(openings.keys() | moved.keys())
    statements = [_statement(key, openings.get(key), moved.get(key, {})) for key in keys]
    return [
        {**s, "adjustments": carried.get(key, []), "settlements": settlements.get(key, [])}
        for s, key in zip(statements, keys, strict=True)
    ]


def _listed(lines: Iterable[Adjustment]) -> dict[tuple[str, str], list[dict]]:
    """Per account and currency, each change with its cause and times, in a fixed order."""
    listed: dict[tuple[str, str], list[dict]] = {}
    for line in sorted(lines, key=lambda a: (a.position, a.lead, KINDS.index(a.kind), a.bucket)):
        listed.setdefault((line.account, line.currency), []).append(
            {
                "lead": line.lead,
                "position": line.position,
                "kind": line.kind,
                "bucket": line.bucket,
                "amount": text_of(line.amount, line.currency),
                "cause": line.cause,
                "effective_at": line.effective_at,
                "booked_at": line.booked_at,
            }
        )
    return listed


def _statement(
    key: tuple[str, str], opening: dict[str, Decimal] | None, moved: dict[tuple[str, str], Decimal]
) -> dict:
    opening = opening or {}
    shown = [*BUCKETS, *(b for b in BILLING_BUCKETS if b in opening or b in _buckets(moved))]
    closing = {bucket: opening.get(bucket, Decimal(0)) for bucket in shown}
    lines = []
    currency = key[1]
    for kind, bucket in sorted(moved, key=_line_order):
        amount = moved[(kind, bucket)]
        closing[bucket] += amount
        lines.append({"kind": kind, "bucket": bucket, "amount": text_of(amount, currency)})
    return {
        "account": key[0],
        "currency": currency,
        "opening": {b: text_of(opening.get(b, Decimal(0)), currency) for b in shown},
        "movements": lines,
        "closing": {bucket: text_of(closing[bucket], currency) for bucket in shown},
    }


def _buckets(moved: dict[tuple[str, str], Decimal]) -> set[str]:
    return {bucket for _, bucket in moved}


def text_of(amount: Decimal, currency: str) -> str:
    """The amount with at least its currency's minor units ("0" reads "0.00" in USD), exactly:
    digits are only ever added, so an amount finer than the currency keeps all of its own."""
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        amount = amount.quantize(Decimal(1).scaleb(-places))
    return str(amount)


def _line_order(line: tuple[str, str]) -> tuple[int, int]:
    kind, bucket = line
    return (KINDS.index(kind), _ORDER.index(bucket))


def differences(sealed: dict, drawn: dict | None) -> list[str]:
    """How a sealed statement differs from one drawn again from the entries (empty: equal)."""
    if drawn is None:
        return ["no entries give this statement any more"]
    found = []
    for part in ("opening", "closing"):
        for bucket in _ORDER:
            was, now = sealed[part].get(bucket, "0"), drawn[part].get(bucket, "0")
            if Decimal(was) != Decimal(now):
                found.append(f"{part} {bucket}: sealed {was}, entries give {now}")
    # A close sealed before `settled` was a kind of its own classed those changes by what they
    # did: its movements are compared per bucket.
    by_kind = "settlements" in sealed
    if _movement_sums(sealed, by_kind) != _movement_sums(drawn, by_kind):
        found.append("movements differ from the entries")
    for part, what in _LISTS:
        if part in sealed and _as_sealed(sealed[part], drawn.get(part, [])) != sealed[part]:
            found.append(f"{what} differ from the entries")
    return found


_LISTS = (
    ("adjustments", "adjustments carried forward"),
    ("settlements", "changes settled from statement lines"),
)


def _as_sealed(sealed: list[dict], drawn: list[dict]) -> list[dict]:
    """The drawn lines with only the keys the sealed ones have: a close sealed before a key was
    added (`effective_at`, `booked_at`) is compared on what it holds."""
    keys = set().union(*sealed) if sealed else set()
    return [{key: line[key] for key in line if key in keys} for line in drawn] if keys else drawn


def _movement_sums(statement: dict, by_kind: bool = True) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for line in statement["movements"]:
        key = (line["kind"] if by_kind else "", line["bucket"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(line["amount"])
    return {key: amount for key, amount in sums.items() if amount}
