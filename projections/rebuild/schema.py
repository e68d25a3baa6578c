"""The database side of a rebuild: its own schema, deferred indexes, the lock and the switch.

A rebuild writes tables of the same names as the live ones into a schema of its own, so the
projections' SQL needs no change: only the search path differs. Secondary indexes are dropped
while the tables fill and built once at the end, several times faster than keeping them up to
date row by row. The switch moves the new tables into the live schema (indexes, constraints
and sequences go with them) in the transaction that also holds the live runner off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from projections.runner import TRACKING_TABLE

_REBUILD_LOCK_KEY = 0x72656275696C64  # "rebuild": one rebuild per database at a time


class RebuildBusy(RuntimeError):
    """Another rebuild is running on this database."""


@dataclass
class RebuildSchema:
    """The live schema and the rebuild's own, on the rebuild's connection."""

    live: str
    rebuilt: str
    deferred_indexes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, connection: psycopg.Connection, name: str) -> RebuildSchema:
        """Take the rebuild lock and create the schema; `close` undoes both."""
        locked = connection.execute(
            "SELECT pg_try_advisory_lock(%s) AS locked", (_REBUILD_LOCK_KEY,)
        ).fetchone()["locked"]
        if not locked:
            raise RebuildBusy("another rebuild is running; try again when it has finished")
        live = connection.execute("SELECT current_schema() AS s").fetchone()["s"]
        _drop_leftovers(connection)
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        return cls(live, name)

    def close(self, connection: psycopg.Connection) -> None:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(self._rebuilt))
        connection.execute("SELECT pg_advisory_unlock(%s)", (_REBUILD_LOCK_KEY,))

    def use_rebuilt(self, cursor: psycopg.Cursor) -> None:
        """Unqualified names now mean the rebuild's tables (the live ones where it has none)."""
        cursor.execute(sql.SQL("SET LOCAL search_path TO {}, {}").format(self._rebuilt, self._live))

    def use_live(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(sql.SQL("SET LOCAL search_path TO {}").format(self._live))

    def defer_indexes(self, cursor: psycopg.Cursor) -> None:
        """Drop the new tables' secondary indexes, remembering how to build them again."""
        rows = cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname "
            "JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.schemaname = %s AND NOT x.indisunique",
            (self.rebuilt,),
        ).fetchall()
        for row in rows:
            cursor.execute(
                sql.SQL("DROP INDEX {}").format(sql.Identifier(self.rebuilt, row["indexname"]))
            )
            self.deferred_indexes.append(row["indexdef"])

    def build_indexes(self, cursor: psycopg.Cursor) -> None:
        # Each build sorts its table's keys: with PostgreSQL's default of 64 MB the ledger's
        # entries of a million events (~1.3 million rows, 250 MB) sorted on disk; 256 MB took
        # the five entry indexes from 5.2-5.7 s to 4.4-4.6 s (docs/performance.md, twelfth
        # push). Only for this transaction.
        cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
        for definition in self.deferred_indexes:
            cursor.execute(definition)  # from pg_indexes: schema-qualified, safe as it is
        self.deferred_indexes.clear()

    def hold_runner_off(self, cursor: psycopg.Cursor, names: tuple[str, ...]) -> dict[str, int]:
        """Lock the tracking table until commit; the live positions of the named projections."""
        tracking = sql.Identifier(self.live, TRACKING_TABLE)
        cursor.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tracking))
        rows = cursor.execute(
            sql.SQL("SELECT name, position FROM {} WHERE name = ANY(%s)").format(tracking),
            (list(names),),
        ).fetchall()
        found = {row["name"]: row["position"] for row in rows}
        return {name: found.get(name, 0) for name in names}

    def set_position(self, cursor: psycopg.Cursor, name: str, position: int) -> None:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (name, position) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position"
            ).format(sql.Identifier(self.live, TRACKING_TABLE)),
            (name, position),
        )

    def switch(self, cursor: psycopg.Cursor, tables: tuple[str, ...]) -> None:
        """Replace the live tables by the rebuilt ones."""
        for table in tables:
            cursor.execute(
                sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(self.live, table))
            )
            cursor.execute(
                sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                    sql.Identifier(self.rebuilt, table), self._live
                )
            )

    @property
    def _live(self) -> sql.Identifier:
        return sql.Identifier(self.live)

    @property
    def _rebuilt(self) -> sql.Identifier:
        return sql.Identifier(self.rebuilt)


def _drop_leftovers(connection: psycopg.Connection) -> None:
    """Schemas of rebuilds whose process died: with the rebuild lock held, none is in use."""
    rows = connection.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'"
    ).fetchall()
    for row in rows:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(row["nspname"]))
        )


def hold_rebuilds_off(cursor: psycopg.Cursor) -> bool:
    """Keep a rebuild from starting until this transaction ends; False if one is running now.

    For work that must see the live ledger stay put, such as closing a period. Shared: such
    works may run side by side, only a rebuild (which takes the lock whole) is kept out."""
    return cursor.execute(
        "SELECT pg_try_advisory_xact_lock_shared(%s) AS free", (_REBUILD_LOCK_KEY,)
    ).fetchone()["free"]
