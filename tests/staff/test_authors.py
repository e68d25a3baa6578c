"""Every change carries its author: the person whose token made it, on the record itself, in the
lead history and on the support page's timeline; the shared admin token signs as its name."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.audit.test_dispute_scenario import fixed_dep_rate
from tests.controls import ADMIN, change, create, new_click, postbacks
from tests.delivery_controls import (
    configure,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.ledger_controls import created_lead, goal_rate_toml
from tests.postbacks.test_resubmit import CATALOG_WITH_SITE_9, NEW_SITE_TOKEN, rejected_postback
from tests.reconciliation.controls import period, statement
from tests.staff.controls import add_staff, bearer


def history(client, lead_id: str) -> dict:
    answer = client.get(f"/api/leads/{lead_id}/history", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_catalog_version_and_a_recalculation_name_the_operator(demo):
    olga = bearer(add_staff(demo, "Olga", "operator"))

    applied = demo.post("/api/admin/catalog", content=goal_rate_toml("7.00"), headers=olga)
    started = demo.post("/api/recalculations", json={"dry_run": True}, headers=olga)

    assert applied.status_code == 200, applied.text
    rates = demo.get("/api/catalog/rates", params={"goal": "reg"}, headers=ADMIN).json()
    authors = {v["applied_by"] for r in rates["rates"] for v in r["versions"]}
    assert authors == {"support", "Olga"}  # the demo catalog's (the shared token's name), hers
    assert started.status_code == 200 and started.json()["actor"] == "Olga"
    listed = demo.get("/api/recalculations", headers=ADMIN).json()["items"]
    assert [item["actor"] for item in listed] == ["Olga"]


def test_a_resubmission_names_the_support_person_in_the_log_history_and_timeline(demo, services):
    sue = bearer(add_staff(demo, "Sue", "support"))
    assert create(demo, click=new_click(demo), token=NEW_SITE_TOKEN).status_code == 401
    original = rejected_postback(demo, services, error="invalid_token")
    demo.post("/api/admin/catalog", content=CATALOG_WITH_SITE_9, headers=ADMIN)

    answer = demo.post(f"/api/postbacks/{original['id']}/resubmit", headers=sue)

    assert answer.status_code == 200, answer.text
    services.runner.catch_up()
    [again] = postbacks(demo, resubmit_of=original["id"])
    assert again["resubmitted_by"] == "Sue"
    lead_id = answer.json()["lead_id"]
    steps = history(demo, lead_id)["steps"]
    by = [s["postback"]["resubmitted_by"] for s in steps if s["postback"]]
    assert by == [None, "Sue"]  # the refused original, then her re-submission
    demo.cookies.set("ledger_admin", sue["Authorization"].split()[1])
    page = demo.get(f"/support/leads/{lead_id}").text
    assert "by Sue" in page and "signed in as <b>Sue</b>" in page
    demo.cookies.clear()


def test_a_statement_upload_and_its_settlement_name_the_operator(demo):
    omar = bearer(add_staff(demo, "Omar", "operator"))
    lead_id, _ = created_lead(demo, exto="o-1")
    body = statement([["o-1", "Approved", "15.00", "USD"]], ["exto", "status", "amount", "cur"])
    query = {"advertiser": "adv-1", **period(), "mapping": "currency:cur"}

    uploaded = demo.post("/api/reconciliations", params=query, content=body,
                         headers={**omar, "Content-Type": "text/csv"})  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    run_id = uploaded.json()["id"]
    accepted = demo.post(f"/api/reconciliations/{run_id}/accept",
                         json={"classes": ["value_differs"]}, headers=omar)  # fmt: skip

    assert accepted.status_code == 200, accepted.text
    assert demo.get(f"/api/reconciliations/{run_id}", headers=ADMIN).json()["actor"] == "Omar"
    settled_steps = settled_history_steps(demo, lead_id)
    assert [s["statement_line"]["by"] for s in settled_steps] == ["Omar"]


def settled_history_steps(client, lead_id: str, timeout: float = 30) -> list[dict]:
    """The history's steps settled from a statement, once the read models have caught up (the
    settlement is committed before accept answers; the history's postback steps lag behind it)."""
    deadline = time.monotonic() + timeout
    while True:
        steps = [s for s in history(client, lead_id)["steps"] if s["statement_line"]]
        if steps or time.monotonic() > deadline:
            return steps
        time.sleep(0.1)


def test_a_resend_names_the_operator_in_the_lead_history(demo, services):
    olga = bearer(add_staff(demo, "Olga", "operator"))
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        lead_id, _ = created_lead(demo, exto="again")
        [delivery] = settled(demo, 1)
        answer = demo.post(f"/api/deliveries/{delivery['id']}/resend", headers=olga)
        assert answer.status_code == 200, answer.text
        received_within(receiver, 2)

    sent = [
        s for step in history(demo, lead_id)["steps"] for e in step["events"] for s in e["sent"]
    ]
    assert len(sent) == 1 and sent[0]["resent_by"][0].startswith("Olga at ")
    page = demo.get(f"/support/leads/{lead_id}", headers=ADMIN).text
    assert "resent by Olga at" in page


def test_a_repricing_recalculation_names_the_operator_in_the_lead_history_and_timeline(
    demo, services
):
    olga = bearer(add_staff(demo, "Olga", "operator"))
    fixed_from = datetime.now(UTC)  # the rate is corrected from before the lead existed
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="approve", goal="dep")
    assert demo.post("/api/admin/catalog", content=fixed_dep_rate(fixed_from),
                     headers=olga).json()["rebuild_needed"]  # fmt: skip
    services.runner.catch_up()

    rebuilt = demo.post("/api/recalculations", json={"projections": "all", "dry_run": False},
                        headers=olga)  # fmt: skip

    assert rebuilt.status_code == 200, rebuilt.text
    services.runner.catch_up()
    [step] = [s for s in history(demo, lead_id)["steps"] if s["recalculation"]]
    assert step["recalculation"]["actor"] == "Olga"
    assert step["after"]["rule_version"] == "offer-1/dep@v2"  # the version she applied
    page = demo.get(f"/support/leads/{lead_id}", headers=ADMIN).text
    assert "a rebuild repriced the lead</h3>" in page
    assert '<span class="muted small">by Olga</span>' in page
