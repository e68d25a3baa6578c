"""The support page's Deliveries view: each webmaster's targets, a suspended URL with what waits
and its last error, masked URLs, and resume / resend for operators only."""

from __future__ import annotations

from dataclasses import replace

from tests.controls import ADMIN
from tests.delivery_controls import (
    FAST,
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
from tests.staff.test_support_page import log_in

SUSPEND_AT_ONCE = replace(FAST, suspend_after=1)


def _row(page: str, target: str) -> str:
    start = page.index(f'data-target="{target}"')
    return page[start : page.index("</tr>", start)]


def test_a_suspended_url_shows_what_waits_and_only_an_operator_may_resume_or_resend(demo, services):
    sue = add_staff(demo, "Sue", "support")
    olga = add_staff(demo, "Olga", "operator")
    with receiving((404, {}), (200, {})) as receiver, notifying(services, SUSPEND_AT_ONCE):
        url = receiver.url("/k3y-in-path/pb?st={status}&token=tok-visible-nowhere")
        configure(demo, postbacks_toml(url, url_secret="k3y-in-path"))
        created_lead(demo, exto="first")
        [failed] = settled(demo, 1, state="failed")
        created_lead(demo, exto="second")
        settled(demo, 1, state="suspended")
        [listed] = demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]
        target = listed["id"]

        log_in(demo, sue)
        page = demo.get("/support/deliveries").text
        assert 'href="/support/deliveries" class="active">Deliveries</a>' in page
        assert "wm-1" in page
        row = _row(page, target)
        assert "suspended" in row and "HTTP 404" in row
        assert '<td class="num waiting">1</td>' in row
        assert "k3y-in-path" not in page and "tok-visible-nowhere" not in page
        assert "/resume" not in row and "/resend" not in row
        resume = f"/support/deliveries/targets/{target}/resume"
        assert demo.post(resume, data={}).status_code == 403

        log_in(demo, olga)
        row = _row(demo.get("/support/deliveries").text, target)
        assert resume in row and f"/support/deliveries/{failed['id']}/resend" in row
        answer = demo.post(resume, data={}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        assert "1%20deliveries%20are%20due" in answer.headers["location"].replace("+", "%20")
        assert wait_until(lambda: len(receiver.received) >= 2, 30)
        row = _row(demo.get("/support/deliveries").text, target)
        assert "active" in row and '<td class="num waiting">0</td>' in row
    assert [d["state"] for d in deliveries(demo) if d["id"] == failed["id"]] == ["failed"]
    demo.cookies.clear()


def test_the_view_says_so_when_no_webmaster_has_targets_and_a_resume_of_nothing_is_refused(
    demo,
):
    olga = add_staff(demo, "Olga", "operator")
    log_in(demo, olga)
    assert "No webmaster has postback targets" in demo.get("/support/deliveries").text
    from uuid import uuid4

    answer = demo.post(f"/support/deliveries/targets/{uuid4()}/resume", data={},
                       follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and "No%20delivery%20URL" in answer.headers[
        "location"
    ].replace("+", "%20")
    demo.cookies.clear()
