"""Creating leads: one lead per click (+exto) or flow+exto, and what a lead starts with."""

from __future__ import annotations

from uuid import UUID

import psycopg

from domain.identity import click_aggregate_id, lead_id_for_flow
from tests.checks import accepted, event_types, events_of, refused, stored_postbacks
from tests.controls import GLOBAL_TOKEN, OTHER_OFFER_TOKEN, change, create, lead, new_click


def test_a_creation_postback_creates_a_new_lead_of_the_click_at_the_default_goals_rates(demo):
    click = new_click(demo)

    body = accepted(create(demo, click=click))

    assert body["outcome"] == "created"
    assert body["ignored"] is False
    assert isinstance(body["position"], int)
    created = lead(demo, body["id"], after=body["position"])
    assert created["click"] == click
    assert created["exto"] is None
    assert (created["flow"], created["offer"], created["advertiser"], created["webmaster"]) == (
        101,
        "offer-1",
        "adv-1",
        "wm-1",
    )
    assert (created["goal"], created["status"], created["version"]) == ("reg", "new", 1)
    assert created["advertiser_payout"] == {"amount": "15.00", "currency": "USD"}
    assert created["webmaster_commission"] == {"amount": "10.00", "currency": "USD"}
    assert created["created_at"] and created["updated_at"]


def test_a_repeated_creation_for_the_same_click_answers_with_the_existing_lead(demo, services):
    click = new_click(demo)
    first = accepted(create(demo, click=click))

    again = accepted(create(demo, click=click))

    assert again["id"] == first["id"]
    assert again["outcome"] == "duplicate"
    assert event_types(services, first["id"]) == ["Created"]


def test_a_creation_with_the_same_click_and_exto_twice_makes_one_lead(demo, services):
    click = new_click(demo)
    first = accepted(create(demo, click=click, exto="adv-lead-1"))

    again = accepted(create(demo, click=click, exto="adv-lead-1"))

    assert again["id"] == first["id"]
    assert event_types(services, first["id"]) == ["Created"]
    assert lead(demo, first["id"], after=first["position"])["exto"] == "adv-lead-1"


def test_creations_with_different_exto_on_one_click_make_separate_leads(demo):
    click = new_click(demo)

    first = accepted(create(demo, click=click, exto="order-1"))
    second = accepted(create(demo, click=click, exto="order-2"))

    assert first["id"] != second["id"]
    assert second["outcome"] == "created"
    assert lead(demo, second["id"], after=second["position"])["click"] == click


def test_a_status_change_by_click_and_exto_changes_exactly_that_lead(demo):
    click = new_click(demo)
    first = accepted(create(demo, click=click, exto="order-1"))
    second = accepted(create(demo, click=click, exto="order-2"))

    changed = accepted(change(demo, click=click, exto="order-2", status="approve"))

    assert changed["id"] == second["id"]
    assert lead(demo, second["id"], after=changed["position"])["status"] == "approve"
    assert lead(demo, first["id"])["status"] == "new"


def test_a_creation_without_exto_for_a_click_with_one_lead_answers_with_that_lead(demo, services):
    click = new_click(demo)
    with_exto = accepted(create(demo, click=click, exto="order-1"))

    without = accepted(create(demo, click=click))

    assert without["outcome"] == "duplicate"
    assert without["id"] == with_exto["id"]
    assert event_types(services, with_exto["id"]) == ["Created"]


def test_a_creation_without_exto_for_a_click_with_several_leads_is_ambiguous(demo):
    click = new_click(demo)
    accepted(create(demo, click=click, exto="order-1"))
    accepted(create(demo, click=click, exto="order-2"))

    refused(create(demo, click=click), 409, "ambiguous_lead")


def test_a_creation_by_flow_id_and_exto_makes_a_lead_without_a_click(demo):
    body = accepted(create(demo, flow="101", exto="app-install-1"))

    created = lead(demo, body["id"], after=body["position"])

    assert created["click"] is None
    assert (created["flow"], created["exto"], created["webmaster"]) == (
        101,
        "app-install-1",
        "wm-1",
    )


def test_a_creation_by_flow_code_and_exto_makes_a_lead_of_that_flow(demo):
    body = accepted(create(demo, code="cc-push", exto="app-install-2"))

    created = lead(demo, body["id"], after=body["position"])

    assert (created["flow"], created["webmaster"], created["offer"]) == (102, "wm-2", "offer-1")


def test_a_flow_id_and_its_code_with_the_same_exto_name_the_same_lead(demo, services):
    by_id = accepted(create(demo, flow="101", exto="same-order"))

    by_code = accepted(create(demo, code="cc-traffic", exto="same-order"))

    assert by_code["id"] == by_id["id"]
    assert by_code["outcome"] == "duplicate"
    assert event_types(services, by_id["id"]) == ["Created"]


