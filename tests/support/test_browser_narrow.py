"""Every support page fits a 400 px wide screen with the data support really reads: long order
ids, a webmaster's long tracker URL, search results, a reconciliation, a printed statement, the
rates and the deliveries. One real server and one Chromium visit them all (the machine is shared);
the failure names every page that is too wide. Screenshots land in test-artifacts/."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pprint import pformat

import pytest

from tests.browser import ARTIFACTS, page_width_at, screenshot
from tests.controls import SITE_TOKEN
from tests.delivery_controls import postbacks_toml
from tests.support.pages import DEADLINE, log_in

pytestmark = pytest.mark.slow

PHONE = 400
LONG_EXTO = "ORD-2026-12-07-ACME-BANK-CREDIT-CARD-APPLICATION-000012345678901"
REFUSED_EXTO = "ORD-2026-12-07-NEVER-ACCEPTED-REFUSED-ONLY-0000987654321098765"
TRACKER = (
    "https://tracker.traffic-company-partner-network.example/api/v2/postback/receive"
    "?click_id={sub1}&status={status}&commission={commission}&currency={currency}"
    "&transaction_id={lead}&source=postback-ledger-network"
)


# The outermost elements reaching past the screen's right edge: what to fix on a failure.
WIDEST = """
const edge = arguments[0], out = [];
for (const el of document.body.querySelectorAll('*')) {
  const parent = el.parentElement;
  if (el.getBoundingClientRect().right > edge + 0.5
      && parent.getBoundingClientRect().right <= edge + 0.5) {
    out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
             + ' ' + Math.round(el.getBoundingClientRect().right));
  }
}
return out.slice(0, 5);
"""


def _until(check, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {DEADLINE}s")


def _realistic_data(server) -> dict[str, str]:
    """A store as support sees it on a busy day; the pages to visit, by name."""
    with server.client(headers=server.admin_headers) as http:
        applied = http.post("/api/admin/catalog", content=postbacks_toml(TRACKER))
        assert applied.status_code == 200, applied.text
        site = {"token": SITE_TOKEN}
        created = http.get(
            "/api/site/click.json", params={**site, "flow": "101", "exto": LONG_EXTO}
        )
        assert created.status_code == 200, created.text
        lead_id = created.json()["id"]
        http.get("/api/site/status.json", params={**site, "exto": LONG_EXTO, "status": "approved"})
        loan = {"token": "8-l0an-key", "flow": "201", "exto": LONG_EXTO}
        assert http.get("/api/site/click.json", params=loan).status_code == 200
        refused = {"token": "7-wrong-key", "flow": "101", "exto": REFUSED_EXTO}
        assert http.get("/api/site/click.json", params=refused).status_code >= 400
        _until(lambda: http.get(f"/api/leads/{lead_id}").is_success, "the lead view")
        _until(lambda: http.get("/api/deliveries").json()["items"], "a delivery")
        today = datetime.now(UTC).date()
        statement = f"exto,status,amount,currency\n{LONG_EXTO},approved,15.00,USD\n"
        statement += f"{REFUSED_EXTO},approved,15.00,USD\n"
        period = f"advertiser=adv-1&from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
        uploaded = http.post(f"/api/reconciliations?{period}", content=statement,
                             headers={"Content-Type": "text/csv"})  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
        until = datetime.now(UTC) + timedelta(seconds=1)
        time.sleep(1.1)  # a period ends in the past
        closed = http.post("/api/periods", json={"until": until.isoformat()})
        assert closed.status_code == 201, closed.text
    return {
        "login": "/support/login",
        "search-results": f"/support?q={LONG_EXTO}",
        "search-refused": f"/support?q={REFUSED_EXTO}",
        "lead-with-delivery": f"/support/leads/{lead_id}",
        "postback-log": "/support/postbacks",
        "rates": "/support/rates",
        "deliveries": "/support/deliveries",
        "reconciliations": "/support/reconciliations",
        "reconciliation": f"/support/reconciliations/{uploaded.json()['id']}",
        "statement": f"/support/statements/{closed.json()['id']}/wm-1",
        "webmaster": "/support/accounts/webmaster/wm-1",
    }


def test_every_support_page_fits_a_400_px_screen_with_long_ids_and_urls(chromium, server):
    pages = _realistic_data(server)
    log_in(chromium, server)
    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = {}
    for name, path in pages.items():
        chromium.get(server.base_url + path)
        assert "Internal Server Error" not in chromium.page_source, name
        viewport, _ = page_width_at(chromium, PHONE)
        assert viewport == PHONE
        width = chromium.execute_script("return document.scrollingElement.scrollWidth")
        if width > PHONE:
            too_wide[name] = (width, chromium.execute_script(WIDEST, PHONE))
        screenshot(chromium, f"support-400px-{name}", width=PHONE)

    assert not too_wide, f"wider than {PHONE} px: {pformat(too_wide)}"
