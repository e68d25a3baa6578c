"""`postback-ledger notifier run`: queue and send webmasters' postbacks from this process.

`serve` runs it in a supervised process of its own (`--exit-with-parent`); on another node it
runs alone. Several may run: one leads per database (an advisory lock), the others stand by.
"""

from __future__ import annotations

import argparse

from app.cli.following import add_exit_with_parent, stop_requested, wait_for

# What shapes the notifier, as README's Configuration table says (app.deliveries.settings reads it).
SETTINGS_HELP = """\
environment:
  LEDGER_DELIVERY_PER_HOST       requests in flight at once to one host (default 8)
  LEDGER_DELIVERY_CONCURRENCY    requests in flight at once, all hosts together (default 128)
  LEDGER_DELIVERY_RETRY_BASE     seconds before the first retry, doubling with jitter up to
                                 24 h (default 60)
  LEDGER_DELIVERY_MAX_ATTEMPTS   attempts before a delivery fails for good (default 12)
  LEDGER_DELIVERY_SUSPEND_AFTER  failed attempts in a row before a URL is suspended (default 10)
  LEDGER_DELIVERY_ALLOW          comma list of CIDRs that deliveries may reach although private
                                 or loopback (default none)
"""


def register(commands) -> None:
    notifier = commands.add_parser(
        "notifier",
        help="send webmasters their postbacks",
        description="Send webmasters their postbacks: `serve` runs the notifier itself "
        "(LEDGER_RUN_NOTIFIER=0 turns that off); `notifier run` runs it alone, on another node.",
    ).add_subparsers(title="notifier commands")
    run = notifier.add_parser(
        "run",
        help="follow the event log and deliver postbacks until interrupted",
        description="Queue a delivery for each lead event a webmaster's postback targets want\n"
        "and send it with retries. One leads per database.",
        epilog=SETTINGS_HELP,
        # The settings below are a table: argparse's default formatter would run it into one
        # paragraph.
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--part",
        choices=["all", "queue", "send"],
        default="all",
        help="what this process does: 'queue' follows the log and queues deliveries, 'send' "
        "sends them, 'all' (default) both. `serve` runs a 'queue' and a 'send' process. One of "
        "each leads per database",
    )
    add_exit_with_parent(run)
    run.set_defaults(handler=run_notifier)


def run_notifier(args) -> int:
    from app.cli.opening import open_services
    from app.deliveries.service import NotifierService
    from app.deliveries.settings import DeliverySettings

    stop = stop_requested(args)
    services = open_services()
    parts = ("queue", "send") if args.part == "all" else (args.part,)
    notifier = NotifierService.open(
        services.ledger, services.address, DeliverySettings.from_env(), parts=parts
    )
    notifier.start()
    code = wait_for(stop, "notifier", lambda: notifier.failure)
    notifier.stop()
    services.ledger.close()
    return code
