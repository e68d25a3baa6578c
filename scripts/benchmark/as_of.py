"""`scripts/bench --only-as-of`: an account's balances as of random moments, closed monthly.

Seeds --leads leads of wm-1 (offer-1, adv-1) spread evenly over --months months of 30 days that
end a day ago: each is created, approved two days later, and one in twenty is cancelled twenty
days after that (a clawback, often across a close). The events are stored through
`LedgerApplication` in time order with their timestamps at those past moments (the event clock
is patched while seeding), the read models catch up in this process, and each month is closed
(`close_period`) as soon as the events before its end are in, so positions and closes interleave
as they do in production. Then --queries moments drawn uniformly over the whole span are
answered by `balances_as_of_out` (what `GET /api/balances?webmaster=wm-1&as_of=T` runs):
`as_of.balances_ms` p50/p99. A few (--replays) are also answered by the replay of every lead's
events they replaced, `as_of.replay_ms`, and checked equal. The plan of the query for the
entries after a close is kept (after ANALYZE) to show which indexes it uses.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
from eventsourcing.domain import CanCreateTimestamp

from app.audit.answers import balances_as_of_out
from app.audit.as_of import balances_as_of_replay
from app.audit.as_of_snapshot import balances_as_of_snapshot
from app.eventstore.replica import read_transaction
from app.periods.closing import close_period
from app.services import Services
from app.settings import Settings
from domain.catalog_document import parse_catalog
from domain.lead import Lead
from domain.statuses import Status
from projections.lead_view.queries import lead_ids_of
from projections.periods import as_of as as_of_reads

from . import report
from .environment import ROOT, Database

ACCOUNT = "webmaster:wm-1"
MONTH = timedelta(days=30)
_CHUNK = 2000


class _Clock:
    """The time events get while seeding."""

    now = datetime(2000, 1, 1, tzinfo=UTC)


@contextmanager
def _events_at(clock: type[_Clock]):
    kept = CanCreateTimestamp.__dict__["create_timestamp"]
    CanCreateTimestamp.create_timestamp = staticmethod(lambda: clock.now)  # type: ignore[method-assign]
    try:
        yield
    finally:
        CanCreateTimestamp.create_timestamp = kept  # type: ignore[method-assign]


def only(args, argv: list[str]) -> int:
    """`scripts/bench --only-as-of [--leads N] [--months M]`: seed, close, measure, report."""
    database = Database.open()
    results: dict = {"command": " ".join(["scripts/bench", *argv]),
                     "machine": report.machine(), "database": database.describe()}  # fmt: skip
    try:
        results["as_of"] = measure(database, args.leads, args.months, args.queries, args.replays)
    finally:
        database.close()
    path = report.write(results, args.out)
    print()
    print(text(results["as_of"]))
    print(f"\nfigures written to {path}")
    return 0


def measure(database: Database, leads: int, months: int, queries: int, replays: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="plb-asof-", dir="/tmp"))
    settings = Settings(data_dir=folder, run_projections=False, pool_size=4)
    services = Services.open(settings, database.address)
    services.start()  # its writer only: the read models catch up when told
    try:
        start = (datetime.now(UTC) - timedelta(days=1) - months * MONTH).replace(microsecond=0)
        untils = [start + MONTH * (month + 1) for month in range(months)]
        began = time.monotonic()
        with _events_at(_Clock):
            events = _seed(services, leads, start, untils)
        seeded = time.monotonic() - began
        print(f"  {leads:,} leads, {events:,} events, {months} closes in {seeded:.0f}s", flush=True)
        with psycopg.connect(database.address.conninfo(), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE ledger_entries")  # as autovacuum would
            connection.execute("VACUUM ANALYZE period_statements")
            entries = connection.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        randomly = random.Random(22)
        moments = [start + (untils[-1] - start) * randomly.random() for _ in range(queries)]
        timed = [_timed(lambda at=at: balances_as_of_out(services, ACCOUNT, at)) for at in moments]
        replayed = _replays(services, moments[:replays])
        return {
            "leads": leads,
            "months": months,
            "ledger_entries": entries,
            "seeding_seconds": round(seeded, 1),
            "queries": queries,
            "balances_ms": _summary([ms for ms, _ in timed]),
            "replay_ms": _summary([ms for ms, _ in replayed]),
            "replays_equal": _snapshots(services, moments[:replays]) == [b for _, b in replayed],
            "plan": _plan(services, moments[0]),
        }
    finally:
        try:
            services.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _seed(services: Services, leads: int, start: datetime, untils: list[datetime]) -> int:
    """Store every lead's events in time order, closing each month once its events are in."""
    app = services.ledger
    _Clock.now = start - timedelta(hours=1)
    app.apply_catalog(parse_catalog((ROOT / "scripts/demo-catalog.toml").read_bytes()), _Clock.now)
    step = (untils[-1] - start) / leads
    plan: list[tuple[datetime, int, str]] = []
    for number in range(leads):
        created = start + step * number
        plan.append((created, number, "create"))
        plan.append((created + timedelta(days=2), number, "approve"))
        if number % 20 == 0:
            plan.append((created + timedelta(days=22), number, "cancel"))
    plan.sort()
    open_leads: dict[int, Lead] = {}
    pending: dict[int, Lead] = {}
    closes = iter(untils)
    next_close = next(closes, None)
    for at, number, what in plan:
        while next_close is not None and at >= next_close:
            _flush(services, pending)
            _close(services, next_close)
            next_close = next(closes, None)
        _Clock.now = at
        lead = _apply(open_leads, number, what)
        pending[number] = lead
        if what == "cancel" or (what == "approve" and number % 20):  # its last event
            del open_leads[number]
        if len(pending) >= _CHUNK:
            _flush(services, pending)
    _flush(services, pending)
    while next_close is not None:
        _close(services, next_close)
        next_close = next(closes, None)
    return len(plan)


