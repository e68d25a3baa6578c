"""Balances as of a moment from the nearest close equal the replay of every lead's events.

The replay (`balances_as_of_replay`) folds each lead's events up to T; the snapshot answer
(`balances_as_of_snapshot`) takes the latest close at or before T and adds the entries booked
after it. They must agree at every moment: before the first close, exactly at a close's `until`,
between closes, after the last one, with payouts, clawbacks across closes, and entries the
ledger reached only after a close.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from app.audit.as_of import balances_as_of_replay
from app.audit.as_of_snapshot import balances_as_of, balances_as_of_snapshot
from app.eventstore.replica import read_transaction
from app.periods.closing import close_period
from projections.lead_view.queries import lead_ids_of
from projections.periods import as_of as as_of_reads
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN
from tests.ledger_controls import apply_catalog, changed, created_lead, goal_rate_toml
from tests.periods.period_controls import closed, lead_approved, moment_after_now

ACCOUNTS = ("webmaster:wm-1", "advertiser:adv-1", "network")


def both(services, account: str, moment: datetime):
    """(replayed, from the snapshot) balances of `account` at `moment`."""
    kind, _, holder = account.partition(":")
    holder_kind = kind if kind in ("advertiser", "webmaster") else None
    with read_transaction(services) as cursor:
        ids = lead_ids_of(cursor, holder_kind, holder)
        replayed = balances_as_of_replay(services.ledger, cursor, account, ids, moment)
        snapshot = balances_as_of_snapshot(cursor, account, moment)
    return replayed, snapshot


def assert_agree(services, moments: list[datetime]) -> None:
    for moment in moments:
        for account in ACCOUNTS:
            replayed, snapshot = both(services, account, moment)
            assert snapshot == replayed, (account, moment.isoformat())


def history(demo) -> tuple[list[datetime], list[datetime]]:
    """Three closes over leads that accrue, approve, hold, get paid and clawed back, in two
    currencies; (every moment between two steps, each close's until)."""
    steps: list[datetime] = [moment_after_now()]
    untils: list[datetime] = []

    def step() -> None:
        steps.append(moment_after_now())

    lead_approved(demo, "a-1")
    step()
    created_lead(demo, exto="a-2")
    step()
    created_lead(demo, exto="a-3", pay="18.40", cc="EUR")
    step()
    changed(demo, exto="a-2", status="hold")
    step()
    untils.append(moment_after_now())
    closed(demo, untils[-1])
    step()
    changed(demo, exto="a-1", status="cancel")  # money of period 1 taken back in period 2
    step()
    changed(demo, exto="a-2", status="approve")
    step()
    lead_approved(demo, "b-1")
    step()
    paid = demo.post(
        "/api/payouts",
        json={"webmaster": "wm-1", "currency": "USD", "reference": "bank-1"},
        headers=ADMIN,
    )
    assert paid.status_code == 201, paid.text
    step()
    untils.append(moment_after_now())
    closed(demo, untils[-1])
    step()
    untils.append(moment_after_now())
    closed(demo, untils[-1])  # a period without a movement
    step()
    changed(demo, exto="a-3", status="approve")
    step()
    created_lead(demo, exto="c-1")
    step()
    return steps, untils


def test_as_of_balances_from_the_nearest_close_equal_the_replay_at_every_moment(demo, services):
    steps, untils = history(demo)
    services.runner.catch_up()
    tiny = timedelta(microseconds=1)
    boundaries = [at + shift for at in untils for shift in (-tiny, timedelta(0), tiny)]
    randomly = random.Random(22)
    start, end = steps[0], steps[-1]
    spread = [start + (end - start) * randomly.random() for _ in range(12)]
    before_anything = steps[0] - timedelta(days=1)

    assert_agree(services, [before_anything, *steps, *boundaries, *spread])
    # the history moved money in both currencies and paid: the comparison saw all of it
    replayed, _ = both(services, "network", steps[-1])
    assert set(replayed) == {"EUR", "USD"} and replayed["USD"]["paid"] != 0


def test_the_closing_snapshot_is_read_and_counted_once(demo, services):
    lead_approved(demo, "s-1")
    until = moment_after_now()
    closed(demo, until)
    later = moment_after_now()
    services.runner.catch_up()
    account = "webmaster:wm-1"

    replayed, snapshot = both(services, account, later)
    assert snapshot == replayed  # counted once: the entries before `until` are not added again
    assert snapshot["USD"]["approved"] == 10
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:  # rolled back
        row = cursor.execute(
            "SELECT document FROM period_statements WHERE account = %s", (account,)
        ).fetchone()
        document = json.loads(row["document"])
        document["closing"]["approved"] = "11.00"  # the snapshot says one more than the entries
        cursor.execute(
            "UPDATE period_statements SET document = %s WHERE account = %s",
            (json.dumps(document), account),
        )
        assert balances_as_of_snapshot(cursor, account, later)["USD"]["approved"] == 11
        assert balances_as_of_snapshot(cursor, account, until)["USD"]["approved"] == 11
        before = until - timedelta(microseconds=1)  # before the close: entries only
        assert balances_as_of_snapshot(cursor, account, before)["USD"]["approved"] == 10


def test_entries_the_ledger_reached_only_after_the_close_are_counted(paused_projections):
    client, services = paused_projections
    lead_approved(client, "late-1")
    services.runner.catch_up()
    created_lead(client, exto="late-2")  # booked before `until`, reached after the close
    changed(client, exto="late-2", status="approve")
    until = moment_after_now()
    period = close_period(services.ledger, until, datetime.now(UTC), "test", wait_seconds=0)
    services.runner.catch_up()
    after = moment_after_now()
    with read_transaction(services) as cursor:
        late = cursor.execute(
            "SELECT count(*) AS n FROM ledger_entries WHERE position > %s AND recorded_at < %s",
            (period.covers_through, until),
        ).fetchone()["n"]
    assert late > 0  # the case this test is about happened

    assert_agree(services, [until, after])
    replayed, _ = both(services, "webmaster:wm-1", after)
    assert replayed["USD"]["approved"] == 20


def test_as_of_a_moment_before_a_rebuild_that_repriced_is_replayed(demo, services):
    lead_approved(demo, "r-1")
    closed(demo, moment_after_now())
    lead_approved(demo, "r-2")
    before = moment_after_now()
    since = datetime.now(UTC) - timedelta(days=30)
    apply_catalog(demo, goal_rate_toml("12.00", effective_from=since))
    Rebuild(services.ledger, services.address, "all", "tester").run()
    after = moment_after_now()
    services.runner.catch_up()
    account = "webmaster:wm-1"

    with read_transaction(services) as cursor:
        ids = lead_ids_of(cursor, "webmaster", "wm-1")
        answers = {
            at: balances_as_of(services.ledger, cursor, account, lambda: ids, at)
            for at in (before, after)
        }
        replayed = {
            at: balances_as_of_replay(services.ledger, cursor, account, ids, at)
            for at in (before, after)
        }
        stale = balances_as_of_snapshot(cursor, account, before)
        fresh = balances_as_of_snapshot(cursor, account, after)

    assert answers == replayed
    assert replayed[before]["USD"]["approved"] == 20  # as it stood: both at 10.00
    assert stale["USD"]["approved"] == 22  # the entries now hold r-2 re-priced: not used then
    assert answers[after]["USD"]["approved"] == 24
    assert fresh == replayed[after]  # after the rebuild the snapshot answers: adjustment booked


def test_the_entries_after_a_close_are_read_through_indexes(services):
    """On a ledger with statistics (a year of 50 webmasters' entries, ANALYZEd), the query for
    one account's entries after a close reads indexes, never the whole table."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(
            "INSERT INTO ledger_entries (posting_id, lead_id, position, event_type, rule_version,"
            " account, bucket, amount, currency, reverses, recorded_at)"
            " SELECT gen_random_uuid(), gen_random_uuid(), i, 'StatusChanged', 'v1',"
            " 'webmaster:wm-' || (i %% 50), 'approved', -10, 'USD', false,"
            " %s + i * interval '10 minutes' FROM generate_series(1, 50000) AS i",
            (start,),
        )
        cursor.execute("ANALYZE ledger_entries")
    until = start + timedelta(days=200)
    params = {"account": "webmaster:wm-7", "moment": until + timedelta(days=20), "until": until,
              "until_seconds": until.timestamp(), "through": 28_000}  # fmt: skip
    with read_transaction(services) as cursor:
        plan = "\n".join(
            row["QUERY PLAN"]
            for row in cursor.execute("EXPLAIN " + as_of_reads._AFTER_CLOSE, params)
        )

    assert "Seq Scan" not in plan, plan
    assert "ledger_entries_position_time" in plan, plan


def test_the_balances_route_answers_as_of_a_moment_with_payouts_and_clawbacks(demo, services):
    lead_approved(demo, "h-1")
    closed(demo, moment_after_now())
    after_close = moment_after_now()
    paid = demo.post(
        "/api/payouts",
        json={"webmaster": "wm-1", "currency": "USD", "reference": "bank-h"},
        headers=ADMIN,
    )
    assert paid.status_code == 201, paid.text
    after_payout = moment_after_now()
    changed(demo, exto="h-1", status="cancel")  # clawed back in the open period, after payout
    later = moment_after_now()
    services.runner.catch_up()

    def approved_at(moment: datetime) -> str:
        response = demo.get(
            "/api/balances",
            params={"webmaster": "wm-1", "as_of": moment.isoformat()},
            headers=ADMIN,
        )
        assert response.status_code == 200, response.text
        return response.json()["balances"]["USD"]["approved"]

    assert approved_at(after_close) == "10.00"  # the closing balance alone
    assert approved_at(after_payout) == "0.00"  # paid out: a payout counts as of its booking
    assert approved_at(later) == "-10.00"  # clawed back after the payout: owed back
