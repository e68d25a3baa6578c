"""Reading a lead: `GET /api/leads/{id}` projects its events; `?after=` reads one's own write."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from uuid import UUID

import pytest

import projections.runner
from domain.lead_state import fold
from tests.checks import accepted
from tests.controls import ADMIN, change, create, lead, new_click

LEAD_FIELDS = {
    "id", "click", "exto", "flow", "offer", "advertiser", "webmaster", "goal", "status",
    "advertiser_payout", "webmaster_commission", "created_at", "updated_at", "version",
}  # fmt: skip
WAIT_SECONDS = 120.0  # how long a read may wait for the projection: generous, for a loaded machine


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, projection_wait_seconds=WAIT_SECONDS)


class CatchUpOnceARead:
    """Runs the projections as soon as a read has found the lead view behind and begun waiting."""

    def __init__(self, monkeypatch, services) -> None:
        self.waited = threading.Event()
        positions_of = projections.runner.tracked_positions

        def noting_the_wait(cursor, names):
            found = positions_of(cursor, names)
            if names == ["lead_view"]:
                self.waited.set()
            return found

        monkeypatch.setattr(projections.runner, "tracked_positions", noting_the_wait)
        self._read_done = threading.Event()
        self._thread = threading.Thread(target=self._catch_up, args=(services,))
        self._thread.start()

    def _catch_up(self, services) -> None:
        while not self.waited.wait(0.05):
            if self._read_done.is_set():
                return  # the read never waited: leave the projections behind
        services.runner.catch_up()

    def after_the_read(self) -> bool:
        """Whether the read waited for the projections (which then caught up)."""
        self._read_done.set()
        self._thread.join()
        return self.waited.is_set()


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


def test_reading_with_after_waits_until_the_projection_has_the_write(
    paused_projections, monkeypatch
):
    client, services = paused_projections
    click = new_click(client)
    created = accepted(create(client, click=click))
    services.runner.catch_up()
    approved = accepted(change(client, click=click, status="approved"))
    assert lead(client, created["id"])["status"] == "new"  # the projection has not run yet
    projections_run = CatchUpOnceARead(monkeypatch, services)

    view = lead(client, created["id"], after=approved["position"])

    assert projections_run.after_the_read()
    assert view["status"] == "approve"
    assert view["version"] == 2


def test_reading_a_just_acknowledged_lead_waits_for_it_instead_of_answering_404(
    paused_projections, monkeypatch
):
    client, services = paused_projections
    created = accepted(create(client, flow="101", exto="fresh"))
    projections_run = CatchUpOnceARead(monkeypatch, services)

    view = lead(client, created["id"])

    assert projections_run.after_the_read()
    assert view["exto"] == "fresh"
