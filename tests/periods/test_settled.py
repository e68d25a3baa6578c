"""A change settled from an advertiser's statement line is a movement kind of its own,
`settled`, listed with the statement line that caused it."""

from __future__ import annotations

from uuid import UUID

from app.periods.seals import statement_problems
from domain.identity import statement_line_id
from tests.controls import ADMIN, ADMIN_TOKEN, create
from tests.ledger_controls import commission
from tests.periods.period_controls import closed, moment_after_now, movements, statement_of
from tests.reconciliation.controls import accept, lines, statement, uploaded


def _settled_approval(demo, services) -> tuple[str, str]:
    """Lead o-1 reported new; the advertiser's statement says approved; accepted. (lead, cause)"""
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "approved"]], ["exto", "status"]))
    (line,) = lines(demo, run["id"], **{"class": "value_differs"})
    accept(demo, run["id"], classes=["value_differs"])
    services.runner.catch_up()
    return line["lead_id"], str(statement_line_id(UUID(run["id"]), line["line"]))


def test_a_reconciliation_accept_is_settled_in_the_statement_with_its_line(demo, services):
    lead_id, cause = _settled_approval(demo, services)

    period = closed(demo, moment_after_now())

    services.runner.catch_up()
    webmaster = statement_of(demo, period["id"], "webmaster:wm-1")
    assert movements(webmaster) == {
        ("accrued", "pending"): "10.00",
        ("settled", "pending"): "-10.00",
        ("settled", "approved"): "10.00",
    }
    listed = webmaster["settlements"]
    assert [(s["kind"], s["bucket"], s["amount"], s["cause"]) for s in listed] == [
        ("settled", "approved", "10.00", f"statement_line:{cause}"),
        ("settled", "pending", "-10.00", f"statement_line:{cause}"),
    ]
    assert {s["lead"] for s in webmaster["settlements"]} == {lead_id}
    advertiser = statement_of(demo, period["id"], "advertiser:adv-1")
    assert ("settled", "approved") in movements(advertiser)
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        assert statement_problems(services.ledger, cursor) == []


def test_the_settled_entries_name_their_statement_line(demo, services):
    lead_id, cause = _settled_approval(demo, services)

    entries = commission(demo, lead_id)["entries"]

    assert {e["statement_line"] for e in entries if e["event_type"] == "Lead.StatusChanged"} == {
        cause
    }
    assert {e["statement_line"] for e in entries if e["event_type"] == "Lead.Created"} == {None}


def test_the_statement_csv_lists_each_settlement_with_its_line(demo, services):
    _, cause = _settled_approval(demo, services)
    period = closed(demo, moment_after_now())
    services.runner.catch_up()

    response = demo.get(
        f"/api/periods/{period['id']}/statements",
        params={"account": "webmaster:wm-1", "format": "csv"},
        headers=ADMIN,
    )

    settled = [line for line in response.text.splitlines() if ",settlement," in line]
    assert len(settled) == 2 and all(f"statement_line:{cause}" in line for line in settled)


def test_the_printable_statement_lists_the_settlements_with_their_line(demo, services):
    _, cause = _settled_approval(demo, services)
    period = closed(demo, moment_after_now())
    services.runner.catch_up()
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    page = demo.get(f"/support/statements/{period['id']}/wm-1")

    assert page.status_code == 200, page.text
    assert "Settled from the advertiser" in page.text and f"statement_line:{cause}" in page.text
