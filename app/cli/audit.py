"""`postback-ledger audit verify|check`: is the stored data as it was written, and consistent?

Both exit 0 when all holds and 1 otherwise, so that a cron job or a restore script can act on
the code; `--json` prints the report for scripts.
"""

from __future__ import annotations

import dataclasses
import sys

from app.cli.opening import database_address, database_errors
from app.cli.output import add_json_option, print_json


def register(commands) -> None:
    audit = commands.add_parser(
        "audit", help="check the stored data", description="Check the stored data."
    ).add_subparsers(title="audit commands")
    verify = audit.add_parser(
        "verify",
        help="recompute the hash chain over stored events and the seals of closed periods; "
        "exit 1 at the first broken link or seal",
        description="Recompute the tamper-evidence hash chain from ledger_events and report the "
        "first event changed, deleted or inserted after it was stored; then check that every "
        "closed period's seal holds and the ledger still holds the entries it sealed.",
    )
    add_json_option(verify)
    verify.set_defaults(handler=verify_chain)
    check = audit.add_parser(
        "check",
        help="check the invariants (ledger sums, balances, views against events); exit 1 on "
        "any violation",
        description="Check on one consistent snapshot: the ledger sums to zero per currency and "
        "per posting, balances equal entries, lead views and ledger positions equal the fold of "
        "each lead's events, every stored postback is in the postback log, no lead is duplicated.",
    )
    add_json_option(check)
    check.set_defaults(handler=check_invariants)


def verify_chain(args) -> int:
    """Exit 0 when the chain holds, 1 at the first broken link."""
    from app.audit.verify import describe, verify_chain

    address = database_address()
    with database_errors():
        report = verify_chain(address.conninfo())
        seals = period_seal_problems(address)
    intact = report.intact and not seals
    if args.json:
        print_json({"intact": intact, **dataclasses.asdict(report), "seal_problems": seals})
    else:
        for line in describe(report):
            print(line, file=sys.stdout if report.intact else sys.stderr)
        for line in seals or ["OK: every closed period's seal holds"]:
            print(line, file=sys.stderr if seals else sys.stdout)
    return 0 if intact else 1


def period_seal_problems(address) -> list[str]:
    """What `app.periods.seals.seal_problems` finds (empty: every closed period is intact)."""
    from app.eventstore.application import LedgerApplication
    from app.periods.seals import seal_problems

    ledger = LedgerApplication(env=address.eventsourcing_env(pool_size=2))
    try:
        with ledger.recorder.datastore.transaction(commit=False) as cursor:
            has_ledger = cursor.execute(
                "SELECT to_regclass('ledger_entries') IS NOT NULL AS present"
            ).fetchone()["present"]
            return seal_problems(ledger, cursor) if has_ledger else []
    finally:
        ledger.close()


def check_invariants(args) -> int:
    """Exit 0 when every invariant holds, 1 on any violation."""
    from app.audit.check import audit
    from app.eventstore.application import LedgerApplication

    address = database_address()
    with database_errors():
        ledger = LedgerApplication(env=address.eventsourcing_env(pool_size=2))
        try:
            report = audit(address, ledger)
        finally:
            ledger.close()
    if args.json:
        print_json({"ok": report.ok, "checked": report.checked, "violations": report.violations})
    else:
        for line in report.lines():
            print(line, file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
