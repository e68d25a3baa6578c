"""Reading a lead: `GET /api/leads/{id}` projects its events; `?after=` reads one's own write."""

from __future__ import annotations

import threading
from datetime import datetime
from uuid import UUID

from domain.lead_state import fold
from tests.checks import accepted
from tests.controls import ADMIN, change, create, lead, new_click

LEAD_FIELDS = {
    "id", "click", "exto", "flow", "offer", "advertiser", "webmaster", "goal", "status",
    "advertiser_payout", "webmaster_commission", "created_at", "updated_at", "version",
}  # fmt: skip


def test_a_lead_reads_as_the_issue_documents_it(demo):
    click = new_click(demo)
    accepted(create(demo, click=click))
    body = accepted(change(demo, click=click, status="approved"))

    view = lead(demo, body["id"], after=body["position"])

    assert set(view) >= LEAD_FIELDS
    assert {k: view[k] for k in LEAD_FIELDS - {"created_at", "updated_at"}} == {
        "id": body["id"], "click": click, "exto": None, "flow": 101, "offer": "offer-1",
        "advertiser": "adv-1", "webmaster": "wm-1", "goal": "reg", "status": "approve",
        "advertiser_payout": {"amount": "15.00", "currency": "USD"},
        "webmaster_commission": {"amount": "10.00", "currency": "USD"}, "version": 2,
    }  # fmt: skip
    assert datetime.fromisoformat(view["updated_at"]) > datetime.fromisoformat(view["created_at"])


def test_the_lead_view_equals_the_fold_of_the_leads_events(demo, services):
    click = new_click(demo)
    accepted(create(demo, click=click, goal="dep", pay="50"))
    accepted(change(demo, click=click, status="hold", wm="30"))
    body = accepted(change(demo, click=click, status="approve", goal="reg"))

    view = lead(demo, body["id"], after=body["position"])

    state = None
    for event in services.ledger.events.get(UUID(body["id"])):
        state = fold(state, event)
    assert (view["status"], view["goal"], view["version"]) == (
        state.status.value,
        state.goal,
        state.version,
    )
    assert services.ledger.repository.get(UUID(body["id"])).version == view["version"]


def test_an_unknown_lead_is_404(demo):
    response = demo.get("/api/leads/00000000-0000-0000-0000-000000000000", headers=ADMIN)

    assert response.status_code == 404
    assert response.json()["status"] == "error"


def test_a_lead_id_that_is_not_a_uuid_is_a_client_error(demo):
    response = demo.get("/api/leads/not-a-uuid", headers=ADMIN)

    assert 400 <= response.status_code < 500


def test_reading_with_after_waits_until_the_projection_has_the_write(paused_projections):
    client, services = paused_projections
    click = new_click(client)
    created = accepted(create(client, click=click))
    services.runner.catch_up()
    approved = accepted(change(client, click=click, status="approved"))
    assert lead(client, created["id"])["status"] == "new"  # the projection has not run yet
    later = threading.Timer(0.3, services.runner.catch_up)
    later.start()

    view = lead(client, created["id"], after=approved["position"])

    later.join()
    assert view["status"] == "approve"
    assert view["version"] == 2


def test_reading_a_just_acknowledged_lead_waits_for_it_instead_of_answering_404(
    paused_projections,
):
    client, services = paused_projections
    created = accepted(create(client, flow="101", exto="fresh"))
    later = threading.Timer(0.3, services.runner.catch_up)
    later.start()

    view = lead(client, created["id"])

    later.join()
    assert view["exto"] == "fresh"
