"""The history of one goal's or one personal rate's versions, as operators read it.

Every version the catalog ever held, in the order it was added: its money, when it starts and
ends, when and by whom it was applied, and which later version superseded it
(`domain.rate_schedule`). Plain dicts of text, ready for JSON, the support page and the audit
records of recalculations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from domain.catalog_entities import PersonalRateVersion, RateVersion
from domain.catalog_view import CatalogView
from domain.money import Money
from domain.rate_schedule import superseded_by


def history(versions: Sequence[RateVersion | PersonalRateVersion]) -> list[dict[str, Any]]:
    replaced = superseded_by(versions)
    return [_line(version, replaced.get(version.version)) for version in versions]


def _line(version: RateVersion | PersonalRateVersion, by: int | None) -> dict[str, Any]:
    line: dict[str, Any] = {"version": version.version}
    if isinstance(version, RateVersion):
        line["advertiser"] = money_text(version.advertiser)
    line["webmaster"] = money_text(version.webmaster)
    line["effective_from"] = version.effective_from.isoformat()
    line["effective_until"] = _iso(getattr(version, "effective_until", None))
    line["applied_at"] = _iso(version.applied_at)
    line["applied_by"] = version.applied_by or None
    line["superseded_by"] = by
    return line


def money_text(money: Money) -> str:
    wire = money.to_wire()
    return f"{wire['amount']} {wire['currency']}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def rate_histories(
    catalog: CatalogView, offer: str = "", goal: str = "", webmaster: str = ""
) -> list[dict[str, Any]]:
    """The goals' and personal rates' histories matching the filters (empty: any), each with
    what it is the history of: `{"offer", "goal", "webmaster" (None: the goal's own), ...}`."""
    found = [
        {"offer": o.id, "goal": g.id, "webmaster": None, "versions": history(g.rates)}
        for o in _matching(catalog.offers.values(), offer)
        for g in _matching(o.goals.values(), goal)
        if not webmaster
    ]
    found += [
        {"offer": o, "goal": g, "webmaster": w, "versions": history(rates)}
        for (w, o, g), rates in sorted(catalog.personal_rates.items())
        if offer in ("", o) and goal in ("", g) and webmaster in ("", w)
    ]
    return found


def _matching(items: Iterable, wanted: str) -> list:
    return sorted((item for item in items if wanted in ("", item.id)), key=lambda i: i.id)
