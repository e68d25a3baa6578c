"""`GET /api/actions`: every change anyone made through the API or the command line, newest
first, with who, their role, how, what and what it touched; reads and refusals are not changes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from app.cli.main import main
from tests.controls import ADMIN
from tests.ledger_controls import goal_rate_toml
from tests.staff.controls import add_staff, bearer, refused


def actions(client, **params) -> dict:
    answer = client.get("/api/actions", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_each_change_is_listed_newest_first_with_its_author_and_what_it_touched(demo):
    olga = bearer(add_staff(demo, "Olga", "operator"))
    sue = bearer(add_staff(demo, "Sue", "support"))
    demo.post("/api/admin/catalog", content=goal_rate_toml("7.00"), headers=olga)
    delivery = str(uuid4())
    demo.post(f"/api/deliveries/{delivery}/resend", headers=olga)  # 404: no change
    demo.post("/api/recalculations", json={"dry_run": True}, headers=sue)  # 403: no change
    demo.get("/api/recalculations", headers=sue)  # a read
    recalculation = demo.post("/api/recalculations", json={"dry_run": True}, headers=olga).json()
    demo.post("/api/staff/Sue/revoke", headers=ADMIN)

    items = actions(demo)["items"]

    assert [(a["actor"], a["role"], a["via"], a["action"]) for a in items] == [
        ("support", "owner", "api", "staff revoke"),
        ("Olga", "operator", "api", "POST /api/recalculations"),
        ("Olga", "operator", "api", "POST /api/admin/catalog"),
        ("support", "owner", "api", "staff add"),
        ("support", "owner", "api", "staff add"),
        ("support", "owner", "api", "POST /api/admin/catalog"),  # the demo catalog
    ]
    assert items[0]["touched"] == {"staff": "Sue"}
    assert items[1]["touched"] == {"path": "/api/recalculations",
                                   "answer": {"id": recalculation["id"]}}  # fmt: skip
    assert items[2]["touched"]["answer"]["catalog_version"] > 0
    ids = [a["id"] for a in items]
    assert ids == sorted(ids, reverse=True)


def test_a_resend_names_the_delivery_it_touched_and_the_actor_filter_finds_it(demo, services):
    from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
    from tests.ledger_controls import created_lead

    olga = bearer(add_staff(demo, "Olga", "operator"))
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="x")
        [delivery] = settled(demo, 1)
        assert demo.post(f"/api/deliveries/{delivery['id']}/resend", headers=olga).is_success

    [mine] = actions(demo, actor="Olga")["items"]

    assert mine["action"] == "POST /api/deliveries/{delivery_id}/resend"
    assert mine["touched"]["delivery_id"] == mine["touched"]["answer"]["id"] == delivery["id"]


def test_actions_page_with_a_cursor_and_filter_by_time(demo):
    for name in ("a1", "a2", "a3"):
        add_staff(demo, name, "support")

    first = actions(demo, limit=2)
    second = actions(demo, limit=2, cursor=first["next_cursor"])
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

    assert [a["touched"] for a in first["items"]] == [{"staff": "a3"}, {"staff": "a2"}]
    assert [a["touched"].get("staff") for a in second["items"]] == ["a1", None]
    assert second["next_cursor"] is None
    assert actions(demo, **{"from": later})["items"] == []
    assert len(actions(demo, **{"from": earlier, "to": later})["items"]) == 4
    assert actions(demo, to=earlier)["items"] == []


def test_bad_filters_are_400_and_a_member_below_support_does_not_exist(demo):
    for params in ({"cursor": "abc"}, {"cursor": "0"}, {"from": "soon"}, {"limit": "0"}):
        refused(demo.get("/api/actions", params=params, headers=ADMIN), 400, "invalid_parameter")
    sue = bearer(add_staff(demo, "Sue", "support"))
    assert demo.get("/api/actions", headers=sue).status_code == 200


def test_a_command_line_change_is_listed_as_the_operating_system_user(
    demo, database, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("DATABASE_URL", database.url())
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(goal_rate_toml("8.00"))

    assert main(["catalog", "apply", str(catalog)]) == 0
    assert main(["staff", "add", "carol", "--role", "finance"]) == 0
    capsys.readouterr()

    newest, applied = actions(demo)["items"][:2]
    assert newest["via"] == applied["via"] == "cli"
    assert newest["actor"].startswith("cli:") and newest["action"] == "staff add"
    assert applied["action"] == "catalog apply" and applied["touched"] == {"file": str(catalog)}


def test_a_hold_release_on_the_command_line_is_listed(demo, services, monkeypatch, capsys):
    from tests.controls import lead
    from tests.hold_controls import lead_on_hold, with_hold_rule

    monkeypatch.setenv("DATABASE_URL", services.address.url())
    with_hold_rule(demo, reg='hold_for = "1s"')
    lead_id = lead_on_hold(demo, "due")
    services.runner.catch_up()
    due_at = datetime.fromisoformat(lead(demo, lead_id)["hold_until"])
    while datetime.now(UTC) <= due_at:  # the hold's second passes: due now
        time.sleep(0.05)

    assert main(["holds", "release", "--json"]) == 0
    capsys.readouterr()

    newest = actions(demo)["items"][0]
    assert (newest["via"], newest["action"]) == ("cli", "holds release")
    assert newest["actor"].startswith("cli:") and newest["touched"] == {"released": 1}


def test_suspending_and_resuming_a_delivery_url_are_listed_with_the_operator(demo, services):
    from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
    from tests.ledger_controls import created_lead

    olga = bearer(add_staff(demo, "Olga", "operator"))
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="x")
        settled(demo, 1)
    [target] = demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]
    for change in ("suspend", "resume"):
        answer = demo.post(f"/api/deliveries/targets/{target['id']}/{change}", headers=olga)
        assert answer.status_code == 200, answer.text

    mine = actions(demo, actor="Olga")["items"]

    assert [(a["role"], a["action"]) for a in mine] == [
        ("operator", "POST /api/deliveries/targets/{target_id}/resume"),
        ("operator", "POST /api/deliveries/targets/{target_id}/suspend"),
    ]
    assert {a["touched"]["target_id"] for a in mine} == {target["id"]}
