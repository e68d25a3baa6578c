"""`postback-ledger audit check`: each violation it reports is found when the tables say it.

A demo service books two leads (one by flow, approved; one by click, new), then the tables are
tampered with behind its back the way a faulty projection or a race would leave them. The fault
tests lean on this command to see duplicates; here it must see each kind of damage, name it in
its report, and exit 1.
"""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest

from app.audit.check import audit
from tests.checks import accepted
from tests.controls import change, create, new_click
from tests.fault_controls import audit_check

FLOW_LEAD = (
    "b33371a4-10c3-51e7-aab7-0e2adb92c6c6"  # flow 101 + exto "x": tests/domain/test_identity
)


@pytest.fixture
def booked(demo, services):
    """Flow 101's lead "x" approved (15.00 / 10.00 USD), a click's lead "b" new; all projected."""
    assert accepted(create(demo, flow="101", exto="x"))["id"] == FLOW_LEAD
    accepted(change(demo, flow="101", exto="x", status="approve"))
    click = new_click(demo)
    click_lead = accepted(create(demo, click=click, exto="b"))["id"]
    services.runner.catch_up()
    return click, click_lead


def tamper(database, *statements: str, params: tuple = ()) -> None:
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement, params)


def violations(services) -> list[str]:
    return audit(services.address, services.ledger).violations


def a_copy_of_lead(lead_id: str) -> tuple[str, ...]:
    """Statements adding a second lead view row for the same lead under another id."""
    return (
        f"CREATE TEMP TABLE copied AS SELECT * FROM lead_view WHERE id = '{lead_id}'",
        "UPDATE copied SET id = gen_random_uuid()",
        "INSERT INTO lead_view SELECT * FROM copied",
    )


def test_an_untouched_database_holds_every_invariant(booked, services):
    report = audit(services.address, services.ledger)

    assert report.violations == []
    assert report.checked["leads"] == 2
    assert report.checked["ledger entries"] == 16  # 4 pending + 4 reversed + 4 approved, 4 new


def test_two_leads_for_one_flow_and_exto_are_reported(booked, services, database):
    tamper(database, *a_copy_of_lead(FLOW_LEAD))

    assert "2 leads for flow 101 with exto 'x'" in violations(services)


def test_two_leads_for_one_click_and_exto_are_reported(booked, services, database):
    click, click_lead = booked
    tamper(database, *a_copy_of_lead(click_lead))

    assert f"2 leads for {click} with exto 'b'" in violations(services)


def test_a_balance_off_by_a_cent_is_reported(booked, services, database):
    tamper(
        database,
        "UPDATE ledger_balances SET amount = amount + 0.01 "
        "WHERE (account, bucket, currency) = ('webmaster:wm-1', 'approved', 'USD')",
    )

    assert (
        "ledger: balance of webmaster:wm-1 approved USD is -9.99, its entries sum to -10.00"
        in violations(services)
    )


def test_a_duplicated_ledger_entry_is_reported(booked, services, database):
    posting = _copy_entries(database, "account = 'webmaster:wm-1' AND bucket = 'approved'")

    found = violations(services)

    assert f"ledger: posting {posting} sums to -10.00 USD, not zero" in found
    assert "ledger: entries in USD sum to -10.00, not zero" in found
    assert (
        "ledger: balance of webmaster:wm-1 approved USD is -10.00, its entries sum to -20.00"
        in found
    )


def test_a_posting_booked_twice_with_its_balances_is_reported_against_the_leads_events(
    booked, services, database
):
    """What a projection applying one event twice leaves: every sum agrees, only the lead not."""
    _copy_entries(database, "bucket = 'approved'", with_balances=True)

    assert violations(services) == [
        f"lead {FLOW_LEAD}: ledger books advertiser:adv-1 approved 30.00 USD; "
        "network approved -10.00 USD; webmaster:wm-1 approved -20.00 USD, its events say "
        "advertiser:adv-1 approved 15.00 USD; network approved -5.00 USD; "
        "webmaster:wm-1 approved -10.00 USD"
    ]


