"""Closing a period: sealed statements, contiguous periods, and the refusals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg

from tests.controls import ADMIN
from tests.ledger_controls import changed, created_lead
from tests.periods.period_controls import (
    close,
    closed,
    lead_approved,
    moment_after_now,
    movements,
    statement_of,
    statements,
)


def test_closing_seals_a_statement_of_what_each_account_earned_in_the_period(demo, services):
    lead_approved(demo, "p-1")
    until = moment_after_now()

    period = closed(demo, until)

    assert period["id"] == 1 and period["starts_at"] is None
    assert datetime.fromisoformat(period["until"]) == until
    assert period["closed_by"] == "support" and period["entry_count"] > 0
    services.runner.catch_up()
    webmaster = statement_of(demo, 1, "webmaster:wm-1")
    assert webmaster["opening"] == {
        "pending": "0.00",
        "hold": "0.00",
        "approved": "0.00",
        "paid": "0.00",
    }
    assert movements(webmaster) == {
        ("accrued", "pending"): "10.00",
        ("approved", "pending"): "-10.00",
        ("approved", "approved"): "10.00",
    }
    assert webmaster["closing"] == {
        "pending": "0.00",
        "hold": "0.00",
        "approved": "10.00",
        "paid": "0.00",
    }
    advertiser = statement_of(demo, 1, "advertiser:adv-1")
    assert advertiser["closing"]["approved"] == "15.00"
    assert statement_of(demo, 1, "network")["closing"]["approved"] == "5.00"


def test_the_next_period_opens_with_the_last_closing_and_holds_only_later_entries(demo, services):
    lead_approved(demo, "p-1")
    first = closed(demo, moment_after_now())
    changed(demo, exto="p-1", status="cancel")
    created_lead(demo, exto="p-2")

    second = closed(demo, moment_after_now())

    assert second["id"] == 2
    assert second["starts_at"] == first["until"]
    assert second["previous_seal"] == first["seal"] != second["seal"]
    services.runner.catch_up()
    webmaster = statement_of(demo, 2, "webmaster:wm-1")
    assert webmaster["opening"] == statement_of(demo, 1, "webmaster:wm-1")["closing"]
    assert movements(webmaster) == {
        ("accrued", "pending"): "10.00",
        ("clawed_back", "approved"): "-10.00",
    }
    assert webmaster["closing"] == {
        "pending": "10.00",
        "hold": "0.00",
        "approved": "0.00",
        "paid": "0.00",
    }


def test_entries_booked_after_until_wait_for_the_next_period(demo, services):
    lead_approved(demo, "p-1")
    until = moment_after_now()
    created_lead(demo, exto="p-2")  # booked after `until`, before the close

    closed(demo, until)

    services.runner.catch_up()
    assert statement_of(demo, 1, "webmaster:wm-1")["closing"]["pending"] == "0.00"
    closed(demo, moment_after_now())
    services.runner.catch_up()
    assert movements(statement_of(demo, 2, "webmaster:wm-1")) == {("accrued", "pending"): "10.00"}


def test_a_date_means_midnight_in_the_ledger_time_zone(demo, services):
    period = closed(demo, "2026-01-01")

    assert datetime.fromisoformat(period["until"]) == datetime(2026, 1, 1, tzinfo=UTC)


def test_closing_the_future_is_refused_and_stores_nothing(demo, services):
    response = close(demo, datetime.now(UTC) + timedelta(hours=1))

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "unprocessable"
    assert "future" in response.json()["message"]
    assert _periods(demo) == []


def test_closing_at_or_before_the_last_close_is_refused(demo, services):
    closed(demo, "2026-02-01")

    for until in ("2026-02-01", "2026-01-15"):
        response = close(demo, until)
        assert response.status_code == 409, response.text
        assert "not after the last close" in response.json()["message"]
    services.runner.catch_up()
    assert [period["id"] for period in _periods(demo)] == [1]


def test_an_until_that_is_no_time_is_a_bad_request(demo):
    for until in ("yesterday", "2026-13-01", ""):
        response = close(demo, until)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "bad_request"


def test_closing_while_a_rebuild_runs_is_refused(demo, services, database):
    from projections.rebuild.schema import _REBUILD_LOCK_KEY

    with psycopg.connect(database.conninfo(), autocommit=True) as rebuild:
        rebuild.execute("SELECT pg_advisory_lock(%s)", (_REBUILD_LOCK_KEY,))
        response = close(demo, moment_after_now())

    assert response.status_code == 409, response.text
    assert "rebuild" in response.json()["message"]
    assert close(demo, moment_after_now()).status_code == 201


def test_two_closes_at_once_one_wins_and_the_other_is_told(demo, services):
    lead_approved(demo, "p-1")
    until = moment_after_now()
    start = threading.Barrier(2)
    answers = []

    def closing() -> None:
        start.wait()
        answers.append(close(demo, until))

    threads = [threading.Thread(target=closing) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers) == [201, 409], [
        answer.text for answer in answers
    ]
    services.runner.catch_up()
    assert [period["id"] for period in _periods(demo)] == [1]


def test_statements_of_an_unknown_period_are_not_found(demo):
    response = demo.get("/api/periods/7/statements", headers=ADMIN)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_statements_come_as_csv_too(demo, services):
    lead_approved(demo, "p-1")
    closed(demo, moment_after_now())
    services.runner.catch_up()

    response = demo.get(
        "/api/periods/1/statements",
        params={"account": "webmaster:wm-1", "format": "csv"},
        headers=ADMIN,
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    header = "account,currency,line,bucket,amount,kind,lead,position,cause,effective_at,"
    assert lines[0] == header + "booked_at,period"
    assert "webmaster:wm-1,USD,approved,approved,10.00,,,,,,," in lines
    assert "webmaster:wm-1,USD,closing,approved,10.00,,,,,,," in lines


def test_statements_page_with_a_cursor(demo, services):
    lead_approved(demo, "p-1")
    closed(demo, moment_after_now())
    services.runner.catch_up()
    every = statements(demo, 1)

    first = demo.get("/api/periods/1/statements", params={"limit": 2}, headers=ADMIN).json()
    rest = demo.get(
        "/api/periods/1/statements", params={"cursor": first["next_cursor"]}, headers=ADMIN
    ).json()

    assert len(every) == 3
    assert first["items"] + rest["items"] == every
    assert rest["next_cursor"] is None


def _periods(client) -> list[dict]:
    response = client.get("/api/periods", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_later_change_to_a_lead_of_a_closed_period_is_listed_with_its_cause(demo, services):
    lead_approved(demo, "p-1")
    closed(demo, moment_after_now())
    cancel = changed(demo, exto="p-1", status="cancel")
    created_lead(demo, exto="p-2")  # a new lead: not an adjustment

    closed(demo, moment_after_now())

    services.runner.catch_up()
    lead = next(e for e in _entries_at(services, cancel))
    adjustments = statement_of(demo, 2, "webmaster:wm-1")["adjustments"]
    booked = lead["recorded_at"].astimezone(UTC).isoformat()
    assert adjustments == [
        {"lead": str(lead["lead_id"]), "position": cancel, "kind": "clawed_back",
         "bucket": "approved", "amount": "-10.00", "cause": f"postback:{lead['postback_id']}",
         "effective_at": booked, "booked_at": booked, "period": 2}
    ]  # fmt: skip


def _entries_at(services, position: int) -> list[dict]:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return cursor.execute(
            "SELECT * FROM ledger_entries WHERE position = %s ORDER BY id", (position,)
        ).fetchall()
