"""A statement that cannot be read is refused with the line and column, and only the refusal
is stored: no line of it, and no mapping remembered."""

from __future__ import annotations

import dataclasses

import pytest

from tests.controls import ADMIN
from tests.reconciliation.controls import statement, upload

HEADER = ["exto", "status", "amount", "currency", "time"]
GOOD = ["o-1", "approved", "15.00", "USD", "2026-11-03 10:00:00"]


def with_cell(column: int, value: str) -> bytes:
    bad = list(GOOD)
    bad[column] = value
    return statement([GOOD, bad], HEADER)


CASES = {
    "latin-1, not UTF-8": (
        "exto,status\r\no-1,approved\r\nZ\xfcrich-7,approved\r\n".encode("latin-1"),
        "invalid_encoding", 3, None,
    ),
    "no exto or click column": (
        statement([["15.00", "USD"]], ["amount", "currency"]), "missing_column", 1, None
    ),
    "mapped column missing": (
        statement([GOOD], HEADER), "missing_column", 1, "Order ID", "exto:Order ID"
    ),
    "unparseable amount": (with_cell(2, "15.0.0"), "invalid_amount", 3, "amount"),
    "too many decimals": (with_cell(2, "15.001"), "invalid_amount", 3, "amount"),
    "unparseable date": (with_cell(4, "3 Nov"), "invalid_time", 3, "time"),
    "unknown currency": (with_cell(3, "XYZ"), "unknown_currency", 3, "currency"),
    "duplicated header": (
        statement([GOOD], ["exto", "status", "amount", "Currency", "currency"]),
        "duplicated_column", 1, "currency",
    ),
    "unclosed quote": (b'exto,status\r\n"o-1,approved\r\n', "malformed_csv", 2, None),
    "empty file": (b"", "empty_statement", None, None),
    "only a BOM": (b"\xef\xbb\xbf\r\n", "empty_statement", None, None),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_statement_is_refused_with_where_and_only_the_refusal_is_stored(demo, case):
    body, code, line, column, *mapping = CASES[case]
    params = {"mapping": mapping[0]} if mapping else {}

    response = upload(demo, body, **params)

    assert response.status_code == 400, response.text
    refusal = response.json()
    assert (refusal["status"], refusal["error"]) == ("error", code)
    assert (refusal["line"], refusal["column"]) == (line, column)
    assert refusal["message"]
    stored = demo.get(f"/api/reconciliations/{refusal['reconciliation_id']}", headers=ADMIN)
    assert stored.json()["outcome"] == "refused"
    assert stored.json()["refusal"]["error"] == code
    assert stored.json()["summary"] is None
    lines = demo.get(f"/api/reconciliations/{refusal['reconciliation_id']}/lines", headers=ADMIN)
    assert lines.json()["items"] == []


def test_a_refused_statement_does_not_remember_its_mapping(demo):
    upload(demo, with_cell(2, "x"), mapping="exto:exto,sta:ok")

    again = upload(demo, statement([["o-1", "ok"]], ["exto", "status"]))

    assert again.json()["error"] == "unknown_status"  # "ok" was never remembered as approve


def test_a_statement_over_the_size_limit_is_refused_and_recorded(demo, services, monkeypatch):
    small = dataclasses.replace(services.settings, statement_max_bytes=200)
    monkeypatch.setattr(services, "settings", small)

    response = upload(demo, statement([GOOD] * 20, HEADER))

    assert response.status_code == 413
    assert response.json()["error"] == "statement_too_large"
    stored = demo.get(f"/api/reconciliations/{response.json()['reconciliation_id']}", headers=ADMIN)
    assert stored.json()["outcome"] == "refused"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"from": "soon"}, "from"), ({"amount_tolerance": "-1"}, "amount_tolerance"),
     ({"time_tolerance": "a week"}, "time_tolerance"), ({"to": "2000-01-01"}, "before")],
)  # fmt: skip
def test_bad_parameters_are_refused_before_the_file_is_read(demo, params, fragment):
    response = upload(demo, statement([GOOD], HEADER), **params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert fragment in response.json()["message"]


def test_an_unknown_class_of_lines_is_a_clear_400(demo):
    run_id = upload(demo, statement([GOOD], HEADER)).json()["id"]

    response = demo.get(f"/api/reconciliations/{run_id}/lines?class=odd", headers=ADMIN)

    assert response.status_code == 400
    assert response.json()["status"] == "error"
