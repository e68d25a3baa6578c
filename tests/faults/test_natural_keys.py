"""The fault tests' own duplicate checks can fail: they see two leads for one pair, an entry twice.

`tests.natural_keys` is what the fault tests count with; a check there that cannot fail would let
every fault test pass whatever the faults did.
"""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from domain.lead import Lead
from tests.checks import accepted
from tests.controls import change, create
from tests.natural_keys import assert_each_lead_and_entry_held_once, duplicated_leads


def creation(click: str | None, flow: int, exto: str | None) -> Lead.Created:
    lead = Lead(uuid4(), uuid4(), click, exto, flow, "offer-1", "adv-1", "wm-1", "reg", "new")
    return lead.collect_events()[0]


def test_two_lead_ids_created_for_one_flow_and_exto_are_a_duplicate():
    first, second = creation(None, 101, "x"), creation(None, 101, "x")

    assert duplicated_leads([first, second]) == {
        ("flow", 101, "x"): {first.originator_id, second.originator_id}
    }


def test_two_lead_ids_created_for_one_click_without_exto_are_a_duplicate():
    assert duplicated_leads([creation("c-1", 101, None), creation("c-1", 101, None)])


def test_leads_of_different_keys_and_flow_leads_without_exto_are_no_duplicate():
    events = [
        creation(None, 10, "1x"),
        creation(None, 101, "x"),
        creation("c-1", 101, "x"),
        creation("c-1", 101, "y"),
        creation(None, 101, None),
        creation(None, 101, None),
    ]

    assert duplicated_leads(events) == {}


@pytest.fixture
def booked(demo, services, database):
    accepted(create(demo, flow="101", exto="x"))
    accepted(change(demo, flow="101", exto="x", status="approve"))
    services.runner.catch_up()
    return database


def test_untouched_read_models_hold_each_lead_and_entry_once(booked):
    assert_each_lead_and_entry_held_once(booked)


TAMPERING = {
    "a second lead view row for one flow and exto": (
        "two leads for one natural key",
        "CREATE TEMP TABLE copied AS SELECT * FROM lead_view",
        "UPDATE copied SET id = gen_random_uuid()",
        "INSERT INTO lead_view SELECT * FROM copied",
    ),
    "a posting booked twice, balances included": (
        "ledger entries booked twice",
        "CREATE TEMP TABLE copied AS SELECT * FROM ledger_entries WHERE NOT reverses "
        "AND bucket = 'approved'",
        "UPDATE copied SET id = nextval('ledger_entries_id_seq')",
        "INSERT INTO ledger_entries SELECT * FROM copied",
        "UPDATE ledger_balances b SET amount = b.amount + c.total FROM (SELECT account, bucket, "
        "currency, sum(amount) AS total FROM copied GROUP BY 1, 2, 3) c "
        "WHERE (b.account, b.bucket, b.currency) = (c.account, c.bucket, c.currency)",
    ),
    "a balance off by a cent": (
        "balances differing from their entries",
        "UPDATE ledger_balances SET amount = amount + 0.01 WHERE account = 'network'",
    ),
}


@pytest.mark.parametrize("tampering", TAMPERING.values(), ids=TAMPERING)
def test_read_models_holding_something_twice_fail_the_check(booked, tampering):
    seen, *statements = tampering
    with psycopg.connect(booked.conninfo(), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)

    with pytest.raises(AssertionError, match=seen):
        assert_each_lead_and_entry_held_once(booked)
