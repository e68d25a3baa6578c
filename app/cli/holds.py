"""`postback-ledger holds`: the hold-release follower, and what is due, for an operator.

`holds run` follows the event log and releases holds as they fall due (`serve` runs it in a
supervised process of its own; on another node it runs alone; one leads per database).
`holds due --before DATE` lists the running holds that end before DATE with their sums;
`holds release --dry-run` shows what is due now (without `--dry-run` it releases it once).
"""

from __future__ import annotations

from app.cli.following import add_exit_with_parent, stop_requested, wait_for
from app.cli.opening import database_errors, open_services
from app.cli.output import UsageError, add_json_option, console, print_json

_PAGE = 500


def register(commands) -> None:
    holds = commands.add_parser(
        "holds", help="holds that end by their catalog rule"
    ).add_subparsers(title="holds commands")
    run = holds.add_parser(
        "run",
        help="follow the event log and release holds as they fall due, until interrupted",
        description="Keep the running holds from the event log and release each when its time "
        "comes, checking every LEDGER_HOLD_CHECK_SECONDS (default 60). One leads per database.",
    )
    add_exit_with_parent(run)
    run.set_defaults(handler=run_holds)
    due = holds.add_parser("due", help="list the running holds that end before a date")
    due.add_argument("--before", required=True, metavar="DATE", help="a date or ISO 8601 time")
    for name in ("webmaster", "advertiser", "offer"):
        due.add_argument(f"--{name}", default=None, help=f"only this {name}")
    add_json_option(due)
    due.set_defaults(handler=print_due)
    release = holds.add_parser("release", help="release what is due now, once")
    release.add_argument(
        "--dry-run", action="store_true", help="only show what is due now; change nothing"
    )
    add_json_option(release)
    release.set_defaults(handler=release_now)


def run_holds(args) -> int:
    from app.holds.follower import HoldFollower

    stop = stop_requested(args)
    services = open_services()
    settings = services.settings
    follower = HoldFollower(services.ledger, services.address, settings.hold_check_seconds)
    follower.start()
    code = wait_for(stop, "hold follower", lambda: follower.failure)
    follower.stop()
    services.ledger.close()
    return code


def print_due(args) -> int:
    from app.holds.listing import moment

    try:
        before = moment(args.before)
    except ValueError:
        raise UsageError(f"--before {args.before!r} is not a date or an ISO 8601 time") from None
    return _print_holds(args, before, args.webmaster, args.advertiser, args.offer)


def release_now(args) -> int:
    from app.holds import follower

    now = follower.utc_now()  # read through the module: a test sets the time there
    if args.dry_run:
        return _print_holds(args, now, None, None, None, inclusive=True)
    from app.cli.staff import record_cli_action

    services = open_services()
    try:
        with database_errors():
            releasing = follower.HoldFollower(services.ledger, services.address, clock=lambda: now)
            outcomes = releasing.release_due()
        found = {str(outcome): count for outcome, count in outcomes.items()}
        if any(found.values()):  # someone released holds by hand: the actions log says who
            record_cli_action(services.ledger, "holds release", found)
    finally:
        services.ledger.close()
    if args.json:
        print_json(found)
    else:
        print(", ".join(f"{n} {o}" for o, n in found.items()) or "nothing was due")
    return 0


def _print_holds(args, before, webmaster, advertiser, offer, inclusive=False) -> int:
    from datetime import timedelta

    from app.holds.follower import HoldFollower
    from app.holds.listing import hold_page
    from projections.holds.reads import HoldFilter

    if inclusive:  # due now: due_at <= now
        before = before + timedelta(microseconds=1)
    where = HoldFilter(before, webmaster, advertiser, offer)
    services = open_services()
    try:
        with database_errors():
            HoldFollower(services.ledger, services.address).catch_up()
            pages = [hold_page(services, where, None, _PAGE)]
            while pages[-1].next_cursor:
                pages.append(hold_page(services, where, pages[-1].next_cursor, _PAGE))
    finally:
        services.ledger.close()
    items = [item for page in pages for item in page.items]
    if args.json:
        print_json({"items": items, "sums": pages[0].sums})
    else:
        _table(items, pages[0].sums, args)
    return 0


def _table(items, sums, args) -> None:
    from rich.table import Table

    table = Table("lead", "hold until", "then", "rule", "webmaster", "commission")
    for item in items:
        money = item.webmaster_commission
        table.add_row(
            item.lead_id,
            item.hold_until.isoformat(),
            item.after_hold,
            f"{item.rule} ({item.hold_for}, catalog v{item.catalog_version})",
            item.webmaster,
            f"{money.amount} {money.currency}" if money else "",
        )
    totals = Table("webmaster", "then", "holds", "commission")
    for line in sums:
        totals.add_row(
            line.webmaster,
            line.after_hold,
            str(line.holds),
            f"{line.webmaster_commission or ''} {line.currency or ''}".strip(),
        )
    out = console()
    out.print(table)
    out.print(totals)
