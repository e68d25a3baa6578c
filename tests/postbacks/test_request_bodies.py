"""Parameters in a form body or a JSON body work exactly like parameters in the query string."""

from __future__ import annotations

from tests.checks import accepted, event_types, refused, stored_postbacks
from tests.controls import SITE_TOKEN, create, lead, new_click

CREATION_URL = "/api/site/click.json"
STATUS_URL = "/api/site/status.json"


def test_a_form_body_creation_makes_the_same_lead_as_the_query_string(demo, services):
    click = new_click(demo)
    by_form = accepted(
        demo.post(CREATION_URL, data={"token": SITE_TOKEN, "click": click, "exto": "f-1"})
    )

    by_query = accepted(create(demo, click=click, exto="f-1"))

    assert by_query["id"] == by_form["id"]
    assert by_query["outcome"] == "duplicate"
    assert event_types(services, by_form["id"]) == ["Created"]


def test_a_json_body_creation_makes_the_same_lead_as_the_query_string(demo):
    by_json = accepted(
        demo.post(CREATION_URL, json={"token": SITE_TOKEN, "flow": 101, "exto": "j-1"})
    )

    by_query = accepted(create(demo, flow="101", exto="j-1"))

    assert by_query["id"] == by_json["id"]


def test_a_form_body_status_change_applies_status_goal_and_amounts(demo):
    click = new_click(demo)
    accepted(create(demo, click=click))

    body = accepted(
        demo.post(
            STATUS_URL,
            data={"token": SITE_TOKEN, "click": click, "status": "Approved", "goal": "ftd",
                  "pay": "60,50", "cc": "EUR"},
        )
    )  # fmt: skip

    view = lead(demo, body["id"], after=body["position"])
    assert (view["status"], view["goal"]) == ("approve", "dep")
    assert view["advertiser_payout"] == {"amount": "60.50", "currency": "EUR"}


def test_a_json_body_status_change_takes_numbers_and_booleans_as_their_text(demo):
    body = accepted(
        demo.post(
            STATUS_URL,
            json={"token": SITE_TOKEN, "flow": 101, "exto": 555, "status": "approved",
                  "auto": True, "pay": 18.4, "wm": 7},
        )
    )  # fmt: skip

    view = lead(demo, body["id"], after=body["position"])
    assert (view["status"], view["exto"], view["flow"]) == ("approve", "555", 101)
    assert view["advertiser_payout"] == {"amount": "18.40", "currency": "USD"}
    assert view["webmaster_commission"] == {"amount": "7.00", "currency": "USD"}


def test_a_json_body_with_a_charset_in_its_content_type_is_read_as_json(demo):
    response = demo.post(
        CREATION_URL,
        content=b'{"token": "7-s3cr3t", "code": "cc-traffic", "exto": "cs-1"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    accepted(response)


def test_a_json_float_amount_is_refused_when_it_has_more_decimals_than_the_currency(demo):
    response = demo.post(
        STATUS_URL,
        json={"token": SITE_TOKEN, "flow": 101, "exto": "f", "status": "new", "auto": 1,
              "pay": 0.1 + 0.2},
    )  # fmt: skip

    refused(response, 422, "invalid_amount")


def test_a_post_may_carry_some_parameters_in_the_query_and_others_in_the_body(demo):
    click = new_click(demo)
    accepted(create(demo, click=click))

    body = accepted(
        demo.post(f"{STATUS_URL}?token={SITE_TOKEN}&click={click}", data={"status": "hold"})
    )

    assert lead(demo, body["id"], after=body["position"])["status"] == "hold"


def test_a_post_without_a_body_reads_the_query_string(demo):
    body = accepted(demo.post(f"{CREATION_URL}?token={SITE_TOKEN}&flow=101&exto=nb-1"))

    assert body["outcome"] == "created"


def test_the_stored_postback_of_a_post_keeps_its_method_and_body_parameters(demo, services):
    accepted(demo.post(CREATION_URL, json={"token": SITE_TOKEN, "code": "cc-push", "exto": "m"}))

    row = stored_postbacks(demo, services)[0]

    assert row["method"] == "POST"
    assert row["params"] == {"token": ["7-***"], "code": ["cc-push"], "exto": ["m"]}


def test_a_long_body_that_is_no_form_is_refused_naming_the_body_not_an_empty_parameter(demo):
    answer = demo.post(
        CREATION_URL, content=b"x" * 500_000, headers={"Content-Type": "text/plain"}
    ).json()

    assert answer["error"] == "parameter_too_long"
    assert answer["message"].startswith("a parameter name is 500000 characters long")
    assert "sent as text/plain, not as a form" in answer["message"]
