"""The lead history: every postback for a lead, what it did, and the money before and after."""

from __future__ import annotations

from tests.controls import ADMIN, change, create, new_click


def history(client, services, lead_id: str) -> dict:
    services.runner.catch_up()
    response = client.get(f"/api/leads/{lead_id}/history", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_history_lists_each_postback_with_its_events_and_the_money_before_and_after(demo, services):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="approve")

    steps = history(demo, services, lead_id)["steps"]

    assert [step["postback"]["outcome"] for step in steps] == ["created", "changed"]
    created, approved = steps
    assert created["before"] is None
    assert created["after"]["status"] == "new"
    assert created["after"]["webmaster_commission"] == {"amount": "10.00", "currency": "USD"}
    assert [event["type"] for event in created["events"]] == ["Lead.Created"]
    assert approved["before"]["status"] == "new"
    assert approved["after"]["status"] == "approve"
    assert approved["events"][0]["data"]["previous_status"] == "new"
    assert approved["postback"]["params"]["status"] == ["approve"]
    assert approved["postback"]["params"]["token"] == ["7-***"]


def test_history_shows_a_rejected_postback_that_named_the_lead(demo, services):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="approve", goal="no-such-goal")

    rejected = history(demo, services, lead_id)["steps"][-1]

    assert rejected["postback"]["outcome"] == "rejected"
    assert rejected["postback"]["error"] == "unknown_goal"
    assert rejected["events"] == []
    assert rejected["before"] == rejected["after"]
    assert rejected["after"]["status"] == "new"


def test_history_of_an_unknown_lead_is_not_found(demo):
    response = demo.get("/api/leads/00000000-0000-0000-0000-000000000000/history", headers=ADMIN)

    assert response.status_code == 404
