"""Checks of a catalog file against the catalog it is applied to: references the file makes to
ids that are neither in the file nor in the catalog, and clashes with what the catalog keeps.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.catalog_checks import goal_word_problems
from domain.catalog_entries import CatalogDocument
from domain.catalog_view import CatalogView


def reference_problems(doc: CatalogDocument, held: CatalogView) -> list[str]:
    """What the file refers to that is neither in the file nor in the catalog, and clashes
    between the file and what the catalog keeps."""
    return [
        *_unknown_references(doc, held),
        *_kept_goal_clashes(doc, held),
        *_kept_flow_code_clashes(doc, held),
    ]


def _unknown(place: str, kind: str, ref: object, known: Iterable[object]) -> list[str]:
    if ref in known:
        return []
    return [f"{place}: unknown {kind} {ref!r}: neither in this file nor in the catalog"]


def _unknown_references(doc: CatalogDocument, held: CatalogView) -> list[str]:
    advertisers = {a.id for a in doc.advertisers} | held.advertisers.keys()
    webmasters = {w.id for w in doc.webmasters} | held.webmasters.keys()
    goals = {offer_id: set(offer.goals) for offer_id, offer in held.offers.items()}
    for offer in doc.offers:
        goals.setdefault(offer.id, set()).update(goal.id for goal in offer.goals)
    problems = []
    for i, offer in enumerate(doc.offers):
        problems += _unknown(
            f"$.offers[{i}].advertiser", "advertiser", offer.advertiser, advertisers
        )
    for i, flow in enumerate(doc.flows):
        problems += _unknown(f"$.flows[{i}].offer", "offer", flow.offer, goals)
        problems += _unknown(f"$.flows[{i}].webmaster", "webmaster", flow.webmaster, webmasters)
    return problems + _unknown_personal_rate_references(doc, webmasters, goals)


def _unknown_personal_rate_references(
    doc: CatalogDocument, webmasters: set[str], goals: dict[str, set[str]]
) -> list[str]:
    problems = []
    for i, rate in enumerate(doc.personal_rates):
        place = f"$.personal_rates[{i}]"
        problems += _unknown(f"{place}.webmaster", "webmaster", rate.webmaster, webmasters)
        problems += _unknown(f"{place}.offer", "offer", rate.offer, goals)
        if rate.offer in goals:
            kind = f"goal of offer {rate.offer!r}"
            problems += _unknown(f"{place}.goal", kind, rate.goal, goals[rate.offer])
    return problems


def _kept_goal_clashes(doc: CatalogDocument, held: CatalogView) -> list[str]:
    """The file never deletes a goal, so its goals must not collide with the ones it keeps."""
    problems = []
    for i, offer in enumerate(doc.offers):
        in_file = {goal.id for goal in offer.goals}
        known = held.offers.get(offer.id)
        kept = [] if known is None else [g for g in known.goals.values() if g.id not in in_file]
        claimed = {
            word.casefold(): f"goal {goal.id!r} kept from the catalog"
            for goal in kept
            for word in (goal.id, *goal.aliases)
        }
        problems += goal_word_problems(f"$.offers[{i}]", offer.goals, claimed)
    return problems


def _kept_flow_code_clashes(doc: CatalogDocument, held: CatalogView) -> list[str]:
    in_file = {flow.id for flow in doc.flows}
    kept = {flow.code: flow.id for flow in held.flows.values() if flow.id not in in_file}
    return [
        f"$.flows[{i}].code: flow code {flow.code!r} is already used by flow "
        f"{kept[flow.code]} in the catalog"
        for i, flow in enumerate(doc.flows)
        if flow.code in kept
    ]
