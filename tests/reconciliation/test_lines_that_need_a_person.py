"""Lines a reconciliation must not settle on its own: ambiguous, outside the period, totals.

adv-1 gets a second offer (offer-3, paying in EUR, flow 301, site 9): the order id `o-1` then
names a lead of each offer, and a line with only that order id could be about either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.controls import ADMIN, DEMO_CATALOG, create
from tests.reconciliation.controls import accept, counts, lines, statement, upload, uploaded

SECOND_OFFER = b"""
[[offers]]
id = "offer-3"
name = "Card EU"
advertiser = "adv-1"
landing_url = "https://cards.example/eu?c={click}"

  [[offers.goals]]
  id = "reg"
  default = true
  webmaster = { amount = "5.00", currency = "EUR" }
  advertiser = { amount = "8.40", currency = "EUR" }

  [[offers.sites]]
  id = 9
  key = "eu-key"

[[flows]]
id = 301
code = "cc-eu"
offer = "offer-3"
webmaster = "wm-1"
"""


@pytest.fixture
def two_offers(demo, services):
    response = demo.post("/api/admin/catalog", content=DEMO_CATALOG + SECOND_OFFER, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert create(demo, flow="101", exto="o-1").status_code == 200
    assert create(demo, flow="301", exto="o-1", token="9-eu-key").status_code == 200
    services.runner.catch_up()
    return demo


def _candidate(client, run_id: str, offer: str) -> str:
    (line,) = lines(client, run_id, **{"class": "ambiguous"})
    return next(c["lead_id"] for c in line["candidates"] if c["offer"] == offer)


def _status(client, lead_id: str) -> str:
    response = client.get(f"/api/leads/{lead_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["status"]


def test_an_order_id_two_offers_share_is_ambiguous_and_lists_both_leads(two_offers):
    body = statement([["o-1", "approved", "8.40", "EUR"]], ["exto", "status", "amount", "currency"])

    run = uploaded(two_offers, body)

    assert counts(run["summary"])["ambiguous"] == 1
    assert counts(run["summary"])["only_in_ledger"] == 0  # neither lead is "missing"
    (line,) = lines(two_offers, run["id"], **{"class": "ambiguous"})
    assert line["lead_id"] is None
    assert sorted(c["offer"] for c in line["candidates"]) == ["offer-1", "offer-3"]


def test_an_ambiguous_line_settles_only_on_the_lead_the_user_names(two_offers):
    body = statement([["o-1", "approved", "8.40", "EUR"]], ["exto", "status", "amount", "currency"])
    run = uploaded(two_offers, body)
    euro = _candidate(two_offers, run["id"], "offer-3")
    dollar = _candidate(two_offers, run["id"], "offer-1")

    unnamed = accept(two_offers, run["id"], lines=[2])
    by_class = two_offers.post(f"/api/reconciliations/{run['id']}/accept",
                               json={"classes": ["ambiguous"]}, headers=ADMIN)  # fmt: skip
    named = accept(two_offers, run["id"], lines=[2], leads={"2": euro})

    assert unnamed["lines"][0]["outcome"] == "skipped" and "name its lead" in (
        unnamed["lines"][0]["reason"])  # fmt: skip
    assert by_class.status_code == 400
    assert named["lines"][0]["outcome"] == "settled"
    assert named["lines"][0]["lead_id"] == euro
    two_offers.app.state.services.runner.catch_up()
    assert (_status(two_offers, euro), _status(two_offers, dollar)) == ("approve", "new")


def test_a_line_of_another_month_is_outside_the_period_and_settles_only_by_number(demo, services):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    services.runner.catch_up()
    earlier = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    now = datetime.now(UTC).isoformat()
    rows = [["o-1", "approved", earlier], ["o-2", "approved", now]]

    run = uploaded(demo, statement(rows, ["exto", "status", "time"]))
    by_class = accept(demo, run["id"], classes=["value_differs"])
    refused = demo.post(f"/api/reconciliations/{run['id']}/accept",
                        json={"classes": ["outside_period"]}, headers=ADMIN)  # fmt: skip

    assert counts(run["summary"])["outside_period"] == 1
    assert [line["line"] for line in by_class["lines"]] == [3]
    assert refused.status_code == 400
    assert lines(demo, run["id"], **{"class": "outside_period"})[0]["exto"] == "o-1"
    by_number = accept(demo, run["id"], lines=[2])
    assert by_number["lines"][0]["outcome"] == "settled"


def test_a_total_row_is_skipped_with_its_reason_not_a_line_of_the_statement(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    rows = [["o-1", "approved", "15.00", "USD"], ["", "Total:", "56,264.55", "USD"],
            ["SUM", "", "15.00", "USD"]]  # fmt: skip

    run = uploaded(demo, statement(rows, ["exto", "status", "amount", "currency"]),
                   mapping="skip:exto=sum")  # fmt: skip

    assert counts(run["summary"])["only_in_statement"] == 0
    skipped = lines(demo, run["id"], **{"class": "skipped"})
    assert [(line["line"], line["amount"]) for line in skipped] == [(3, None), (4, None)]
    assert "total row" in skipped[0]["note"] and "skip rule" in skipped[1]["note"]


def test_a_row_without_a_lead_that_is_no_total_is_still_refused(demo):
    body = statement([["", "approved"]], ["exto", "status"])

    response = upload(demo, body)

    assert response.status_code == 400 and response.json()["error"] == "no_lead_key"


def test_an_unknown_advertiser_is_404_and_nothing_is_stored(demo):
    body = statement([["o-1", "approved"]], ["exto", "status"])

    response = upload(demo, body, advertiser="adv-404")
    listing = demo.get("/api/reconciliations/00000000-0000-0000-0000-000000000000", headers=ADMIN)

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    assert listing.status_code == 404
