"""The audit subcommands of `postback-ledger`: `audit verify` and `lead history ID`.

Kept apart from `app.cli.main` so the parser stays a table of contents; each handler opens what it
needs and returns the process exit code.
"""

from __future__ import annotations

import sys
from uuid import UUID

from app.settings import Settings


def audit_verify(args) -> int:
    """Exit 0 when the chain holds, 1 at the first broken link."""
    from app.audit.verify import describe, verify_chain
    from app.eventstore.database import database_address

    address = database_address(Settings.from_env())
    report = verify_chain(address.conninfo())
    for line in describe(report):
        print(line, file=sys.stdout if report.intact else sys.stderr)
    return 0 if report.intact else 1


def lead_history(args) -> int:
    """Print a lead's history as a table; exit 1 when the lead is unknown."""
    from rich.console import Console

    from app.audit.history_table import history_table
    from app.audit.routes import read_history
    from app.services import Services

    try:
        lead_id = UUID(args.lead_id)
    except ValueError:
        print(f"not a lead id: {args.lead_id!r}", file=sys.stderr)
        return 2
    services = Services.open(Settings.from_env())
    try:
        services.runner.catch_up()
        found = read_history(services, lead_id)
    finally:
        services.ledger.close()
    if found is None:
        print(f"lead {lead_id} is not known", file=sys.stderr)
        return 1
    Console(width=args.width).print(history_table(found))
    return 0
