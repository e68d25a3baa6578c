"""The catalog's hold rules: `hold_for` and `after_hold` of each offer and goal, as events.

`HoldRulesKept` is a base of `domain.catalog.Catalog`: it keeps its one event here, so the
catalog's module stays about everything else. Stored events name this class
(`domain.catalog_holds:HoldRulesKept.HoldRuleSet`): it stays here. Each change is an event of
the catalog, so it moves the catalog's version; the version in force when a lead enters hold is
recorded with the hold (`domain.hold_rules`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate, event

from domain.catalog_entries import CatalogDocument, OfferEntry
from domain.hold_rules import HoldRule, rule_problems

if TYPE_CHECKING:
    from domain.catalog_changes import ChangeLog

HoldRuleKey = tuple[str, str]
"""(offer, goal); goal "" is the offer's own rule."""


class HoldRulesKept(Aggregate):
    """The part of the catalog that says how holds end."""

    class HoldRuleSet(Aggregate.Event):
        """An offer's (goal "") or a goal's hold rule was set, changed or removed (both None)."""

        offer: str
        goal: str
        hold_for: str | None
        after_hold: str | None

    @event(HoldRuleSet)
    def _set_hold_rule(
        self, offer: str, goal: str, hold_for: str | None, after_hold: str | None
    ) -> None:
        rules = dict(getattr(self, "_hold_rules", {}))
        if hold_for is None and after_hold is None:
            rules.pop((offer, goal), None)
        else:
            rules[(offer, goal)] = HoldRule(hold_for, after_hold)
        self._hold_rules = rules

    def hold_rules(self) -> dict[HoldRuleKey, HoldRule]:
        return dict(getattr(self, "_hold_rules", {}))


def apply_hold_rules(catalog: HoldRulesKept, entry: OfferEntry, log: ChangeLog) -> None:
    """Make the offer's and its goals' hold rules what the file says (absent: none)."""
    held = catalog.hold_rules()
    wanted = [("", entry.hold_for, entry.after_hold)]
    wanted += [(goal.id, goal.hold_for, goal.after_hold) for goal in entry.goals]
    for goal, hold_for, after_hold in wanted:
        rule = HoldRule(hold_for, after_hold)
        known = held.get((entry.id, goal))
        if known == rule or (known is None and rule == HoldRule(None, None)):
            continue
        catalog._set_hold_rule(offer=entry.id, goal=goal, hold_for=hold_for, after_hold=after_hold)
        name = f"{entry.id}/{goal}" if goal else entry.id
        if hold_for is None and after_hold is None:
            log.lines.append(f"removed the hold rule of {name}")
        else:
            log.lines.append(
                f"hold rule of {name}: hold_for {hold_for or 'the offer’s'}, "
                f"then {after_hold or 'approve'}"
            )


def hold_rule_file_problems(doc: CatalogDocument) -> list[str]:
    """`hold_for` and `after_hold` of every offer and goal, each refused at its own path."""
    problems = []
    for i, offer in enumerate(doc.offers):
        problems += rule_problems(f"$.offers[{i}]", offer.hold_for, offer.after_hold)
        for j, goal in enumerate(offer.goals):
            path = f"$.offers[{i}].goals[{j}]"
            problems += rule_problems(path, goal.hold_for, goal.after_hold)
    return problems