def _apply(open_leads: dict[int, Lead], number: int, what: str) -> Lead:
    if what == "create":
        lead = Lead(id=uuid4(), postback_id=uuid4(), click=None, exto=f"o-{number}", flow=101,
                    offer="offer-1", advertiser="adv-1", webmaster="wm-1", goal="reg",
                    status="new")  # fmt: skip
        open_leads[number] = lead
        return lead
    lead = open_leads[number]
    status = Status.APPROVE if what == "approve" else Status.CANCEL
    lead.change_status(uuid4(), status, status.value)
    return lead


def _flush(services: Services, pending: dict[int, Lead]) -> None:
    if pending:
        services.ledger.save(*pending.values())
        pending.clear()


def _close(services: Services, until: datetime) -> None:
    services.runner.catch_up()
    _Clock.now = until + timedelta(hours=1)  # closed an hour after the month ended
    close_period(services.ledger, until, datetime.now(UTC), "bench", wait_seconds=60)
    services.runner.catch_up()


def _timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    answer = call()
    return (time.perf_counter() - began) * 1000, answer


def _replays(services: Services, moments: list[datetime]) -> list[tuple[float, dict]]:
    answers = []
    for at in moments:
        with read_transaction(services) as cursor:
            ids = lead_ids_of(cursor, "webmaster", "wm-1")
            answers.append(
                _timed(
                    lambda c=cursor, i=ids, t=at: balances_as_of_replay(
                        services.ledger, c, ACCOUNT, i, t
                    )
                )
            )
    return answers


def _snapshots(services: Services, moments: list[datetime]) -> list[dict]:
    with read_transaction(services) as cursor:
        return [balances_as_of_snapshot(cursor, ACCOUNT, at) for at in moments]


def _plan(services: Services, moment: datetime) -> list[str]:
    with read_transaction(services) as cursor:
        close = as_of_reads.latest_close(cursor, moment)
        if close is None:
            return []
        params = {"account": ACCOUNT, "moment": moment, "until": close["until"],
                  "until_seconds": close["until"].timestamp(),
                  "through": close["covers_through"]}  # fmt: skip
        rows = cursor.execute("EXPLAIN (COSTS OFF) " + as_of_reads._AFTER_CLOSE, params)
        return [row["QUERY PLAN"] for row in rows]


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max": round(ordered[-1], 1),
        "count": len(ordered),
    }


def text(result: dict) -> str:
    lines = [
        f"as-of balances of {ACCOUNT}: {result['leads']:,} leads over {result['months']} monthly"
        f" closes, {result['ledger_entries']:,} ledger entries",
        f"  from the nearest close: p50 {result['balances_ms'].get('p50')} ms,"
        f" p99 {result['balances_ms'].get('p99')} ms ({result['queries']} moments)",
        f"  replay of every lead:   p50 {result['replay_ms'].get('p50')} ms"
        f" ({result['replay_ms'].get('count', 0)} moments, equal: {result['replays_equal']})",
        "  plan of the entries after the close:",
        *(f"    {line}" for line in result["plan"]),
    ]
    return "\n".join(lines)
