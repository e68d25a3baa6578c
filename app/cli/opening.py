"""Opening the database for a command, with the usual failures told in one line.

A wrong `DATABASE_URL` is the user's mistake (exit 2); a database that does not answer ends the
command with exit 1. Neither prints a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from app.cli.output import CommandError, UsageError
from app.settings import Settings


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a bad address or an unreachable database into a CommandError."""
    from projections.eventlog.store import DATABASE_DOWN_ERRORS

    try:
        yield
    except DATABASE_DOWN_ERRORS as error:
        raise CommandError(f"the database does not answer: {_first_line(error)}") from error
    except ValueError as error:
        if "DATABASE_URL" in str(error):
            raise UsageError(str(error)) from error
        raise


# A command or a follower (`projections run`, `notifier run`, `holds run`) uses a few pooled
# connections at once: a page read ahead while the last is written, and the sender's bookkeeping.
# LEDGER_POOL_SIZE sizes the HTTP workers' pools; opened eagerly by serve's four followers too,
# it took a node of two workers to 70 connections, and two such nodes past PostgreSQL's default
# max_connections of 100. The pool still grows to twice this on demand.
COMMAND_POOL_SIZE = 2


def open_services(settings: Settings | None = None):
    from app.services import Services

    settings = settings or Settings.from_env()
    with database_errors():
        return Services.open(
            replace(settings, pool_size=min(settings.pool_size, COMMAND_POOL_SIZE))
        )


def database_address(settings: Settings | None = None):
    from app.eventstore.database import database_address as address_of

    with database_errors():
        return address_of(settings or Settings.from_env())


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
