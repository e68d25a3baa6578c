"""Matching statement lines to leads: keys, tolerances, differences, mappings, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.money import Money
from domain.reconciliation import (
    LedgerLead,
    LineClass,
    Tolerances,
    classify,
    duplicate_key,
)
from domain.statement import MappingError, StatementLine, StatementMapping, columns_of
from domain.statuses import Status

CREATED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def a_lead(**overrides) -> LedgerLead:
    payout = Money(Decimal("15.00"), "USD")
    values = dict(id=uuid4(), exto="o-1", click=None, flow=101, offer="offer-1", goal="reg",
                  status=Status.APPROVE, payout=payout, created_at=CREATED)  # fmt: skip
    return LedgerLead(**{**values, **overrides})


def a_line(**overrides) -> StatementLine:
    values = dict(line=2, exto="o-1", status_word="approved", status=Status.APPROVE,
                  amount=Decimal("15.00"), currency="USD", time=CREATED)  # fmt: skip
    return StatementLine(**{**values, **overrides})


NO_TOLERANCE = Tolerances()


def verdict(line, *leads, tolerances=NO_TOLERANCE):
    by_exto, by_click = {}, {}
    for lead in leads:
        by_exto.setdefault(lead.exto, []).append(lead)
        by_click.setdefault(lead.click, []).append(lead)
    return classify(line, by_exto, by_click, tolerances)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("15.05", LineClass.MATCHED), ("14.95", LineClass.MATCHED),
     ("15.06", LineClass.VALUE_DIFFERS), ("14.94", LineClass.VALUE_DIFFERS)],
)  # fmt: skip
def test_an_amount_within_the_tolerance_matches_and_one_beyond_it_differs(amount, expected):
    found = verdict(
        a_line(amount=Decimal(amount)), a_lead(), tolerances=Tolerances(Decimal("0.05"))
    )

    assert found.line_class == expected


def test_a_time_beyond_the_tolerance_differs_naming_both_times():
    late = CREATED + timedelta(days=1, seconds=1)

    found = verdict(a_line(time=late), a_lead())

    assert [(d.field, d.statement, d.ledger) for d in found.differences] == [
        ("time", late.isoformat(), CREATED.isoformat())
    ]


def test_another_currency_differs_on_the_currency_not_the_amount():
    found = verdict(a_line(currency="EUR"), a_lead())

    assert [(d.field, d.statement, d.ledger) for d in found.differences] == [
        ("currency", "EUR", "USD")
    ]


def test_exto_is_narrowed_by_the_flow_the_line_gives():
    other_flow = a_lead(flow=102, status=Status.CANCEL)

    found = verdict(a_line(flow=102), a_lead(), other_flow)

    assert found.lead == other_flow
    assert found.line_class == LineClass.VALUE_DIFFERS


def test_a_line_whose_exto_is_unknown_is_found_by_its_click():
    lead = a_lead(exto="ours-1", click="c-9")

    assert verdict(a_line(exto="theirs-1", click="c-9"), lead).lead == lead
    assert verdict(a_line(exto="theirs-1"), lead).line_class == LineClass.ONLY_IN_STATEMENT


def test_lines_about_the_same_lead_share_a_key_even_when_they_name_it_differently():
    lead = a_lead(click="c-9")
    by_exto, by_click = a_line(line=2), a_line(line=3, exto="theirs", click="c-9")
    unknown = a_line(line=4, exto="o-7")

    keys = [duplicate_key(line, verdict(line, lead)) for line in (by_exto, by_click, unknown)]

    assert keys[0] == keys[1] != keys[2]
    assert keys[2] == duplicate_key(unknown, verdict(a_line(line=9, exto="o-7"), lead))


def test_a_mapping_names_columns_and_the_advertisers_status_words():
    mapping = StatementMapping.parse(
        "exto:Order ID, amount:Payout, sta:paid|done, stc:refunded,void"
    )

    assert mapping.columns == {"exto": "Order ID", "amount": "Payout"}
    assert mapping.status_words == {"sta": "paid,done", "stc": "refunded,void"}
    assert mapping.overrides().approve == frozenset({"paid", "done"})
    assert StatementMapping.parse(mapping.to_text()) == mapping
    assert columns_of(["order id", "PAYOUT", "Status"], mapping) == {
        "exto": 0, "amount": 1, "status": 2
    }  # fmt: skip


@pytest.mark.parametrize("text", ["order:Order ID", "exto", "exto:a,exto:b", "amount:"])
def test_a_mapping_that_names_no_field_or_one_twice_is_refused(text):
    with pytest.raises(MappingError):
        StatementMapping.parse(text)
