"""The account page through HTTP: balances as the holder reads them, the chart, paged entries."""

from __future__ import annotations

from tests.controls import change, create, new_click
from tests.support.test_page import logged_in


def approved_lead(demo, services) -> str:
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="hold")
    change(demo, click=click, status="approve", goal="dep")
    services.runner.catch_up()
    return lead_id


def test_a_webmasters_account_page_shows_what_it_earned_with_a_plus(demo, services):
    approved_lead(demo, services)
    logged_in(demo)

    page = demo.get("/support/accounts/webmaster/wm-1")

    assert page.status_code == 200, page.text
    assert "40.00" in page.text
    assert "−40.00" not in page.text.split('id="balances"')[1].split("</table>")[0]
    assert page.text.count('class="series series-') == 3


def test_an_unknown_account_is_a_page_saying_so(demo, services):
    logged_in(demo)

    page = demo.get("/support/accounts/webmaster/nobody")

    assert page.status_code == 404
    assert "No account webmaster nobody" in page.text