def test_a_posting_that_does_not_sum_to_zero_is_reported(booked, services, database):
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        posting = connection.execute(
            "UPDATE ledger_entries SET amount = amount + 0.01 WHERE id = (SELECT min(id) "
            "FROM ledger_entries WHERE account = 'advertiser:adv-1' AND bucket = 'approved') "
            "RETURNING posting_id"
        ).fetchone()[0]
        connection.execute(
            "UPDATE ledger_balances SET amount = amount + 0.01 "
            "WHERE (account, bucket, currency) = ('advertiser:adv-1', 'approved', 'USD')"
        )

    found = violations(services)

    assert f"ledger: posting {posting} sums to 0.01 USD, not zero" in found
    assert "ledger: entries in USD sum to 0.01, not zero" in found
    assert not [line for line in found if "balance of" in line]


def test_ledger_entries_of_a_lead_without_events_are_reported(booked, services, database):
    ghost = UUID(int=7)
    tamper(
        database,
        "UPDATE ledger_entries SET lead_id = %s WHERE lead_id = %s",
        params=(ghost, UUID(FLOW_LEAD)),
    )

    found = violations(services)

    assert f"lead {ghost}: has ledger entries but no events" in found
    assert (
        f"lead {FLOW_LEAD}: ledger books nothing, its events say "
        + (
            "advertiser:adv-1 approved 15.00 USD; network approved -5.00 USD; "
            "webmaster:wm-1 approved -10.00 USD"
        )
        in found
    )


def test_a_lead_view_row_that_contradicts_its_events_is_reported(booked, services, database):
    tamper(database, f"UPDATE lead_view SET goal = 'dep' WHERE id = '{FLOW_LEAD}'")

    assert violations(services) == [
        f"lead {FLOW_LEAD}: lead view says goal='dep', its events say 'reg'"
    ]


def test_a_lead_missing_from_the_lead_view_is_reported(booked, services, database):
    tamper(database, f"DELETE FROM lead_view WHERE id = '{FLOW_LEAD}'")

    assert f"lead {FLOW_LEAD}: has events but is missing from the lead view" in (
        violations(services)
    )


def test_a_stored_postback_missing_from_the_postback_log_is_reported(booked, services, database):
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        removed = connection.execute(
            "DELETE FROM postback_log WHERE id = (SELECT id FROM postback_log LIMIT 1) RETURNING id"
        ).fetchone()[0]

    assert f"postback {removed}: stored but missing from the postback log" in violations(services)


def test_the_command_exits_0_when_every_invariant_holds(booked, database):
    checked = audit_check(database)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("audit check: all invariants hold")


def test_the_command_exits_1_and_names_the_violation(booked, database):
    tamper(database, *a_copy_of_lead(FLOW_LEAD))

    checked = audit_check(database)

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "2 leads for flow 101 with exto 'x'" in checked.stderr.splitlines()


def _copy_entries(database, where: str, with_balances: bool = False) -> UUID:
    """Insert again the entries of the flow lead's newest posting matching `where`."""
    columns = "posting_id, lead_id, position, event_type, postback_id, rule_version, account, " \
        "bucket, amount, currency, reverses, recorded_at, recalculation_id"  # fmt: skip
    chosen = (
        f"SELECT {columns} FROM ledger_entries WHERE lead_id = '{FLOW_LEAD}' AND {where} "
        "AND NOT reverses"
    )
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        posting = connection.execute(f"SELECT posting_id FROM ({chosen}) c LIMIT 1").fetchone()[0]
        if with_balances:
            connection.execute(
                "UPDATE ledger_balances b SET amount = b.amount + c.total FROM (SELECT account, "
                f"bucket, currency, sum(amount) AS total FROM ({chosen}) e GROUP BY 1, 2, 3) c "
                "WHERE (b.account, b.bucket, b.currency) = (c.account, c.bucket, c.currency)"
            )
        connection.execute(f"INSERT INTO ledger_entries ({columns}) {chosen}")
    return posting
