"""`postback-ledger reconcile FILE --advertiser ID --from … --to …`: the upload, from a shell.

Runs the same reconciliation as `POST /api/reconciliations` on the same database, with a
progress bar over the file's bytes and the summary as a table. The actor recorded is the
operating-system user (`cli:<user>`), as for the other commands that change records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_HELP = (
    "Match an advertiser's CSV statement against the ledger's leads of the period and store "
    "the report (GET /api/reconciliations/ID). Columns by name, any case: exto, click, flow, "
    "status, amount, currency, time, goal; other names through --mapping."
)


def register(commands) -> None:
    parser = commands.add_parser("reconcile", help="reconcile an advertiser's statement",
                                 description=_HELP)  # fmt: skip
    parser.add_argument("file", type=Path, metavar="FILE", help="the statement (CSV, UTF-8)")
    parser.add_argument("--advertiser", required=True, metavar="ID", help="the advertiser's id")
    parser.add_argument("--from", dest="start", required=True, help="period start (inclusive)")
    parser.add_argument("--to", dest="end", required=True, help="period end (exclusive)")
    parser.add_argument("--mapping", help="such as 'exto:Order ID,amount:Payout,sta:paid|ok' "
                        "(remembered for the advertiser)")  # fmt: skip
    parser.add_argument("--use-remembered-mapping", action="store_true",
                        help="read the file with the advertiser's remembered mapping")  # fmt: skip
    parser.add_argument("--amount-tolerance", default="0", help="absolute (default 0)")
    parser.add_argument("--time-tolerance", default="1d", help="such as 1d, 12h (default 1d)")
    parser.set_defaults(handler=reconcile_command)


def reconcile_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from app.cli.rebuild import cli_actor
    from app.reconciliation.options import upload_from
    from app.reconciliation.parsing import StatementError

    console = Console(stderr=True, soft_wrap=True)
    try:
        upload = upload_from(
            args.advertiser, args.start, args.end, args.mapping, args.amount_tolerance,
            args.time_tolerance, cli_actor(), args.file.name, args.use_remembered_mapping,
        )  # fmt: skip
        with args.file.open("rb") as file:
            return _run(upload, file, args.file.stat().st_size, console)
    except StatementError as error:
        console.print(f"[red]statement not reconciled ({error.code}):[/red] {error.message}")
        return 1
    except OSError as error:  # one line, the reason in words (no "[Errno 2] ..." repr)
        reason = error.strerror or type(error).__name__
        console.print(f"[red]cannot read {args.file}:[/red] {reason}", highlight=False)
        return 2


def _run(upload, file, size: int, console) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from app.cli.opening import open_services
    from app.cli.staff import record_cli_action
    from app.reconciliation.matching import Refused, reconcile
    from app.reconciliation.turns import Busy

    services = open_services()  # a database that does not answer: one line, exit 1
    try:
        services.runner.catch_up()  # match against every lead recorded so far
        columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("reconciling", total=size)
            run_id, summary = reconcile(
                services.ledger, services.catalog.current(), upload, file,
                lambda done: progress.update(task, completed=done),
            )  # fmt: skip
            progress.update(task, completed=size)
        touched = {"reconciliation_id": str(run_id), "advertiser": upload.advertiser}
        record_cli_action(services.ledger, "reconcile", touched)
    except Refused as refused:
        error = refused.error
        console.print(f"[red]statement refused ({error.code}):[/red] {error.message}")
        console.print(f"the refusal is recorded as reconciliation {refused.reconciliation_id}")
        return 1
    except Busy as busy:
        console.print(f"[red]statement not reconciled (advertiser_busy):[/red] {busy}")
        return 1
    finally:
        services.ledger.close()
    _print_summary(run_id, summary)
    return 0


def _print_summary(run_id, summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Reconciliation {run_id}")
    for column in ("class", "lines", "sums"):
        table.add_column(column, justify="right" if column == "lines" else "left")
    for name, found in summary.items():
        sums = ", ".join(f"{amount} {currency}" for currency, amount in found["sums"].items())
        table.add_row(name, str(found["count"]), sums or "-")
    Console(file=sys.stdout).print(table)
