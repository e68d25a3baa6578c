"""Who may send postbacks and read the ledger: site and global tokens, admin tokens, masking."""

from __future__ import annotations

import psycopg
import pytest

from tests.checks import (
    SITE_KEY,
    accepted,
    assert_logged_refusal,
    assert_no_secret,
    refused,
    snapshot,
    stored_postbacks,
)
from tests.controls import (
    ADMIN_TOKEN,
    DEMO_CATALOG,
    GLOBAL_TOKEN,
    OTHER_OFFER_TOKEN,
    change,
    create,
    new_click,
)


@pytest.fixture
def new_lead(demo) -> tuple[str, str]:
    click = new_click(demo)
    return click, accepted(create(demo, click=click))["id"]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("7-wrong", "invalid_token"),
        ("99-s3cr3t", "invalid_token"),
        ("s3cr3t", "invalid_token"),
        ("7-", "invalid_token"),
        (OTHER_OFFER_TOKEN, "token_not_for_offer"),
        ("", "missing_token"),
    ],
)
def test_a_status_change_with_a_token_not_of_the_leads_offer_is_401_and_changes_nothing(
    demo, services, new_lead, token, code
):
    click, lead_id = new_lead
    before = snapshot(demo, services, lead_id)

    refused(change(demo, click=click, status="approve", token=token), 401, code)

    assert snapshot(demo, services, lead_id) == before
    assert_logged_refusal(demo, services, 401, code)


def test_a_postback_without_any_token_parameter_is_401_missing_token(demo, services, new_lead):
    click, _ = new_lead

    response = demo.get("/api/site/status.json", params={"click": click, "status": "approve"})

    refused(response, 401, "missing_token")
    assert_logged_refusal(demo, services, 401, "missing_token")


def test_a_creation_with_a_wrong_token_creates_no_lead(demo, services):
    click = new_click(demo)

    refused(create(demo, click=click, token="7-guess"), 401, "invalid_token")

    assert stored_postbacks(demo, services, outcome="created") == []
    refused(change(demo, click=click, status="hold"), 404, "lead_not_found")


def test_a_site_token_of_another_offer_cannot_create_a_lead_by_flow(demo, services):
    refused(
        create(demo, token=OTHER_OFFER_TOKEN, flow="101", exto="x-1"), 401, "token_not_for_offer"
    )

    refused(change(demo, flow="101", exto="x-1", status="hold"), 404, "lead_not_found")


def test_a_global_token_may_change_any_offers_lead(demo, new_lead):
    click, lead_id = new_lead

    body = accepted(change(demo, click=click, status="approve", token=GLOBAL_TOKEN))

    assert body["id"] == lead_id


def test_a_wrong_token_is_refused_before_the_click_is_looked_up(demo, services):
    refused(create(demo, click="no-such-click", token="7-guess"), 401, "invalid_token")


def test_the_stored_postback_shows_the_site_id_of_the_token_never_its_key(demo, services, new_lead):
    click, _ = new_lead
    accepted(change(demo, click=click, status="hold"))

    rows = stored_postbacks(demo, services)

    assert [row["params"]["token"] for row in rows] == [["7-***"], ["7-***"]]
    for row in rows:
        assert_no_secret(row)


def test_a_global_token_is_stored_masked(demo, services):
    accepted(create(demo, token=GLOBAL_TOKEN, flow="101", exto="g-mask"))

    row = stored_postbacks(demo, services)[0]

    assert GLOBAL_TOKEN not in str(row)
    assert row["params"]["token"][0].endswith("***")


def test_a_wrong_token_is_stored_masked_too(demo, services):
    refused(create(demo, flow="101", exto="x", token="7-not-the-key"), 401, "invalid_token")

    row = stored_postbacks(demo, services)[0]

    assert row["params"]["token"] == ["7-***"]
    assert "not-the-key" not in str(row)


def test_no_token_secret_reaches_the_event_store(demo, services, database):
    click = new_click(demo)
    accepted(create(demo, click=click))
    demo.post("/api/site/status.json", data={"token": "7-s3cr3t", "click": click, "status": "a"})
    demo.post("/api/site/status.json", json={"token": GLOBAL_TOKEN, "click": click, "status": "c"})
    refused(create(demo, click=click, token="7-typo-key"), 401, "invalid_token")

    with psycopg.connect(database.conninfo()) as connection:
        states = [row[0] for row in connection.execute("SELECT state FROM ledger_events")]

    stored = b"".join(bytes(state) for state in states)
    for secret in (SITE_KEY.encode(), GLOBAL_TOKEN.encode(), b"typo-key"):
        assert secret not in stored


ADMIN_ENDPOINTS = [
    ("GET", "/api/postbacks"),
    ("GET", "/api/leads/00000000-0000-0000-0000-000000000000"),
    ("POST", "/api/admin/catalog"),
]
NOT_ADMIN = [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": f"Basic {ADMIN_TOKEN}"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
]


def test_admin_endpoints_refuse_a_missing_or_wrong_admin_token(client):
    for method, path in ADMIN_ENDPOINTS:
        for headers in NOT_ADMIN:
            response = client.request(method, path, headers=headers, content=DEMO_CATALOG)

            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["status"] == "error"


def test_a_catalog_sent_with_a_wrong_admin_token_is_not_applied(client):
    refused_catalog = client.post(
        "/api/admin/catalog", content=DEMO_CATALOG, headers={"Authorization": "Bearer nope"}
    )
    assert refused_catalog.status_code == 401

    response = create(client, flow="101", exto="x")

    refused(response, 401, "invalid_token")
