"""Rebuilding the projections after rule changes, and the audit record every rebuild leaves."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
import pytest

from app.cli.main import main
from projections.rebuild.rebuilder import Rebuild, RebuildBusy
from tests.controls import ADMIN, lead
from tests.ledger_controls import (
    apply_catalog,
    changed,
    commission,
    created_lead,
    goal_rate_toml,
    personal_rate_toml,
)


def _entries(services) -> list[tuple]:
    """The ledger's entries without their row ids and recalculation marks, in posting order."""
    with services.ledger.recorder.datastore.transaction() as cursor:
        rows = cursor.execute("SELECT * FROM ledger_entries ORDER BY position, id").fetchall()
    return [tuple(v for k, v in row.items() if k not in ("id", "recalculation_id")) for row in rows]


def _leads_before_and_after_a_moment(client) -> tuple[str, str, datetime]:
    before, _ = created_lead(client, exto="before")
    moment = _now_after(_created_at(client, before))
    after, _ = created_lead(client, exto="after")
    assert _created_at(client, after) > moment
    # Booked before the rate changes: the ledger prices with the catalog it finds.
    commission(client, after, after=changed(client, exto="after", status="approve"))
    return before, after, moment


def _created_at(client, lead_id: str) -> datetime:
    return datetime.fromisoformat(lead(client, lead_id)["created_at"])


def _now_after(moment: datetime) -> datetime:
    """The first reading of the clock later than `moment` (the clock may not have moved yet)."""
    deadline = time.monotonic() + 10
    while (now := datetime.now(UTC)) <= moment:
        assert time.monotonic() < deadline, "the clock does not move"
    return now


def _rebuild(services, target: str = "all", dry_run: bool = False):
    return Rebuild(services.ledger, services.address, target, "tester", dry_run).run()


def test_a_rebuild_under_unchanged_rules_gives_the_same_ledger(demo, services):
    created_lead(demo, exto="r-1", pay="20.00", cc="EUR")
    changed(demo, exto="r-1", status="hold")
    created_lead(demo, exto="r-2")
    changed(demo, exto="r-2", status="approve", goal="dep")
    last_lead, position = created_lead(demo, exto="r-3")
    commission(demo, last_lead, after=position)
    incremental = _entries(services)

    record = _rebuild(services)

    assert _entries(services) == incremental
    assert record.differences == {"leads": [], "accounts": [], "lead_view": []}
    assert record.events_processed >= 6
    rebuilt = commission(demo, last_lead)["entries"]
    assert {entry["recalculation_id"] for entry in rebuilt} == {str(record.id)}


def test_a_retroactive_rate_change_answers_which_leads_a_rebuild_would_reprice(demo):
    before, after, moment = _leads_before_and_after_a_moment(demo)

    answer = apply_catalog(demo, goal_rate_toml("12.00", effective_from=moment))

    assert answer["rebuild_needed"] is True
    assert answer["leads_to_change"] == [after]
    preview = demo.get(f"/api/recalculations/{answer['rebuild_preview']}", headers=ADMIN).json()
    assert preview["dry_run"] is True
    assert preview["actor"] == "support"
    assert preview["differences"]["leads"] == [
        {"lead": after, "account": "network", "bucket": "approved", "currency": "USD",
         "old": "5.00", "new": "3.00"},
        {"lead": after, "account": "webmaster:wm-1", "bucket": "approved", "currency": "USD",
         "old": "10.00", "new": "12.00"},
    ]  # fmt: skip


def test_a_rate_change_from_now_on_needs_no_rebuild(demo):
    created_lead(demo, exto="n-1")

    answer = apply_catalog(demo, goal_rate_toml("12.00"))

    assert answer["rebuild_needed"] is False
    assert answer["rebuild_preview"] is None


def test_a_dry_run_reports_the_differences_and_switches_nothing(demo, services):
    _, after, moment = _leads_before_and_after_a_moment(demo)
    apply_catalog(demo, goal_rate_toml("12.00", effective_from=moment))

    record = _rebuild(services, "commissions", dry_run=True)

    assert record.leads_changed == [after]
    assert {"account": "webmaster:wm-1", "bucket": "approved", "currency": "USD",
            "old": "10.00", "new": "12.00"} in record.differences["accounts"]  # fmt: skip
    assert commission(demo, after)["webmaster_commission"]["amount"] == "10.00"


