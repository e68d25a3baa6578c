"""`postback-ledger projections rebuild NAME [--dry-run] [--json]`: a rebuild with a progress bar.

The bar counts lead events replayed, with their rate (events/s) and the time left. At the end
the command prints what the rebuild changed, per lead and per account, and where the audit
record is. While the bar is drawn, log records are printed through the same console, above the
bar, instead of breaking into it.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from app.cli.output import print_json
from app.cli.staff import record_cli_action
from app.ops.metrics import publishing_rebuild_progress
from projections.commission_ledger.recalculations import Recalculation
from projections.rebuild.rebuilder import Rebuild, RebuildBusy

_SHOWN_LINES = 20


def cli_actor() -> str:
    """Who runs the command: the operating-system user, as the audit record's actor."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "unknown")
    return f"cli:{user}"


def projections_rebuild(services, name: str, dry_run: bool, as_json: bool = False) -> int:
    console = Console(stderr=True)
    try:
        with _progress_bar(console) as bar, _logs_through(console):
            task = bar.add_task("rebuild " + name, total=None)

            def show(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            started = time.monotonic()
            rebuild = Rebuild(
                services.ledger,
                services.address,
                name,
                cli_actor(),
                dry_run,
                progress=publishing_rebuild_progress(show, name),
            )
            record = rebuild.run()
            elapsed = time.monotonic() - started
            touched = {"projections": name, "recalculation_id": str(record.id), "dry_run": dry_run}
            record_cli_action(services.ledger, "projections rebuild", touched)
    except RebuildBusy as busy:
        console.print(f"[red]not rebuilt:[/red] {busy}")
        return 1
    finally:
        services.ledger.close()
    if as_json:
        print_json({**recalculation_document(record), "seconds": round(elapsed, 3)})
        return 0
    rate = record.events_processed / elapsed if elapsed > 0 else 0.0
    print(f"{record.events_processed} events replayed in {elapsed:.1f} s ({rate:,.0f} events/s)")
    print_differences(record)
    print(
        "dry run: nothing switched" if dry_run else "switched to the rebuilt tables",
        f"(audit record: GET /api/recalculations/{record.id})",
    )
    return 0


def _signed(amount: str) -> str:
    return amount if amount.startswith("-") else f"+{amount}"


def _price(priced: dict | None) -> str:
    if priced is None:
        return "nothing booked"
    return f"{priced['bucket']} advertiser {priced['advertiser']}, webmaster {priced['webmaster']}"


def recalculation_document(record: Recalculation) -> dict:
    """The audit record as `--json` prints it (the same fields as GET /api/recalculations/ID)."""
    return {**dataclasses.asdict(record), "leads_changed": record.leads_changed}


def print_preview(preview: Recalculation | None) -> None:
    """After a retroactive rate change: what a rebuild would change (a recorded dry run)."""
    if preview is None:
        return
    print(f"dry run {preview.id} (GET /api/recalculations/{preview.id}):")
    print(
        f"{len(preview.leads_repriced)} leads would be repriced, "
        f"{len(preview.leads_relabelled)} relabelled (same amounts, another rule version)"
    )
    for line in preview.account_differences:
        print(f"  {line['account']:<24} {line['currency']}  {_signed(line['difference'])}")
    for line in preview.differences.get("repriced", ())[:_SHOWN_LINES]:
        print(f"  lead {line['lead']}: {_price(line['before'])} -> {_price(line['after'])}")
    print_differences(preview)
    print("run `postback-ledger projections rebuild all` to apply the new rates to these leads")


def print_differences(record: Recalculation) -> None:
    accounts = record.differences.get("accounts", [])
    print(
        f"{len(record.leads_repriced)} leads repriced, {len(record.leads_relabelled)} relabelled "
        f"(same amounts, another rule version or goal), {len(accounts)} account balances change"
    )
    for line in record.differences.get("leads", [])[:_SHOWN_LINES]:
        print(
            f"  lead {line['lead']}  {line['account']} {line['bucket']}: "
            f"{line['old']} -> {line['new']} {line['currency']}"
        )
    for line in record.differences.get("lead_view", [])[:_SHOWN_LINES]:
        print(f"  lead {line['lead']}  {line['field']}: {line['old']} -> {line['new']}")
    for line in accounts[:_SHOWN_LINES]:
        print(
            f"  account {line['account']} {line['bucket']}: "
            f"{line['old']} -> {line['new']} {line['currency']}"
        )


@contextmanager
def _logs_through(console: Console) -> Iterator[None]:
    """Log records go through the bar's console while it is drawn, then back to stderr."""
    from rich.logging import RichHandler

    root = logging.getLogger()
    before = root.handlers[:]
    root.handlers[:] = [RichHandler(console=console, show_path=False, markup=False)]
    try:
        yield
    finally:
        root.handlers[:] = before


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _EventsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


class _EventsPerSecond(ProgressColumn):
    """The replay's recent speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} events/s" if speed else "… events/s")
