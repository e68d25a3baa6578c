"""`postback-ledger lead history QUERY`: a lead's history, found as the support page finds it.

QUERY is the lead's id, its click or its exto. One match prints that lead's history; several
print the matches to choose from (exit 2, a request to make precise like every other request
mistake), none exits 1.
"""

from __future__ import annotations

import sys

from app.cli.opening import database_errors, open_services
from app.cli.output import CommandError, UsageError, add_json_option, console, print_json


def register(commands) -> None:
    lead = commands.add_parser(
        "lead", help="look into one lead", description="Look into one lead."
    ).add_subparsers(title="lead commands")
    history = lead.add_parser(
        "history",
        help="print a lead's history as a table",
        description="Every postback for the lead, its events, the money before and after, and "
        "recalculations. The lead is named by its id, its click or its exto, as on the support "
        "page.",
    )
    history.add_argument(
        "lead",
        metavar="QUERY",
        help="the lead's id, click or exto; one that begins with - goes after -- "
        "(a click id does 1 time in 64: lead history -- -HHQ6OhMA...)",
    )
    history.add_argument(
        "--width", type=int, default=None, help="table width in characters (default: terminal)"
    )
    add_json_option(history)
    history.set_defaults(handler=print_history)


def print_history(args) -> int:
    """Exit 0 with the history, 1 when no lead matches, 2 when several do."""
    from app.audit.answers import read_history
    from app.audit.history_table import history_table

    services = open_services()
    try:
        with database_errors():
            services.runner.catch_up()
            lead_id = _one_lead(services, args.lead.strip())
            found = read_history(services, lead_id)
    finally:
        services.ledger.close()
    if found is None:
        raise CommandError(f"lead {lead_id} is not known")
    if args.json:
        print_json(found)
    else:
        console(args.width).print(history_table(found))
    return 0


def _one_lead(services, query: str):
    from projections.lead_view.queries import find_leads

    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        leads = find_leads(cursor, query)
    if not leads:
        raise CommandError(f"no lead has the id, click or exto {query!r}")
    if len(leads) > 1:
        for row in leads:
            print(f"  {row['id']}  click={row['click']}  exto={row['exto']}", file=sys.stderr)
        raise UsageError(f"{len(leads)} leads match {query!r}; name one by its id")
    return leads[0]["id"]