def test_a_rebuild_after_a_retroactive_change_reprices_exactly_the_leads_created_since(
    demo, services
):
    before, after, moment = _leads_before_and_after_a_moment(demo)
    apply_catalog(demo, goal_rate_toml("12.00", effective_from=moment))

    record = _rebuild(services, "all")

    assert record.leads_changed == [after]
    assert commission(demo, after)["webmaster_commission"]["amount"] == "12.00"
    assert commission(demo, before)["webmaster_commission"]["amount"] == "10.00"
    assert lead(demo, after)["webmaster_commission"]["amount"] == "12.00"
    assert lead(demo, after)["rule_version"] == "offer-1/reg@v2"


def test_a_personal_rate_from_the_past_reprices_only_that_webmasters_leads(demo, services):
    _, wm1_lead, moment = _leads_before_and_after_a_moment(demo)
    wm2_lead, position = created_lead(demo, flow="102", exto="wm2")
    commission(demo, wm2_lead, after=position)

    answer = apply_catalog(demo, personal_rate_toml("wm-2", "14.00", effective_from=moment))

    assert answer["leads_to_change"] == [wm2_lead]
    _rebuild(services, "commissions")
    assert commission(demo, wm2_lead)["webmaster_commission"]["amount"] == "14.00"
    assert commission(demo, wm1_lead)["webmaster_commission"]["amount"] == "10.00"


def test_postbacks_after_a_switch_are_booked_in_the_rebuilt_ledger(demo, services):
    lead_id, _ = created_lead(demo, exto="s-1")
    _rebuild(services, "all")

    position = changed(demo, exto="s-1", status="hold")

    entries = commission(demo, lead_id, after=position)["entries"]
    assert [entry["bucket"] for entry in entries][-4:] == ["hold"] * 4
    assert entries[-1]["recalculation_id"] is None
    assert lead(demo, lead_id, after=position)["status"] == "hold"


def test_every_rebuild_is_on_record_with_who_when_and_which_rules(demo, services):
    created_lead(demo, exto="a-1")
    first = _rebuild(services, "leads", dry_run=True)
    response = demo.post(
        "/api/recalculations", json={"projections": "commissions", "dry_run": False}, headers=ADMIN
    )
    assert response.status_code == 200, response.text

    listed = demo.get("/api/recalculations", headers=ADMIN).json()["items"]

    assert [item["id"] for item in listed] == [response.json()["id"], str(first.id)]
    assert [item["actor"] for item in listed] == ["support", "tester"]
    assert [item["dry_run"] for item in listed] == [False, True]
    full = demo.get(f"/api/recalculations/{first.id}", headers=ADMIN).json()
    assert full["projections"] == ["lead_view"]
    assert full["rule_versions"]["goal_rates"]["offer-1/reg"][0]["webmaster"] == "10.00 USD"
    assert full["started_at"] <= full["finished_at"]


def test_only_one_rebuild_runs_at_a_time(demo, services, database):
    with psycopg.connect(database.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (0x72656275696C64,))

        with pytest.raises(RebuildBusy):
            _rebuild(services)


def test_the_command_line_rebuild_prints_progress_and_the_differences(
    demo, database, tmp_path, monkeypatch, capsys
):
    _, after, moment = _leads_before_and_after_a_moment(demo)
    apply_catalog(demo, goal_rate_toml("12.00", effective_from=moment))
    monkeypatch.setenv("DATABASE_URL", database.url())
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))

    assert main(["projections", "rebuild", "all", "--dry-run"]) == 0

    printed = capsys.readouterr().out
    assert "events replayed" in printed and "events/s" in printed
    assert f"lead {after}  webmaster:wm-1 approved: 10.00 -> 12.00 USD" in printed
    assert "dry run: nothing switched" in printed


def test_the_command_line_catalog_apply_says_which_leads_a_rebuild_would_reprice(
    demo, database, tmp_path, monkeypatch, capsys
):
    _, after, moment = _leads_before_and_after_a_moment(demo)
    catalog = tmp_path / "rates.toml"
    catalog.write_text(goal_rate_toml("12.00", effective_from=moment))
    monkeypatch.setenv("DATABASE_URL", database.url())
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))

    assert main(["catalog", "apply", str(catalog)]) == 0

    printed = capsys.readouterr().out
    assert "REBUILD NEEDED" in printed
    assert f"lead {after}  webmaster:wm-1 approved: 10.00 -> 12.00 USD" in printed


def test_a_rebuild_clears_what_a_crashed_rebuild_left_behind(demo, services, database):
    with psycopg.connect(database.conninfo(), autocommit=True) as other:
        other.execute("CREATE SCHEMA rebuild_deadbeef0000")
        other.execute("CREATE TABLE rebuild_deadbeef0000.ledger_entries (id bigint)")

        _rebuild(services, "commissions", dry_run=True)

        schemas = other.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild%'")
        assert schemas.fetchall() == []
