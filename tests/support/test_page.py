"""The support page, through HTTP: login, search, the lead timeline, the postback log."""

from __future__ import annotations

from tests.controls import ADMIN_TOKEN, change, create, new_click


def logged_in(client):
    response = client.post(
        "/support/login", data={"token": ADMIN_TOKEN, "next": "/support"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response


def test_the_support_page_sends_a_visitor_without_the_token_to_the_login_form(demo):
    response = demo.get("/support/postbacks", follow_redirects=False)

    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/support/login")


def test_logging_in_sets_an_http_only_strict_cookie(demo):
    cookie = logged_in(demo).headers["set-cookie"]

    assert cookie.startswith("ledger_admin=")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()


def test_a_wrong_token_is_refused_at_the_login_form(demo):
    response = demo.post("/support/login", data={"token": "guess"}, follow_redirects=False)

    assert response.status_code == 401
    assert "not valid" in response.text


def test_searching_a_click_opens_the_timeline_of_its_lead(demo, services):
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="approve", goal="dep")
    services.runner.catch_up()
    logged_in(demo)

    page = demo.get("/support", params={"q": click})

    assert page.status_code == 200
    assert "Status new → approve" in page.text
    assert "+30.00" in page.text  # the webmaster's commission from 10.00 to 40.00


def test_the_postback_log_page_filters_by_outcome(demo, services):
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="nonsense-word")
    services.runner.catch_up()
    logged_in(demo)

    page = demo.get("/support/postbacks", params={"outcome": "rejected"})

    assert "unknown_status" in page.text
    assert "outcome-created" not in page.text
