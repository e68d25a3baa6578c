"""The bench's count of PostgreSQL writes per postback (scripts/benchmark/writes.py)."""

from __future__ import annotations

from scripts.benchmark.writes import per_postback


def test_index_entries_count_inserts_and_non_hot_updates_in_every_index():
    before = {"ledger_entries": (100, 0, 0, 4), "lead_view": (10, 20, 5, 3), "idle": (7, 7, 7, 2)}
    after = {"ledger_entries": (120, 0, 0, 4), "lead_view": (12, 28, 11, 3), "idle": (7, 7, 7, 2)}

    found = per_postback(before, after, postbacks=4)

    assert found["tables"]["ledger_entries"] == {
        "inserted": 5.0, "updated": 0.0, "hot_updated": 0.0, "indexes": 4, "index_entries": 20.0,
    }  # fmt: skip
    # 2 inserts and 8 updates, 6 of them HOT: (2 + 8 - 6) entries in each of 3 indexes, over 4
    assert found["tables"]["lead_view"]["index_entries"] == 3.0
    assert "idle" not in found["tables"]
    assert found["rows"] == 5.0 + 0.5 + 2.0 and found["index_entries"] == 23.0
    assert list(found["tables"]) == ["ledger_entries", "lead_view"]  # most entries first


def test_a_partial_index_counts_only_its_matching_rows_and_a_brin_index_none():
    # postback_log: 10 indexes, 5 of them whole b-trees; its partial ones held 30 rows, then 34.
    before = {"postback_log": (1000, 0, 0, 10, 5, 30)}
    after = {"postback_log": (1100, 0, 0, 10, 5, 34)}

    found = per_postback(before, after, postbacks=100)

    assert found["tables"]["postback_log"]["index_entries"] == (100 * 5 + 4) / 100
