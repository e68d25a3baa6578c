"""Test data for a benchmark run, written through the application in bulk.

The demo catalog, clicks that already have a lead (targets of status changes), clicks without
one (each gets one creation). Everything is saved as real events
by `LedgerApplication`, many aggregates per transaction, so seeding takes seconds, not minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress
from domain.catalog_document import parse_catalog
from domain.click import Click
from domain.identity import lead_id_for_click
from domain.lead import Lead

from .environment import ROOT

_CHUNK = 2000


@dataclass(frozen=True)
class Seeded:
    """Files of click ids for the load generator."""

    with_lead: Path
    fresh: list[Path]  # one file per load run


def seed(
    address: DatabaseAddress, folder: Path, leads: int, fresh_per_run: int, runs: int
) -> Seeded:
    app = LedgerApplication(env=address.eventsourcing_env(pool_size=2))
    try:
        catalog = parse_catalog((ROOT / "scripts/demo-catalog.toml").read_bytes())
        app.apply_catalog(catalog, datetime.now(UTC))
        with_lead = _write(folder / "clicks-with-lead.txt", _clicks_with_leads(app, leads))
        fresh = [
            _write(folder / f"clicks-fresh-{run}.txt", _clicks(app, fresh_per_run))
            for run in range(runs)
        ]
    finally:
        app.close()
    return Seeded(with_lead, fresh)


def _write(path: Path, clicks: list[str]) -> Path:
    path.write_text("\n".join(clicks) + "\n")
    return path


def _new_click() -> Click:
    return Click(
        click=secrets.token_urlsafe(16),
        flow=101,
        offer="offer-1",
        webmaster="wm-1",
        ip="127.0.0.1",
        user_agent="bench",
        subs={},
    )


def _clicks(app: LedgerApplication, count: int) -> list[str]:
    made: list[str] = []
    while len(made) < count:
        chunk = [_new_click() for _ in range(min(_CHUNK, count - len(made)))]
        app.save(*chunk)
        made.extend(click.click for click in chunk)
    return made


def _clicks_with_leads(app: LedgerApplication, count: int) -> list[str]:
    made: list[str] = []
    while len(made) < count:
        aggregates = []
        for _ in range(min(_CHUNK // 2, count - len(made))):
            click = _new_click()
            lead = Lead(
                id=lead_id_for_click(click.click, None),
                postback_id=uuid4(),
                click=click.click,
                exto=None,
                flow=101,
                offer="offer-1",
                advertiser="adv-1",
                webmaster="wm-1",
                goal="reg",
                status="new",
            )
            click.attach_lead(lead.id, None)
            aggregates += [click, lead]
            made.append(click.click)
        app.save(*aggregates)
    return made
