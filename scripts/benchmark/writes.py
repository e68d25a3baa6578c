"""What one postback writes in PostgreSQL: rows and index entries per table, from its statistics.

`sample` reads each table's insert/update counters (pg_stat_user_tables) and index count;
`per_postback` turns two samples around a load run into rows and index entries per acknowledged
postback. An inserted row, or an update that is not HOT, adds an entry to every whole index of
its table, and to a partial one only if it matches its predicate (counted by a query); a HOT
update adds none, and a BRIN index none per row. Backends publish their counters at most once a
second and an idle one within 10 s, so both samples are taken once the read models have caught
up and the counters have settled (the first one too: the catch-up before a run must not count).
"""

from __future__ import annotations

import time

import psycopg

_COUNTERS = """
SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid) AS indexes,
       (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am a ON a.oid = c.relam
        WHERE i.indrelid = t.relid AND i.indpred IS NULL AND a.amname <> 'brin') AS whole
FROM pg_stat_user_tables t
"""
# A partial index's entries are its table's rows that match its predicate, counted directly.
_PARTIAL = """
SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) AS predicate
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE i.indpred IS NOT NULL AND c.relnamespace = 'public'::regnamespace
"""
SETTLE_SECONDS = 11.0  # past PostgreSQL's 10 s flush of an idle backend's counters


def sample(conninfo: str) -> dict[str, tuple[int, ...]]:
    """Per table: inserted, updated, HOT-updated rows, indexes, whole b-tree-like indexes (an
    entry per written row), entries of its partial indexes. A BRIN index counts no entry per
    row: it keeps one summary per range of pages."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        rows = connection.execute(_COUNTERS).fetchall()
        partial: dict[str, int] = {}
        for table, predicate in connection.execute(_PARTIAL).fetchall():
            statement = f'SELECT count(*) FROM "{table}" WHERE {predicate}'
            partial[table] = partial.get(table, 0) + connection.execute(statement).fetchone()[0]
    return {
        name: (ins, upd, hot, indexes, whole, partial.get(name, 0))
        for name, ins, upd, hot, indexes, whole in rows
    }


def commits(conninfo: str) -> int:
    """Transactions committed in this database so far (every process's: writers, read models)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        statement = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        return connection.execute(statement).fetchone()[0]


def settled_sample(conninfo: str) -> dict[str, tuple[int, int, int, int]]:
    time.sleep(SETTLE_SECONDS)
    return sample(conninfo)


def per_postback(before: dict, after: dict, postbacks: int) -> dict:
    """Per table with writes: rows inserted, rows updated, index entries added, per postback."""
    tables = {}
    for name, counters in after.items():
        ins, upd, hot, indexes, whole, partial = _with_partial(counters)
        was = _with_partial(before.get(name, (0, 0, 0, indexes, whole, 0)))
        inserted, updated, hot_updated = ins - was[0], upd - was[1], hot - was[2]
        if inserted or updated:
            entries = (inserted + updated - hot_updated) * whole + max(0, partial - was[5])
            tables[name] = {
                "inserted": round(inserted / postbacks, 2),
                "updated": round(updated / postbacks, 2),
                "hot_updated": round(hot_updated / postbacks, 2),
                "indexes": indexes,
                "index_entries": round(entries / postbacks, 2),
            }
    return {
        "tables": dict(sorted(tables.items(), key=lambda kv: -kv[1]["index_entries"])),
        "rows": round(sum(t["inserted"] + t["updated"] for t in tables.values()), 2),
        "index_entries": round(sum(t["index_entries"] for t in tables.values()), 2),
    }


def _with_partial(counters: tuple[int, ...]) -> tuple[int, ...]:
    """A sample without the whole/partial split: every index whole."""
    return counters if len(counters) == 6 else (*counters, counters[3], 0)


def text(found: dict) -> str:
    parts = ", ".join(
        f"{name} {t['inserted'] + t['updated']:g} ({t['index_entries']:g} in {t['indexes']})"
        for name, t in found["tables"].items()
    )
    commits = (
        f"; {found['commits_per_second_of_load']:g} commits/s of load in all,"
        f" {found['postbacks_per_commit']:g} postbacks per commit"
        if "commits_per_second_of_load" in found
        else ""
    )
    return (
        f"{found['rows']:g} rows and {found['index_entries']:g} index entries in all{commits};"
        " by table,"
        f" rows (index entries in N indexes): {parts}"
    )
