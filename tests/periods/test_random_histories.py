"""Hypothesis: for random lead histories and payouts cut by random closes, statements chain from
period to period, equal their entries, end at the ledger's balances, and survive a rebuild."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.periods.seals import seal_problems, statement_problems
from domain.ledger import holder_view
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN, change, create
from tests.periods.period_controls import closed, moment_after_now, statements

STATUSES = ("hold", "approve", "cancel", "processing")
_example = itertools.count()

step = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 3), st.sampled_from(("10.00", "7.50", None))),
    st.tuples(st.just("status"), st.integers(0, 3), st.sampled_from(STATUSES)),
    st.tuples(st.just("close")),
    st.tuples(st.just("pay"), st.sampled_from(("5.00", None))),
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_random_histories_and_closes_keep_statements_chained_and_true(demo, services, steps):
    prefix = f"h{next(_example)}-"
    paid: list[int] = []
    for action, *args in steps:
        if action == "create":
            pay = {} if args[1] is None else {"pay": args[1], "cc": "USD"}
            create(demo, flow="101", exto=f"{prefix}{args[0]}", **pay)
        elif action == "status":
            change(demo, flow="101", exto=f"{prefix}{args[0]}", status=args[1])
        elif action == "pay":
            amount = {} if args[0] is None else {"amount": args[0]}
            body = {"webmaster": "wm-1", "currency": "USD", "reference": f"{prefix}{len(paid)}"}
            answer = demo.post("/api/payouts", json={**body, **amount}, headers=ADMIN)
            assert answer.status_code in (201, 409, 422), answer.text  # 409: not that much payable
            paid.append(answer.status_code)
        else:
            closed(demo, moment_after_now())
    last = closed(demo, moment_after_now())
    services.runner.catch_up()

    _assert_chained(demo, last["id"])
    _assert_last_closing_is_the_ledger(demo, services, last["id"])
    assert _problems(services) == ([], [])
    Rebuild(services.ledger, services.address, "commissions", "tester", dry_run=False).run()
    assert _problems(services) == ([], [])


def _assert_chained(client, last: int) -> None:
    closing: dict[tuple[str, str], dict] = {}
    for number in range(1, last + 1):
        for statement in statements(client, number):
            key = (statement["account"], statement["currency"])
            before = closing.get(key, dict.fromkeys(statement["opening"], "0"))
            assert _amounts(statement["opening"]) == _amounts(before), (number, key)
            moved = dict.fromkeys(statement["opening"], Decimal(0))
            for line in statement["movements"]:
                moved[line["bucket"]] += Decimal(line["amount"])
            expected = {b: Decimal(a) + moved[b] for b, a in statement["opening"].items()}
            assert _amounts(statement["closing"]) == expected, (number, key)
            closing[key] = statement["closing"]


def _assert_last_closing_is_the_ledger(client, services, last: int) -> None:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        rows = cursor.execute("SELECT * FROM ledger_balances").fetchall()
    ledger = {
        (row["account"], row["currency"], row["bucket"]): holder_view(row["account"], row["amount"])
        for row in rows
    }
    shown = {
        (s["account"], s["currency"], bucket): Decimal(amount)
        for s in statements(client, last)
        for bucket, amount in s["closing"].items()
    }
    assert {k: v for k, v in shown.items() if v} == {k: v for k, v in ledger.items() if v}


def _amounts(buckets: dict) -> dict:
    return {bucket: Decimal(amount) for bucket, amount in buckets.items()}


def _problems(services) -> tuple[list[str], list[str]]:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return seal_problems(services.ledger, cursor), statement_problems(services.ledger, cursor)
