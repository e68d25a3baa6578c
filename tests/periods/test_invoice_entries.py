"""Invoices and payments are booked in the ledger: an issued invoice moves the advertiser's
approved money to `invoiced`, a payment takes it from there into the network's `received` cash;
the statements show both, the export still balances, and the audit still holds."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from app.audit.check import audit
from app.periods.seals import seal_problems, statement_problems
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN
from tests.ledger_controls import balances
from tests.periods.period_controls import (
    closed,
    lead_approved,
    moment_after_now,
    movements,
    statement_of,
)
from tests.periods.test_export_with_payouts import beancount_text, unbalanced
from tests.periods.test_invoices import issued, pay


def _invoiced_and_part_paid(demo, services) -> dict:
    """adv-1's lead approved at 15.00, period 1 closed, invoiced, 5.00 received; period 2 closed."""
    lead_approved(demo, "i-1")
    closed(demo, moment_after_now())
    invoice = issued(demo, 1)
    assert pay(demo, invoice["id"], "5.00", "wire-1").status_code == 201
    second = closed(demo, moment_after_now())
    services.runner.catch_up()
    return second


def test_the_advertisers_statement_shows_what_was_invoiced_and_received(demo, services):
    second = _invoiced_and_part_paid(demo, services)

    advertiser = statement_of(demo, second["id"], "advertiser:adv-1")
    network = statement_of(demo, second["id"], "network")

    assert movements(advertiser) == {
        ("invoiced", "approved"): "-15.00",
        ("invoiced", "invoiced"): "15.00",
        ("received", "invoiced"): "-5.00",
    }
    assert (advertiser["opening"]["approved"], advertiser["opening"]["invoiced"]) == (
        "15.00",
        "0.00",
    )
    assert advertiser["closing"]["approved"] == "0.00"
    assert advertiser["closing"]["invoiced"] == "10.00"  # what the invoice still wants
    assert movements(network) == {("received", "received"): "-5.00"}  # cash in (credit view)
    assert "invoiced" not in statement_of(demo, second["id"], "webmaster:wm-1")["closing"]


def test_the_advertisers_balances_show_the_open_invoice(demo, services):
    _invoiced_and_part_paid(demo, services)

    held = balances(demo, advertiser="adv-1")["USD"]

    assert (held["approved"], held["invoiced"]) == ("0.00", "10.00")


def test_the_exported_ledger_with_invoices_and_payments_balances(demo, services):
    _invoiced_and_part_paid(demo, services)

    response = demo.get("/api/exports/ledger", params={"format": "csv"}, headers=ADMIN)

    rows = list(csv.DictReader(io.StringIO(response.text)))
    text = beancount_text(rows)
    assert '"Invoiced"' in text and '"PaymentReceived"' in text
    assert "Ledger:Network:Received  5.00 USD" in text
    assert "Ledger:Advertiser:Adv1:Invoiced  15.00 USD" in text
    assert unbalanced(text) == []


def test_audit_check_and_the_seals_hold_with_invoices_booked(demo, services):
    _invoiced_and_part_paid(demo, services)

    assert audit(services.address, services.ledger).violations == []
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        assert seal_problems(services.ledger, cursor) == []
        assert statement_problems(services.ledger, cursor) == []


def test_a_rebuild_books_the_invoices_and_payments_again_and_the_seals_hold(demo, services):
    _invoiced_and_part_paid(demo, services)
    before = balances(demo, advertiser="adv-1")

    Rebuild(services.ledger, services.address, "all", "tester").run()

    services.runner.catch_up()
    assert balances(demo, advertiser="adv-1") == before
    assert audit(services.address, services.ledger).violations == []
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        assert seal_problems(services.ledger, cursor) == []


def test_the_next_invoice_leaves_out_what_the_last_one_billed(demo, services):
    _invoiced_and_part_paid(demo, services)

    nothing_new = demo.post(
        "/api/invoices", json={"advertiser": "adv-1", "period": 2}, headers=ADMIN
    )

    assert nothing_new.status_code == 201, nothing_new.text
    assert Decimal(nothing_new.json()["total"]) == 0  # not -15.00: billing is not a cancel
