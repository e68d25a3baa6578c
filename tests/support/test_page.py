"""The support page, through HTTP: login, search, the lead timeline, the postback log."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote_plus, urlsplit

from tests.controls import ADMIN_TOKEN, change, create, new_click, postbacks


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


def refused_twice(demo, services) -> str:
    """A lead with a refusal a catalog change can fix (a wrong token) and one it cannot."""
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="approve", token="7-wrong")
    change(demo, click=click, status="nonsense-word")
    services.runner.catch_up()
    return click


def test_the_postback_log_offers_re_submit_only_where_a_catalog_change_can_help(demo, services):
    click = refused_twice(demo, services)
    logged_in(demo)

    page = demo.get("/support/postbacks", params={"click": click, "outcome": "rejected"})

    rows = page.text.split('<tr class="row-')[1:]
    fixable = next(row for row in rows if "invalid_token" in row)
    unfixable = next(row for row in rows if "unknown_status" in row)
    assert "/resubmit" in fixable and "/resubmit" not in unfixable
    assert "sender must fix" in unfixable


def test_re_submitting_from_the_log_comes_back_to_the_same_filters(demo, services):
    click = refused_twice(demo, services)
    logged_in(demo)
    [refused] = postbacks(demo, click=click, error="invalid_token")
    back = f"/support/postbacks?click={click}&outcome=rejected&notice=old"

    response = demo.post(
        f"/support/postbacks/{refused['id']}/resubmit", data={"back": back}, follow_redirects=False
    )

    target = urlsplit(response.headers["location"])
    query = parse_qs(target.query)
    assert (response.status_code, target.path) == (303, "/support/postbacks")
    assert query["click"] == [click] and query["outcome"] == ["rejected"]
    assert query["notice"][0].startswith("Re-submitted: changed")


def test_a_re_submission_never_sends_the_browser_off_the_support_page(demo, services):
    click = refused_twice(demo, services)
    logged_in(demo)
    [refused] = postbacks(demo, click=click, error="unknown_status")

    response = demo.post(
        f"/support/postbacks/{refused['id']}/resubmit",
        data={"back": "https://elsewhere.example/support"},
        follow_redirects=False,
    )

    assert response.headers["location"].startswith("/support?notice=")
    assert "no catalog change can fix" in unquote_plus(response.headers["location"])


def test_the_lead_page_reads_yesterday_and_explains_what_it_cannot_read(demo, services):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    services.runner.catch_up()
    logged_in(demo)

    yesterday = demo.get(f"/support/leads/{lead_id}", params={"as_of": "yesterday"})
    nonsense = demo.get(f"/support/leads/{lead_id}", params={"as_of": "the day before"})

    assert "did not exist yet at" in yesterday.text and "it was created at" in yesterday.text
    assert "is not a date and time this page can read" in nonsense.text


def test_a_re_submission_without_a_page_to_return_to_opens_the_leads_page(demo, services):
    click = refused_twice(demo, services)
    logged_in(demo)
    [refused] = postbacks(demo, click=click, error="invalid_token")

    response = demo.post(f"/support/postbacks/{refused['id']}/resubmit", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/support/leads/")


def test_the_export_form_sends_its_dates_on_to_a_download_that_works(demo, services):
    logged_in(demo)
    click = new_click(demo)
    create(demo, click=click)
    services.runner.catch_up()

    response = demo.get(
        "/support/export",
        params={"dataset": "postbacks", "format": "csv", "from": "2026-01-01", "to": "2099-12-31"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert click in response.text


def test_an_export_date_that_is_no_date_is_a_page_naming_the_field(demo):
    logged_in(demo)

    response = demo.get("/support/export", params={"dataset": "ledger", "to": "next tuesday"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "To: “next tuesday” is not a date" in response.text


def test_searching_an_exto_that_only_had_refused_postbacks_shows_them_with_a_resubmit(
    demo, services
):
    logged_in(demo)
    refused = demo.get(
        "/api/site/click.json", params={"token": "7-wrong", "flow": "101", "exto": "disputed-1"}
    )
    assert refused.status_code == 401
    services.runner.catch_up()

    page = demo.get("/support", params={"q": "disputed-1"})

    assert page.status_code == 200
    assert "1 postback named it" in page.text
    assert "invalid_token" in page.text
    assert 'class="small secondary resubmit"' in page.text


def test_postback_ids_are_shown_by_their_random_part_and_link_to_the_postback(demo, services):
    logged_in(demo)
    for _ in range(20):
        demo.get("/api/site/click.json", params={"token": "7-wrong", "flow": "101", "exto": "x-1"})
    services.runner.catch_up()

    page = demo.get("/support", params={"q": "x-1"}).text

    shown = re.findall(
        r'href="/support/postbacks\?exto=x-1" title="([0-9a-f-]{36})">…([0-9a-f]+)<', page
    )
    assert len(shown) == 20
    assert len({tail for _, tail in shown}) == 20
    assert all(whole.endswith(tail) for whole, tail in shown)


def test_the_rates_page_is_laid_out_like_the_other_pages_with_readable_utc_times(demo):
    logged_in(demo)

    page = demo.get("/support/rates", params={"offer": "offer-1"}).text

    tables = re.findall(
        r'<section class="card flush rates">\s*<h2[^>]*>[^<]+</h2>\s*<table class="grid">', page
    )
    assert len(tables) == 3  # reg, dep and wm-2's personal rate
    assert "<th>From (UTC)</th>" in page and "Times are UTC" in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:|\+00:00|\.\d{6}", page)  # no ISO wire format
    assert re.findall(r'<span class="nowrap">(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</span>', page)
