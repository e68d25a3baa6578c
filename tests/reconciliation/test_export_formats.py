"""Statements as advertisers' own exports write them: Windows-1251, dd.mm.yyyy dates, decimal
commas, thousands separators, currency symbols, a column name with a comma, their goal names.
The mapping says how the file is written; the answer says which mapping was used."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.controls import ADMIN, create
from tests.reconciliation.controls import counts, lines, period, statement, upload, uploaded

HEADER = ["Номер заказа", "Статус", "Сумма, USD", "Дата", "Цель"]
MAPPING = ('exto:Номер заказа,status:Статус,"amount:Сумма, USD",time:Дата,goal:Цель,'
           'sta:оплачен,encoding:windows-1251,date_format:dd.mm.yyyy HH:MM,"decimal:,",'
           "thousands:space,goals:Регистрация=reg")  # fmt: skip


def _body() -> bytes:
    now = datetime.now(UTC).strftime("%d.%m.%Y %H:%M")
    rows = [["o-1", "оплачен", "$15,00", now, "Регистрация"],
            ["o-2", "новый", "1 200,00 $", now, "Регистрация"],
            ["o-3", "новый", "€8,40", now, "Регистрация"]]  # fmt: skip
    text = statement(rows, HEADER, delimiter=";").decode()
    return text.replace("новый", "new").encode("windows-1251")


@pytest.fixture
def ledger(demo, services):
    for exto in ("o-1", "o-2", "o-3"):
        assert create(demo, flow="101", exto=exto).status_code == 200
    services.runner.catch_up()
    return demo


def test_a_windows_1251_export_with_its_own_formats_is_read_through_the_mapping(ledger):
    run = uploaded(ledger, _body(), mapping=MAPPING)

    assert counts(run["summary"])["value_differs"] == 3
    found = {line["exto"]: line for line in lines(ledger, run["id"])}
    assert [d["field"] for d in found["o-1"]["differences"]] == ["status"]  # goal, time agree
    assert (found["o-2"]["amount"], found["o-2"]["currency"]) == ("1200.00", "USD")
    assert (found["o-3"]["amount"], found["o-3"]["currency"]) == ("8.40", "EUR")
    assert found["o-1"]["cells"]["Сумма, USD"] == "$15,00"


def test_the_answer_states_the_mapping_given_and_then_the_remembered_one_when_asked(ledger):
    given = uploaded(ledger, _body(), mapping=MAPPING)
    again = uploaded(ledger, _body(), use_remembered_mapping="true")

    assert given["mapping_source"] == "given" and "encoding:windows-1251" in given["mapping"]
    assert '"amount:Сумма, USD"' in given["mapping"]
    assert again["mapping_source"] == "remembered" and again["mapping"] == given["mapping"]
    assert counts(again["summary"]) == counts(given["summary"])


def test_a_remembered_mapping_is_shown_and_not_applied_unless_asked(ledger):
    given = uploaded(ledger, _body(), mapping=MAPPING)
    plain = statement([["o-1", "new"]], ["exto", "status"])  # our own column names

    shown = uploaded(ledger, plain)
    refused = upload(ledger, _body())  # the remembered mapping would read it: not used unasked

    assert shown["mapping_source"] == "none" and shown["mapping"] == ""
    assert shown["remembered_mapping"] == given["mapping"]
    assert counts(shown["summary"])["matched"] == 1
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_encoding"
    assert "use_remembered_mapping=true" in refused.json()["message"]
    assert "encoding:windows-1251" in refused.json()["message"]


def test_asking_for_a_remembered_mapping_the_advertiser_has_not_is_refused(ledger):
    refused = upload(ledger, _body(), use_remembered_mapping="true")

    assert refused.status_code == 400 and refused.json()["error"] == "invalid_mapping"
    assert "no remembered mapping" in refused.json()["message"]


def test_without_the_encoding_the_file_is_refused_naming_the_encoding_option(ledger):
    response = upload(ledger, _body(), mapping=MAPPING.replace(",encoding:windows-1251", ""))

    assert response.status_code == 400 and response.json()["error"] == "invalid_encoding"
    assert "encoding:windows-1251" in response.json()["message"]


@pytest.mark.parametrize("bad", ["encoding:klingon", "date_format:dd.qq.yyyy", "decimal:x",
                                 "goals:Регистрация"])  # fmt: skip
def test_a_mapping_option_that_cannot_be_used_is_refused(ledger, bad):
    response = upload(ledger, _body(), mapping=f"exto:Номер заказа,{bad}")

    assert response.status_code == 400 and response.json()["error"] == "invalid_mapping"


def test_a_multipart_file_upload_works_like_a_raw_body(ledger):
    query = {"advertiser": "adv-1", **period(), "mapping": MAPPING}

    response = ledger.post("/api/reconciliations", params=query, headers=ADMIN,
                           files={"file": ("acme-ноябрь.csv", _body(), "text/csv")})  # fmt: skip

    assert response.status_code == 201, response.text
    run = ledger.get(f"/api/reconciliations/{response.json()['id']}", headers=ADMIN).json()
    assert run["file_name"] == "acme-ноябрь.csv"
    assert counts(response.json()["summary"])["value_differs"] == 3
