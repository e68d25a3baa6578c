"""`postback-ledger notifier run`: queue and send webmasters' postbacks from this process.

`serve` runs it in a supervised process of its own (`--exit-with-parent`); on another node it
runs alone. Several may run: one leads per database (an advisory lock), the others stand by.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

log = logging.getLogger("postback_ledger")


def add_commands(commands) -> None:
    notifier = commands.add_parser(
        "notifier", help="send webmasters their postbacks"
    ).add_subparsers(title="notifier commands")
    run = notifier.add_parser(
        "run",
        help="follow the event log and deliver postbacks until interrupted",
        description="Queue a delivery for each lead event a webmaster's postback targets want "
        "and send it with retries (LEDGER_DELIVERY_ALLOW, LEDGER_DELIVERY_RETRY_BASE, "
        "LEDGER_DELIVERY_MAX_ATTEMPTS, LEDGER_DELIVERY_SUSPEND_AFTER). One leads per database.",
    )
    run.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one ends (used by `serve`)",
    )
    run.set_defaults(handler=run_notifier)


def run_notifier(args) -> int:
    from app.deliveries.service import NotifierService
    from app.deliveries.settings import DeliverySettings
    from app.ops.projection_process import parent_is_gone
    from app.services import Services
    from app.settings import Settings

    services = Services.open(Settings.from_env())
    notifier = NotifierService.open(services.ledger, services.address, DeliverySettings.from_env())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    notifier.start()
    log.info("notifier running; Ctrl-C to stop")
    parent = os.getppid()
    with contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(1.0):
            if args.exit_with_parent and parent_is_gone(parent):
                log.warning("the server that started the notifier is gone; stopping")
                break
    notifier.stop()
    services.ledger.close()
    return 0
