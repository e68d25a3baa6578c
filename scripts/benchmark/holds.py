"""`scripts/bench --only-holds`: N holds falling due at once, released while postbacks go on.

Seeds N leads put on hold under a rule, all due at the same instant, and the usual clicks with
leads for the postback load; starts `serve` without its own hold follower; lets a follower in
this process (the same code `postback-ledger holds run` runs) take the holds in from the log.
An open-loop postback load runs first without releases, then in windows of --seconds for as
long as the releases last, while that follower's clock moves to the due instant and it releases
everything. Figures: releases per second, the time to release all, the postbacks' p99 beside.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from app.eventstore.application import LedgerApplication
from app.holds.follower import HoldFollower
from domain.hold_rules import HoldTerms
from domain.identity import lead_id_for_flow
from domain.lead import Lead

from . import open_loop
from .environment import Database, Server
from .seed import seed

_CHUNK = 2000


def measure(database: Database, holds: int, rate: float, seconds: int, workers) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="plb-holds-", dir="/tmp"))
    seeded = seed(database.address, folder, 5000, 0, 1)
    app = LedgerApplication(env=database.address.eventsourcing_env(pool_size=4))
    try:
        due = datetime.now(UTC) + timedelta(days=1)
        started = time.monotonic()
        _seed_holds(app, holds, due)
        seeded_seconds = time.monotonic() - started
        server = Server.start(database, workers, None, folder, extra_env={"LEDGER_RUN_HOLDS": "0"})
        try:
            return _run(app, database, server, seeded.with_lead, holds, due, rate, seconds) | {
                "holds": holds,
                "seeding_seconds": round(seeded_seconds, 1),
            }
        finally:
            server.stop()
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)


def _run(app, database, server, with_lead, holds, due, rate, seconds) -> dict:
    clock = _Clock(due - timedelta(days=1))
    follower = HoldFollower(app, database.address, clock=clock)
    started = time.monotonic()
    follower.catch_up()
    tracked = time.monotonic() - started
    print(f"  {holds:,} holds taken in from the log in {tracked:.1f}s", flush=True)
    print(f"  postbacks at {rate:,.0f}/s without releases ({seconds}s) ...", flush=True)
    quiet = open_loop.measure(server.port, rate, seconds, with_lead)
    print(f"  releasing {holds:,} holds under the same load ...", flush=True)
    result: dict = {}

    def release() -> None:
        clock.now = due
        began = time.monotonic()
        result["outcomes"] = follower.release_due()
        result["seconds"] = time.monotonic() - began

    releasing = threading.Thread(target=release)
    releasing.start()
    windows = []  # the load runs in windows of `seconds` for as long as the releases last
    while releasing.is_alive():
        windows.append(open_loop.measure(server.port, rate, seconds, with_lead))
    releasing.join()
    outcomes, released_seconds = result["outcomes"], result["seconds"]
    during = max(windows, key=lambda w: w.get("latency_ms", {}).get("p99", 0), default={})
    released = outcomes.get("released", 0)
    return {
        "releases_per_second": round(released / released_seconds, 1) if released else 0.0,
        "release_seconds": round(released_seconds, 1),
        "released": released,
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "tracking_seconds": round(tracked, 1),
        "postbacks_without_releases": quiet,
        "postbacks_during_releases": during,  # the window with the worst p99
        "postback_p99_ms_per_window_during_releases": [
            w.get("latency_ms", {}).get("p99") for w in windows
        ],
        "postback_p99_ms_during_releases": during.get("latency_ms", {}).get("p99"),
        "postback_p99_ms_without_releases": quiet.get("latency_ms", {}).get("p99"),
    }


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _seed_holds(app: LedgerApplication, count: int, due: datetime) -> None:
    """Leads created straight into hold, each with terms that end at `due`."""
    version = app.catalog_version()
    made = 0
    while made < count:
        leads = []
        for n in range(made, min(made + _CHUNK, count)):
            terms = HoldTerms(due, "approve", "offer-1/reg", "1d", version, due - timedelta(days=1))
            leads.append(
                Lead(
                    id=lead_id_for_flow(101, f"hold-{n}"),
                    postback_id=uuid4(),
                    click=None,
                    exto=f"hold-{n}",
                    flow=101,
                    offer="offer-1",
                    advertiser="adv-1",
                    webmaster="wm-1",
                    goal="reg",
                    status="hold",
                    hold=terms.to_event(),
                )
            )
        app.save(*leads)
        made += len(leads)


def text(found: dict) -> str:
    return (
        f"holds: {found['released']:,} of {found['holds']:,} released in "
        f"{found['release_seconds']}s ({found['releases_per_second']:,.0f}/s); postback p99 "
        f"{found['postback_p99_ms_without_releases']} ms without releases, "
        f"{found['postback_p99_ms_during_releases']} ms during them"
    )
