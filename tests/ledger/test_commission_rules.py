"""Commission rules as the operator states them: back-dated rates reprice, previews say by how
much, reversals keep the rule of what they reverse, and the rate history can be read."""

from __future__ import annotations

import csv
import io

from app.cli.main import main
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN, DEMO_CATALOG
from tests.ledger_controls import apply_catalog, changed, commission, created_lead

REG_WEBMASTER = b'  webmaster = { amount = "10.00", currency = "USD" }\n'
BACK_DATED = b'  webmaster = { amount = "12.00", currency = "USD" }\n'
BACK_DATED += b"  effective_from = 2020-01-01T00:00:00Z\n"
PERSONAL = b'amount = "12.00"\ncurrency = "USD"\n'


def back_dated_demo() -> bytes:
    """The operator's scenario: reg pays the webmaster 12.00 since 2020-01-01."""
    assert DEMO_CATALOG.count(REG_WEBMASTER) == 1
    return DEMO_CATALOG.replace(REG_WEBMASTER, BACK_DATED)


def back_dated_personal_demo() -> bytes:
    """wm-2's personal rate, 12.00 since it was applied, is 14.00 since 2020-01-01."""
    assert DEMO_CATALOG.count(PERSONAL) == 1
    new = b'amount = "14.00"\ncurrency = "USD"\neffective_from = 2020-01-01T00:00:00Z\n'
    return DEMO_CATALOG.replace(PERSONAL, new)


def _rebuild(services, dry_run: bool = False):
    return Rebuild(services.ledger, services.address, "all", "tester", dry_run).run()


def _entries(services) -> list[tuple]:
    with services.ledger.recorder.datastore.transaction() as cursor:
        rows = cursor.execute("SELECT * FROM ledger_entries ORDER BY position, id").fetchall()
    return [tuple(v for k, v in row.items() if k not in ("id", "recalculation_id")) for row in rows]


def test_a_back_dated_rate_lists_every_lead_since_and_a_rebuild_reprices_them(demo, services):
    first, _ = created_lead(demo, exto="bd-1")
    second, position = created_lead(demo, exto="bd-2")
    changed(demo, exto="bd-2", status="approve")
    commission(demo, second, after=position)

    answer = apply_catalog(demo, back_dated_demo())

    assert answer["rebuild_needed"] is True
    assert answer["leads_to_change"] == sorted([first, second])
    assert answer["leads_to_reprice"] == 2
    assert {"account": "webmaster:wm-1", "currency": "USD", "difference": "4.00"} in answer[
        "account_differences"
    ]
    preview = demo.get(f"/api/recalculations/{answer['rebuild_preview']}", headers=ADMIN).json()
    repriced = {line["lead"]: line for line in preview["differences"]["repriced"]}
    assert repriced[second]["before"]["webmaster"] == "10.00 USD"
    assert repriced[second]["after"]["webmaster"] == "12.00 USD"
    before = preview["rule_versions"]["catalog_version_before"]
    assert before < preview["rule_versions"]["catalog_version"]
    _rebuild(services)
    assert commission(demo, first)["webmaster_commission"]["amount"] == "12.00"
    assert commission(demo, second)["webmaster_commission"]["amount"] == "12.00"


def test_a_back_dated_personal_rate_reprices_that_webmasters_leads(demo, services):
    wm2, _ = created_lead(demo, flow="102", exto="p-1")
    wm1, position = created_lead(demo, exto="p-2")
    commission(demo, wm1, after=position)

    answer = apply_catalog(demo, back_dated_personal_demo())

    assert answer["leads_to_change"] == [wm2]
    assert answer["account_differences"] == [
        {"account": "network", "currency": "USD", "difference": "-2.00"},
        {"account": "webmaster:wm-2", "currency": "USD", "difference": "2.00"},
    ]
    _rebuild(services)
    assert commission(demo, wm2)["webmaster_commission"]["amount"] == "14.00"
    assert commission(demo, wm1)["webmaster_commission"]["amount"] == "10.00"


def test_a_rebuild_after_a_back_dated_change_equals_the_incremental_ledger(demo, services):
    created_lead(demo, exto="inc-1")
    changed(demo, exto="inc-1", status="hold")
    apply_catalog(demo, back_dated_demo())
    _rebuild(services)
    created_lead(demo, exto="inc-2")
    changed(demo, exto="inc-1", status="approve", goal="dep")
    changed(demo, exto="inc-2", status="approve")
    lead_id, position = created_lead(demo, exto="inc-3")
    commission(demo, lead_id, after=position)
    incremental = _entries(services)

    record = _rebuild(services)

    assert record.differences["leads"] == [] and record.differences["accounts"] == []
    assert _entries(services) == incremental


def test_the_command_line_apply_prints_the_leads_and_the_difference_per_account(
    demo, database, tmp_path, monkeypatch, capsys
):
    lead_id, position = created_lead(demo, exto="cli-1")
    commission(demo, lead_id, after=position)
    catalog = tmp_path / "back-dated.toml"
    catalog.write_bytes(back_dated_demo())
    monkeypatch.setenv("DATABASE_URL", database.url())
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))

    assert main(["catalog", "apply", str(catalog)]) == 0

    printed = capsys.readouterr().out
    assert "1 leads would be repriced" in printed
    assert "webmaster:wm-1" in printed and "USD  +2.00" in printed
    assert f"lead {lead_id}: pending advertiser 15.00 USD, webmaster 10.00 USD -> " in printed


def test_a_reversal_carries_the_rule_of_the_entries_it_reverses(demo):
    lead_id, _ = created_lead(demo, exto="rev-1")
    changed(demo, exto="rev-1", status="approve")
    position = changed(demo, exto="rev-1", status="approve", goal="dep")

    entries = commission(demo, lead_id, after=position)["entries"]
    exported = demo.get("/api/exports/ledger", headers=ADMIN).text
    page = demo.get(f"/support/leads/{lead_id}", headers=ADMIN).text

    last = [e for e in entries if e["position"] == position]
    assert {e["rule_version"] for e in last if e["reverses"]} == {"offer-1/reg@v1"}
    assert {e["rule_version"] for e in last if not e["reverses"]} == {"offer-1/dep@v1"}
    rows = [r for r in csv.DictReader(io.StringIO(exported)) if r["lead_id"] == lead_id]
    assert {r["rule_version"] for r in rows if r["reverses"] in ("true", "True")} == {
        "offer-1/reg@v1"
    }
    assert page.count("offer-1/reg@v1") >= 8  # 4 booked at creation, 4 reversed, … as labelled


def test_the_rate_history_names_every_version_who_applied_it_and_what_superseded_it(demo):
    apply_catalog(demo, back_dated_demo())

    response = demo.get(
        "/api/catalog/rates", params={"offer": "offer-1", "goal": "reg"}, headers=ADMIN
    )
    page = demo.get("/support/rates", params={"offer": "offer-1"}, headers=ADMIN)

    assert response.status_code == 200, response.text
    goal = next(r for r in response.json()["rates"] if r["webmaster"] is None)
    first, second = goal["versions"]
    assert (first["webmaster"], first["superseded_by"]) == ("10.00 USD", 2)
    assert (second["webmaster"], second["effective_from"]) == (
        "12.00 USD",
        "2020-01-01T00:00:00+00:00",
    )
    assert second["applied_by"] == "support" and second["applied_at"] is not None
    personal = [r for r in response.json()["rates"] if r["webmaster"] == "wm-2"]
    assert personal and personal[0]["versions"][0]["webmaster"] == "12.00 USD"
    assert page.status_code == 200 and "12.00 USD" in page.text and "v2" in page.text
