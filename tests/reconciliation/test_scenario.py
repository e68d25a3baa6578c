"""A statement with every class of line, accepted in part, and reconciled again.

The ledger holds five leads of adv-1 (flow 101): o-1 approved, o-2…o-5 new, each paying 15.00
USD. The statement (semicolon-separated, with a BOM and its own column names) says:

    line 2  o-1  Approved  15.00   -> matched
    line 3  o-2  Done      15.00   -> value_differs: "Done" is approve only through the mapping
    line 4  o-3  new       15.03   -> matched: inside the 0.05 amount tolerance
    line 5  o-4  new       20.00   -> value_differs: outside the tolerance
    line 6  o-6  approved  15.00   -> only_in_statement (names flow 101, so it can be created)
    line 7  o-1  approved  15.00   -> duplicates (repeats line 2)
    o-5 is in no line              -> only_in_ledger
"""

from __future__ import annotations

import hashlib

import pytest

from tests.controls import ADMIN, change, create, lead
from tests.reconciliation.controls import (
    accept,
    counts,
    lines,
    statement,
    upload,
    uploaded,
)

MAPPING = "exto:Order ID,amount:Payout,sta:done"
HEADER = ["Order ID", "Status", "Payout", "Currency", "Flow"]
ROWS = [
    ["o-1", "Approved", "15.00", "USD", "101"],
    ["o-2", "Done", "15.00", "USD", "101"],
    ["o-3", "new", "15.03", "USD", "101"],
    ["o-4", "new", "20.00", "USD", "101"],
    ["o-6", "approved", "15.00", "USD", "101"],
    ["o-1", "approved", "15.00", "USD", "101"],
]
BODY = statement(ROWS, HEADER, delimiter=";", bom=True)


@pytest.fixture
def ledger(demo, services):
    for exto in ("o-1", "o-2", "o-3", "o-4", "o-5"):
        assert create(demo, flow="101", exto=exto).status_code == 200
    assert change(demo, flow="101", exto="o-1", status="approve").status_code == 200
    services.runner.catch_up()
    return demo


def reconciled(client, **params) -> dict:
    return uploaded(client, BODY, mapping=MAPPING, amount_tolerance="0.05", **params)


def by_exto(client, run_id: str) -> dict[str, dict]:
    return {line["exto"]: line for line in lines(client, run_id) if line["class"] != "duplicates"}