def test_a_status_change_by_flow_and_exto_changes_the_lead_created_by_them(demo):
    created = accepted(create(demo, flow="101", exto="app-order-7"))

    changed = accepted(change(demo, flow="101", exto="app-order-7", status="approved"))

    assert changed["id"] == created["id"]
    assert lead(demo, created["id"], after=changed["position"])["status"] == "approve"


def test_a_status_change_by_flow_code_finds_the_lead_created_by_flow_id(demo):
    created = accepted(create(demo, flow="101", exto="app-order-8"))

    changed = accepted(change(demo, code="cc-traffic", exto="app-order-8", status="cancel"))

    assert changed["id"] == created["id"]


def test_each_creation_by_flow_without_exto_is_a_new_lead(demo):
    first = accepted(create(demo, flow="101"))
    second = accepted(create(demo, flow="101"))

    assert first["id"] != second["id"]
    assert second["outcome"] == "created"


def test_the_same_exto_on_two_flows_names_two_leads(demo):
    first = accepted(create(demo, flow="101", exto="shared-id"))
    second = accepted(create(demo, flow="102", exto="shared-id"))

    assert first["id"] != second["id"]


def test_a_global_token_creates_leads_for_every_offer(demo):
    card = accepted(create(demo, token=GLOBAL_TOKEN, flow="101", exto="g-1"))
    loan = accepted(create(demo, token=GLOBAL_TOKEN, flow="201", exto="g-1"))

    assert lead(demo, card["id"], after=card["position"])["offer"] == "offer-1"
    assert lead(demo, loan["id"], after=loan["position"])["offer"] == "offer-2"


def test_a_site_token_creates_leads_for_its_own_offer(demo):
    body = accepted(create(demo, token=OTHER_OFFER_TOKEN, code="loan-seo", exto="l-1"))

    created = lead(demo, body["id"], after=body["position"])

    assert created["offer"] == "offer-2"
    assert created["advertiser_payout"] == {"amount": "8.50", "currency": "EUR"}


def test_every_lead_event_carries_the_id_of_the_postback_that_caused_it(demo, services):
    click = new_click(demo)
    created = accepted(create(demo, click=click, goal="reg"))
    accepted(change(demo, click=click, status="approve", goal="dep", pay="70"))

    log = stored_postbacks(demo, services, lead=created["id"])
    ids = {row["id"] for row in log}
    events = events_of(services, created["id"])
    assert [type(e).__name__ for e in events] == [
        "Created",
        "GoalChanged",
        "PayoutSet",
        "StatusChanged",
    ]
    assert {str(e.postback_id) for e in events} <= ids
    assert len({e.postback_id for e in events[1:]}) == 1  # one postback, three events


def test_the_stored_postback_of_a_creation_names_its_lead_and_keeps_every_parameter(demo, services):
    click = new_click(demo)
    body = accepted(create(demo, click=click, exto="e-1", name="Jane", sub3="x y"))

    row = stored_postbacks(demo, services)[0]

    assert row["lead_id"] == body["id"]
    assert (row["outcome"], row["http_status"], row["endpoint"], row["method"]) == (
        "created",
        200,
        "click",
        "GET",
    )
    assert row["params"] == {
        "token": ["7-***"],
        "click": [click],
        "exto": ["e-1"],
        "name": ["Jane"],
        "sub3": ["x y"],
    }
    assert row["source_ip"]
    assert row["received_at"]


def test_the_lead_id_is_the_same_for_the_same_pair_on_any_service(demo):
    body = accepted(create(demo, flow="101", exto="stable"))

    assert UUID(body["id"]) == lead_id_for_flow(101, "stable")


def test_an_accepted_postback_is_stored_in_the_same_transaction_as_the_events_it_caused(
    demo, services, database
):
    click = new_click(demo)
    body = accepted(create(demo, click=click, pay="20"))
    (row,) = stored_postbacks(demo, services, lead=body["id"])

    with psycopg.connect(database.conninfo()) as connection:
        transactions = connection.execute(
            "SELECT originator_id, xmin::text FROM ledger_events WHERE originator_id = ANY(%s)",
            ([UUID(body["id"]), UUID(row["id"]), click_aggregate_id(click)],),
        ).fetchall()

    # Created + PayoutSet of the lead, LeadAttached of the click, the postback's record; the
    # click's own Recorded event came earlier, from the tracking link.
    by_transaction = {}
    for originator, xmin in transactions:
        by_transaction.setdefault(xmin, []).append(originator)
    assert sorted(len(ids) for ids in by_transaction.values()) == [1, 4]
