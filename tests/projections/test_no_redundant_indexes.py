"""Every index of the service's tables earns its writes: none is a leading part of another.

An index costs an entry per written row (a postback writes about 50 of them, the bulk of
PostgreSQL's work per postback: docs/performance.md). A plain b-tree whose columns begin another
b-tree of the same table answers nothing the longer one cannot (`deliveries_queued (queued_at)`
beside `deliveries_listed (queued_at, position, id)` did), so it is only a cost.
"""

from __future__ import annotations

_INDEXES = """
SELECT t.relname AS table_name, c.relname AS index_name, i.indisunique AS is_unique,
       i.indpred IS NOT NULL AS partial, i.indnkeyatts AS key_count,
       i.indnatts AS column_count, i.indkey::int2[] AS columns, a.amname AS method,
       i.indexprs IS NOT NULL AS on_expressions
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_am a ON a.oid = c.relam
WHERE t.relnamespace = 'public'::regnamespace
"""


def _plain_btree(index: dict) -> bool:
    return (
        index["method"] == "btree"
        and not index["partial"]
        and not index["on_expressions"]
        and index["key_count"] == index["column_count"]  # no INCLUDE columns
    )


def test_no_plain_btree_index_is_a_leading_part_of_another_index_of_its_table(services):
    from app.reconciliation import staging
    from app.reconciliation import store as reconciliation
    from projections.deliveries import schema as deliveries
    from projections.holds import schema as holds

    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        # The tables of the followers and of reconciliation, beside the read models' own.
        for create_tables in (deliveries.create_tables, holds.create_tables,
                              reconciliation.create_tables, staging.create):  # fmt: skip
            create_tables(cursor)
        indexes = cursor.execute(_INDEXES).fetchall()
    assert any(index["table_name"] == "deliveries" for index in indexes)  # its tables exist
    redundant = []
    for shorter in indexes:
        if shorter["is_unique"] or not _plain_btree(shorter):
            continue  # a unique index is a rule, not only a way in
        keys = list(shorter["columns"])[: shorter["key_count"]]
        for longer in indexes:
            longer_keys = list(longer["columns"])[: longer["key_count"]]
            if (
                longer["table_name"] == shorter["table_name"]
                and longer["index_name"] != shorter["index_name"]
                and longer["method"] == "btree"
                and not longer["partial"]
                and not longer["on_expressions"]
                and len(longer_keys) > len(keys)
                and longer_keys[: len(keys)] == keys
            ):
                redundant.append((shorter["index_name"], longer["index_name"]))
    assert redundant == []
