"""Tamper evidence: a hash chain over every stored event, postbacks included.

Each position of the event store gets a link: hash_n = SHA-256 of hash_(n-1) and the stored row
at position n exactly as PostgreSQL holds it (notification id, originator id and version, topic,
state bytes). Changing, deleting or inserting a row in `ledger_events` afterwards breaks the
chain from that position on, which `postback-ledger audit verify` finds by recomputing it. The
links are written by the projection runner in the same transaction as the other read models.
An operator who keeps the latest head hash elsewhere (it is printed by `audit verify`) can also
detect a rewrite of the chain table itself.

Since issue 27 the links of one page are kept in one row of `audit_chain_pages` (the positions
as an array, the 32-byte hashes end to end) instead of a row per event in `audit_chain`: one row
and one index entry per page instead of per event, and the links are hashed from the rows the
runner has just read for the page instead of selecting them again. The chain is the same; a
database with the old table is converted when the tables are created.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from projections.bulk_copy import copy_rows

CHAIN_TABLE = "audit_chain_pages"
LEGACY_CHAIN_TABLE = "audit_chain"  # one row (position, hash) per event, before issue 27
GENESIS = bytes(32)  # the hash before the first event
HASH_SIZE = 32
_LEGACY_PAGE = 2000  # links per page when the old table is converted


def next_link(
    previous: bytes, position: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """The next link from the previous one and one stored event row's columns."""
    digest = hashlib.sha256(previous)
    digest.update(position.to_bytes(8, "big"))
    digest.update(originator_id.bytes)
    digest.update(version.to_bytes(8, "big", signed=True))
    for part in (topic.encode(), bytes(state)):
        digest.update(len(part).to_bytes(8, "big"))  # lengths keep field boundaries unambiguous
        digest.update(part)
    return digest.digest()


def link_hash(previous: bytes, row: dict) -> bytes:
    """The next link from the previous one and one stored event row (a dict row)."""
    return next_link(
        previous,
        row["notification_id"],
        row["originator_id"],
        row["originator_version"],
        row["topic"],
        row["state"],
    )


def stored_rows_statement(events_table: str) -> sql.Composed:
    return sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
        "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id"
    ).format(sql.Identifier(events_table))


_HEAD = (
    sql.SQL(
        "SELECT position, substring(hashes FROM length(hashes) - 31) AS hash "
        "FROM {} ORDER BY position DESC LIMIT 1"
    )
    .format(sql.Identifier(CHAIN_TABLE))
    .as_string(None)
)


class AuditChainProjection:
    """Appends one row of links to `audit_chain_pages` per page of stored events, in order."""

    name = "audit_chain"

    def __init__(self, events_table: str = "ledger_events") -> None:
        self._events_table = events_table

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, "
                "positions bigint[] NOT NULL, hashes bytea NOT NULL)"
            ).format(sql.Identifier(CHAIN_TABLE))
        )
        convert_legacy_chain(cursor)

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        """Chain from the head up to the page's last event, selecting the stored rows."""
        start, previous = self._head(cursor)
        rows = cursor.execute(
            stored_rows_statement(self._events_table), (start, events[-1][0]), binary=True
        ).fetchall()
        self._append(cursor, previous, [tuple(row.values()) for row in rows])

    def process_stored(self, cursor: psycopg.Cursor, rows: Sequence[tuple], after: int) -> None:
        """Chain the page's stored rows as the runner read them: every row after `after` up to
        the page's end (notification id, originator id, version, topic, state)."""
        start, previous = self._head(cursor)
        if start != after:  # the chain is not where the runner's position says: select again
            self.process(cursor, [(rows[-1][0], None)])
            return
        self._append(cursor, previous, rows)

    @staticmethod
    def _head(cursor: psycopg.Cursor) -> tuple[int, bytes]:
        head = cursor.execute(_HEAD).fetchone()
        return (head["position"], bytes(head["hash"])) if head else (0, GENESIS)

    @staticmethod
    def _append(cursor: psycopg.Cursor, previous: bytes, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        hashes = []
        for row in rows:
            previous = next_link(previous, *row)
            hashes.append(previous)
        positions = [row[0] for row in rows]
        copy_rows(
            cursor,
            CHAIN_TABLE,
            ("position", "positions", "hashes"),
            ("int8", "int8[]", "bytea"),
            [(positions[-1], positions, b"".join(hashes))],
        )


def convert_legacy_chain(cursor: psycopg.Cursor) -> None:
    """Moves the links of a per-event `audit_chain` table into pages, then drops it."""
    if cursor.execute("SELECT to_regclass(%s) AS t", (LEGACY_CHAIN_TABLE,)).fetchone()["t"] is None:
        return
    cursor.execute(
        sql.SQL(
            "INSERT INTO {} (position, positions, hashes) "
            "SELECT max(position), array_agg(position ORDER BY position), "
            "string_agg(hash, ''::bytea ORDER BY position) FROM {} "
            "GROUP BY (position - 1) / %s"
        ).format(sql.Identifier(CHAIN_TABLE), sql.Identifier(LEGACY_CHAIN_TABLE)),
        (_LEGACY_PAGE,),
    )
    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(LEGACY_CHAIN_TABLE)))