def balances(client, services) -> dict:
    services.runner.catch_up()
    response = client.get("/api/balances", params={"advertiser": "adv-1"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["balances"]["USD"]


def test_every_class_is_counted_and_summed_per_currency(ledger):
    run = reconciled(ledger)

    assert run["summary"] == {
        "matched": {"count": 2, "sums": {"USD": "30.03"}},
        "value_differs": {"count": 2, "sums": {"USD": "35.00"}},
        "only_in_statement": {"count": 1, "sums": {"USD": "15.00"}},
        "only_in_ledger": {"count": 1, "sums": {"USD": "15.00"}},
        "duplicates": {"count": 1, "sums": {"USD": "15.00"}},
    }


def test_a_differing_line_names_each_field_with_both_values(ledger):
    found = by_exto(ledger, reconciled(ledger)["id"])

    assert found["o-2"]["differences"] == [
        {"field": "status", "statement": "Done (approve)", "ledger": "new"}
    ]
    assert found["o-4"]["differences"] == [
        {"field": "amount", "statement": "20.00 USD", "ledger": "15.00 USD"}
    ]
    assert found["o-3"]["class"] == "matched"
    assert found["o-5"]["class"] == "only_in_ledger"
    duplicate = [
        line for line in lines(ledger, reconciled(ledger)["id"], **{"class": "duplicates"})
    ]
    assert [(d["line"], d["duplicate_of"]) for d in duplicate] == [(7, 2)]


def test_a_status_word_outside_the_table_needs_the_mapping(ledger):
    response = upload(ledger, BODY, mapping="exto:Order ID,amount:Payout")

    assert response.status_code == 400
    assert response.json()["error"] == "unknown_status"
    assert (response.json()["line"], response.json()["column"]) == (3, "Status")


def test_the_report_names_the_file_who_ran_it_and_the_mapping(ledger):
    run = reconciled(ledger, file_name="acme-november.csv")

    report = ledger.get(f"/api/reconciliations/{run['id']}", headers=ADMIN).json()

    assert report["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert report["size"] == len(BODY)
    assert report["actor"] == "support"
    assert report["file_name"] == "acme-november.csv"
    assert report["mapping"] == "exto:Order ID,amount:Payout,sta:done"
    assert report["summary"] == run["summary"]
    assert report["header"] == HEADER


def test_lines_are_paged_and_exported_as_csv(ledger):
    run_id = reconciled(ledger)["id"]

    first = ledger.get(f"/api/reconciliations/{run_id}/lines", params={"limit": 4}, headers=ADMIN)
    rest = ledger.get(
        f"/api/reconciliations/{run_id}/lines",
        params={"limit": 4, "after": first.json()["next_after"]},
        headers=ADMIN,
    )
    exported = ledger.get(f"/api/reconciliations/{run_id}/lines.csv", headers=ADMIN)

    numbers = [line["line"] for line in first.json()["items"] + rest.json()["items"]]
    assert numbers == [2, 3, 4, 5, 6, 7, 8]
    assert rest.json()["next_after"] is None
    assert exported.text.splitlines()[0].startswith("line,class,lead_id")
    assert len(exported.text.splitlines()) == 1 + 7
    assert "status: statement Done (approve), ledger new" in exported.text


def test_the_mapping_is_remembered_for_the_advertiser(ledger):
    reconciled(ledger)

    again = uploaded(ledger, BODY, amount_tolerance="0.05", use_remembered_mapping="true")

    assert counts(again["summary"]) == counts(reconciled(ledger)["summary"])


def test_a_dry_run_answers_the_balances_and_changes_nothing(ledger, services):
    run_id = reconciled(ledger)["id"]
    before = balances(ledger, services)

    answer = accept(ledger, run_id, classes=["value_differs"], dry_run=True)

    moved = {(b["account"], b["bucket"]): (b["before"], b["after"]) for b in answer["balances"]}
    assert moved[("advertiser:adv-1", "approved")] == ("15.00", "30.00")  # o-2 approved
    assert moved[("advertiser:adv-1", "pending")] == ("60.00", "50.00")  # -15 o-2, +5 o-4
    assert balances(ledger, services) == before
    assert all(line["settled_at"] is None for line in lines(ledger, run_id))


def test_accepting_part_changes_those_leads_the_balances_history_and_timeline(ledger, services):
    run = reconciled(ledger, file_name="acme-november.csv")
    found = by_exto(ledger, run["id"])

    answer = accept(ledger, run["id"], lines=[found["o-2"]["line"], found["o-6"]["line"]])

    assert [(line["line"], line["outcome"]) for line in answer["lines"]] == [
        (3, "settled"), (6, "settled")
    ]  # fmt: skip
    services.runner.catch_up()
    assert lead(ledger, found["o-2"]["lead_id"])["status"] == "approve"
    assert lead(ledger, found["o-4"]["lead_id"])["status"] == "new"  # not accepted
    created = lead(ledger, answer["lines"][1]["lead_id"])
    assert (created["exto"], created["status"], created["webmaster"]) == ("o-6", "approve", "wm-1")
    assert balances(ledger, services)["approved"] == "45.00"  # o-1, o-2 and o-6
    label = f"from reconciliation {run['id']}, line 3 (acme-november.csv)"
    history = ledger.get(f"/api/leads/{found['o-2']['lead_id']}/history", headers=ADMIN).json()
    settled = history["steps"][-1]
    assert settled["kind"] == "reconciliation"
    assert settled["statement_line"] == {
        "reconciliation": run["id"], "line": 3, "file": "acme-november.csv", "by": "support"
    }  # fmt: skip
    assert settled["before"]["status"] == "new" and settled["after"]["status"] == "approve"
    ledger.cookies.set("ledger_admin", "test-admin-token")
    timeline = ledger.get(f"/support/leads/{found['o-2']['lead_id']}")
    assert label in timeline.text


def test_a_line_settles_once(ledger, services):
    run_id = reconciled(ledger)["id"]
    accept(ledger, run_id, classes=["value_differs"])
    o_4 = by_exto(ledger, run_id)["o-4"]
    services.runner.catch_up()
    version = lead(ledger, o_4["lead_id"])["version"]

    again = accept(ledger, run_id, classes=["value_differs"])

    assert {line["outcome"] for line in again["lines"]} == {"already_settled"}
    assert again["balances"] == []
    services.runner.catch_up()
    assert lead(ledger, o_4["lead_id"])["version"] == version
    assert lead(ledger, o_4["lead_id"])["advertiser_payout"]["amount"] == "20.00"


def test_only_in_statement_lines_are_accepted_line_by_line_only(ledger):
    run_id = reconciled(ledger)["id"]

    response = ledger.post(
        f"/api/reconciliations/{run_id}/accept",
        json={"classes": ["only_in_statement"]},
        headers=ADMIN,
    )

    # The body's schema names value_differs as the only class: the rest go line by line.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert "only_in_statement" in response.json()["message"]
    assert by_exto(ledger, run_id)["o-6"]["settled_at"] is None


def test_reconciling_the_statement_again_after_accepting_it_gives_all_matched(ledger, services):
    run_id = reconciled(ledger)["id"]
    only_in_statement = by_exto(ledger, run_id)["o-6"]["line"]
    accept(ledger, run_id, classes=["value_differs"], lines=[only_in_statement])
    services.runner.catch_up()

    again = reconciled(ledger)

    assert counts(again["summary"]) == {
        "matched": 5, "value_differs": 0, "only_in_statement": 0,
        "only_in_ledger": 1, "duplicates": 1,
    }  # fmt: skip


def test_a_postback_after_a_settlement_is_decided_on_the_settled_lead(ledger, services):
    run_id = reconciled(ledger)["id"]
    o_2 = by_exto(ledger, run_id)["o-2"]
    accept(ledger, run_id, lines=[o_2["line"]])  # the writer's cached o-2 is now stale

    response = change(ledger, flow="101", exto="o-2", status="cancel")

    assert response.status_code == 200, response.text
    services.runner.catch_up()
    assert lead(ledger, o_2["lead_id"])["status"] == "cancel"
    assert lead(ledger, o_2["lead_id"])["version"] == 3  # created, settled, cancelled
