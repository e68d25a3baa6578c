"""The support page with personal tokens: who is signed in, and only what their role allows."""

from __future__ import annotations

from app.staff.roles import declared_role
from app.support.session import require_login
from tests.controls import ADMIN
from tests.delivery_controls import (
    configure,
    deliveries,
    notifying,
    postbacks_toml,
    receiving,
    settled,
)
from tests.fault_controls import wait_until
from tests.ledger_controls import created_lead
from tests.staff.controls import add_staff


def log_in(client, token: str):
    client.cookies.clear()
    return client.post("/support/login", data={"token": token, "next": "/support"},
                       follow_redirects=False)  # fmt: skip


def test_a_personal_token_logs_in_and_the_page_says_who_and_which_role(demo):
    token = add_staff(demo, "Sue", "support")

    assert log_in(demo, token).status_code == 303

    page = demo.get("/support/postbacks").text
    assert 'signed in as <b>Sue</b> <small class="role">(support)</small>' in page


def test_a_revoked_token_cannot_log_in_and_ends_a_running_session(demo):
    token = add_staff(demo, "Sue", "support")
    assert log_in(demo, token).status_code == 303

    demo.post("/api/staff/Sue/revoke", headers=ADMIN)

    answer = demo.get("/support/postbacks", follow_redirects=False)
    assert answer.status_code in (302, 303, 307)
    assert answer.headers["location"].startswith("/support/login")
    refused = log_in(demo, token)
    assert refused.status_code == 401 and "not valid" in refused.text


def test_only_an_operator_is_offered_a_resend_and_only_an_operator_may_resend(demo, services):
    sue = add_staff(demo, "Sue", "support")
    olga = add_staff(demo, "Olga", "operator")
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        lead_id, _ = created_lead(demo, exto="resend-me")
        [delivery] = settled(demo, 1)
        resend = f"/support/deliveries/{delivery['id']}/resend"

        log_in(demo, sue)
        assert resend not in demo.get(f"/support/leads/{lead_id}").text
        assert demo.post(resend, data={"back": "/support"}).status_code == 403

        log_in(demo, olga)
        assert resend in demo.get(f"/support/leads/{lead_id}").text
        answer = demo.post(resend, data={"back": f"/support/leads/{lead_id}"},
                           follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303, answer.text
        assert wait_until(lambda: len(receiver.received) >= 2, 30)
    assert wait_until(lambda: deliveries(demo)[0]["attempts"] == 2, 30)
    assert "resent by Olga at" in demo.get(f"/support/leads/{lead_id}").text
    demo.cookies.clear()


def test_a_resend_of_no_delivery_says_so_and_is_no_action(demo):
    from uuid import uuid4

    log_in(demo, add_staff(demo, "Olga", "operator"))

    answer = demo.post(f"/support/deliveries/{uuid4()}/resend", data={"back": "/support"},
                       follow_redirects=False)  # fmt: skip

    assert answer.status_code == 303 and "No+delivery" in answer.headers["location"]
    listed = demo.get("/api/actions", params={"actor": "Olga"}, headers=ADMIN).json()["items"]
    assert listed == []
    demo.cookies.clear()


def test_every_support_page_that_changes_something_declares_its_role(client):
    """A page's role is checked only if declared (reading needs none): a changing page without
    one would let every signed-in person, support included, make its change."""
    undeclared = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            guards = {getattr(guard, "func", guard) for guard in handler.resolve_guards()}
            changes = set(handler.http_methods) - {"GET", "HEAD", "OPTIONS"}
            if require_login in guards and changes and declared_role(handler.opt) is None:
                undeclared.append(f"{'/'.join(sorted(changes))} {route.path}")

    assert not undeclared, (
        f"these support pages change something but declare no role: {undeclared}; "
        "add opt={'role': ...} to the route (support, operator or finance)"
    )
