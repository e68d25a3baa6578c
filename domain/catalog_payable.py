"""The catalog's payable rules: `lock_for` of each offer and `min_payout` of each webmaster.

`PayableRulesKept` is a base of `domain.catalog.Catalog` (above `HoldRulesKept`), keeping its
events here as the hold rules do: each change is an event of the catalog and moves its version.
Stored events name these classes (`domain.catalog_payable:PayableRulesKept.LockForSet`): they
stay here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate, event

from domain.catalog_entries import CatalogDocument, OfferEntry
from domain.catalog_holds import HoldRulesKept, apply_hold_rules
from domain.payable_rules import PayableRules, lock_problems, minimum_problems, parse_minimums

if TYPE_CHECKING:
    from domain.catalog_changes import ChangeLog


class PayableRulesKept(HoldRulesKept):
    """The part of the catalog that says when approved money may be paid, and from how much."""

    class LockForSet(Aggregate.Event):
        """An offer's `lock_for` was set, changed or removed (None)."""

        offer: str
        lock_for: str | None

    @event(LockForSet)
    def _set_lock_for(self, offer: str, lock_for: str | None) -> None:
        locks = dict(getattr(self, "_locks", {}))
        if lock_for is None:
            locks.pop(offer, None)
        else:
            locks[offer] = lock_for
        self._locks = locks

    class MinPayoutSet(Aggregate.Event):
        """A webmaster's minimums were set, changed or removed (empty)."""

        webmaster: str
        min_payout: list[str]

    @event(MinPayoutSet)
    def _set_min_payout(self, webmaster: str, min_payout: list[str]) -> None:
        minimums = dict(getattr(self, "_minimums", {}))
        if min_payout:
            minimums[webmaster] = tuple(min_payout)
        else:
            minimums.pop(webmaster, None)
        self._minimums = minimums

    def payable_rules(self) -> PayableRules:
        return PayableRules(dict(getattr(self, "_locks", {})), dict(getattr(self, "_minimums", {})))


def apply_offer_rules(catalog: PayableRulesKept, entry: OfferEntry, log: ChangeLog) -> None:
    """The offer's hold rules, then its `lock_for` (absent: none)."""
    apply_hold_rules(catalog, entry, log)
    known = catalog.payable_rules().lock_for.get(entry.id)
    if known == entry.lock_for:
        return
    catalog._set_lock_for(offer=entry.id, lock_for=entry.lock_for)
    if entry.lock_for is None:
        log.lines.append(f"removed the lock of {entry.id}")
    else:
        log.lines.append(f"lock of {entry.id}: payable {entry.lock_for} after approval")


def apply_min_payouts(catalog: PayableRulesKept, doc: CatalogDocument, log: ChangeLog) -> None:
    """Each webmaster's `min_payout` as the file says (absent: none), written "50.00 USD"."""
    held = catalog.payable_rules().min_payout
    for webmaster in doc.webmasters:
        wanted = {} if webmaster.min_payout is None else parse_minimums(webmaster.min_payout)
        texts = [f"{amount} {currency}" for currency, amount in sorted(wanted.items())]
        if tuple(texts) == held.get(webmaster.id, ()):
            continue
        catalog._set_min_payout(webmaster=webmaster.id, min_payout=texts)
        shown = ", ".join(texts) if texts else "none"
        log.lines.append(f"minimum payout of {webmaster.id}: {shown}")


def payable_rule_file_problems(doc: CatalogDocument) -> list[str]:
    """`lock_for` of every offer and `min_payout` of every webmaster, each at its own path."""
    problems = []
    for i, offer in enumerate(doc.offers):
        problems += lock_problems(f"$.offers[{i}]", offer.lock_for)
    for i, webmaster in enumerate(doc.webmasters):
        problems += minimum_problems(f"$.webmasters[{i}]", webmaster.min_payout)
    return problems
