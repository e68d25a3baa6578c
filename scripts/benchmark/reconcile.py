"""Reconciliation speed and memory: `postback-ledger reconcile` on generated statements.

The lead view is seeded directly (COPY of N leads of adv-1 spread over 30 days): this measures
the reconciliation, not ingestion. Two statements are generated, of N/10 and N lines, each over
its own period (the leads of those days), with one line in a hundred of each kind: an amount
outside the tolerance, another status, an order the ledger does not have, a repeated line, and
a lead left out (only in the ledger). The command runs as a child process, timed, with its own
peak memory (`wait4`), so "flat memory" reads as: the N-line run peaks where the N/10 one does.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress
from domain.catalog_document import parse_catalog
from projections.lead_view.projection import LeadViewProjection

from .environment import ROOT

START = datetime(2026, 11, 1, tzinfo=UTC)
MAPPING = "exto:Order ID,amount:Payout,time:Date"
_LEAD_COLUMNS = (
    "id", "click", "exto", "flow", "offer", "advertiser", "webmaster", "goal", "status",
    "advertiser_amount", "advertiser_currency", "webmaster_amount", "webmaster_currency",
    "rule_version", "created_at", "updated_at", "version", "last_postback_id", "position",
)  # fmt: skip


def measure(address: DatabaseAddress, folder: Path, leads: int) -> dict:
    """N/10 lines, then N lines twice in a row on the same database: the second run meets the
    statistics the first left (ANALYZE in between, as autovacuum would), which once turned the
    duplicates step into a nested loop; `lines_per_second` gives both N-line runs."""
    step = timedelta(days=30) / leads
    _seed(address, leads, step)
    runs = {}
    for lines, name in ((leads // 10, "small"), (leads, "first"), (leads, "second")):
        path = folder / f"statement-{lines}.csv"
        if not path.exists():
            _write_statement(path, lines, step)
        if name == "second":
            with psycopg.connect(address.conninfo()) as connection:
                connection.execute("ANALYZE reconciliation_lines")
        print(f"reconciling {lines:,} lines ({path.stat().st_size / 1e6:.1f} MB, {name} run) ...",
              flush=True)  # fmt: skip
        runs[f"{lines} ({name})"] = _run(address, folder, path, START, START + step * lines)
    rates = {name: runs[f"{leads} ({name})"]["lines_per_second"] for name in ("first", "second")}
    return {"leads_in_view": leads, "lines_per_second": rates, "runs": runs}


def _seed(address: DatabaseAddress, leads: int, step: timedelta) -> None:
    app = LedgerApplication(env=address.eventsourcing_env(2))
    try:
        document = parse_catalog((ROOT / "scripts/demo-catalog.toml").read_bytes())
        app.apply_catalog(document, START - timedelta(days=1))
    finally:
        app.close()
    with psycopg.connect(address.conninfo()) as connection, connection.cursor() as cursor:
        LeadViewProjection(lambda: None).create_tables(cursor)  # type: ignore[arg-type]
        names = ", ".join(_LEAD_COLUMNS)
        with cursor.copy(f"COPY lead_view ({names}) FROM STDIN") as copy:
            for i in range(leads):
                at = START + step * i
                copy.write_row((
                    uuid.uuid4(), None, f"ord-{i:07d}", 101, "offer-1", "adv-1", "wm-1", "reg",
                    "approve", Decimal("15.00"), "USD", Decimal("10.00"), "USD", "offer-1/reg@v1",
                    at, at, 1, uuid.uuid4(), i + 1,
                ))  # fmt: skip
        connection.execute("ANALYZE lead_view")


def _write_statement(path: Path, lines: int, step: timedelta) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeffOrder ID;Status;Payout;Currency;Date\r\n")
        for i in range(lines):
            kind = i % 100
            if kind == 0:
                continue  # only in the ledger
            exto = f"new-{i}" if kind == 3 else f"ord-{i:07d}"
            status = "cancelled" if kind == 2 else "approved"
            payout = "20.00" if kind == 1 else "15.00"
            row = f'"{exto}";{status};{payout};USD;{(START + step * i).isoformat()}\r\n'
            out.write(row * (2 if kind == 4 else 1))


def _run(address: DatabaseAddress, folder: Path, path: Path, start, end) -> dict:
    command = [
        str(ROOT / ".venv/bin/postback-ledger"), "reconcile", str(path), "--advertiser",
        "adv-1", "--from", start.isoformat(), "--to", end.isoformat(), "--mapping", MAPPING,
    ]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": address.url(), "LEDGER_DATA_DIR": str(folder),
           "LEDGER_LOG_LEVEL": "WARNING"}  # fmt: skip
    began = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = child.stdout.read().decode() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    return {
        "seconds": round(seconds, 2),
        "lines_per_second": round(int(path.stem.split("-")[1]) / seconds),
        "lines": int(path.stem.split("-")[1]),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # The command's own CPU (not PostgreSQL's): on a shared machine, steadier than seconds.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "exit_code": child.returncode,
        "summary": output.strip(),
    }


def text(found: dict) -> str:
    lines = [f"reconciliation against a lead view of {found['leads_in_view']:,} leads:"]
    for count, run in found["runs"].items():
        lines.append(
            f"  {count:>18} ({run['file_mb']} MB): {run['seconds']} s, "
            f"{run['lines_per_second']:,} lines/s, CPU {run['cpu_seconds']} s, "
            f"peak RSS {run['peak_rss_mb']} MB"
            + ("" if run["exit_code"] == 0 else f"  FAILED (exit {run['exit_code']})")
        )
    last = list(found["runs"].values())[-1]
    return "\n".join([*lines, last["summary"]])
