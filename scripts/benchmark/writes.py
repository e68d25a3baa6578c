"""What one postback writes in PostgreSQL: rows and index entries per table, from its statistics.

`sample` reads each table's insert/update counters (pg_stat_user_tables) and index count;
`per_postback` turns two samples around a load run into rows and index entries per acknowledged
postback. An inserted row, or an update that is not HOT, adds an entry to every index of its
table; a HOT update adds none. Backends publish their counters at most once a second and an
idle one within 10 s, so both samples are taken once the read models have caught up and the
counters have settled (the first one too: the catch-up before a run must not count in it).
"""

from __future__ import annotations

import time

import psycopg

_COUNTERS = """
SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid) AS indexes
FROM pg_stat_user_tables t
"""
SETTLE_SECONDS = 11.0  # past PostgreSQL's 10 s flush of an idle backend's counters


def sample(conninfo: str) -> dict[str, tuple[int, int, int, int]]:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        rows = connection.execute(_COUNTERS).fetchall()
    return {name: (ins, upd, hot, indexes) for name, ins, upd, hot, indexes in rows}


def settled_sample(conninfo: str) -> dict[str, tuple[int, int, int, int]]:
    time.sleep(SETTLE_SECONDS)
    return sample(conninfo)


def per_postback(before: dict, after: dict, postbacks: int) -> dict:
    """Per table with writes: rows inserted, rows updated, index entries added, per postback."""
    tables = {}
    for name, (ins, upd, hot, indexes) in after.items():
        was = before.get(name, (0, 0, 0, indexes))
        inserted, updated, hot_updated = ins - was[0], upd - was[1], hot - was[2]
        if inserted or updated:
            entries = (inserted + updated - hot_updated) * indexes
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


def text(found: dict) -> str:
    parts = ", ".join(
        f"{name} {t['inserted'] + t['updated']:g} ({t['index_entries']:g} in {t['indexes']})"
        for name, t in found["tables"].items()
    )
    return (
        f"{found['rows']:g} rows and {found['index_entries']:g} index entries in all; by table,"
        f" rows (index entries in N indexes): {parts}"
    )
