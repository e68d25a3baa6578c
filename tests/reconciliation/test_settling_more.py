"""Settling what a statement can settle: goals, leads the advertiser does not pay for, the
time a lead created from a statement happened, and every settleable class by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.controls import ADMIN, create
from tests.reconciliation.controls import accept, counts, lines, statement, uploaded


def _lead(client, services, lead_id: str) -> dict:
    services.runner.catch_up()
    response = client.get(f"/api/leads/{lead_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_goal_difference_settles_as_a_goal_change(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "deposit"]], ["exto", "goal"]))
    (line,) = lines(demo, run["id"], **{"class": "value_differs"})

    done = accept(demo, run["id"], classes=["value_differs"])

    assert done["lines"][0]["changes"] == ["goal"]
    assert _lead(demo, services, line["lead_id"])["goal"] == "dep"


def test_an_only_in_ledger_lead_is_cancelled_with_the_statement_as_its_cause(demo, services):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "new"]], ["exto", "status"]))
    (missing,) = lines(demo, run["id"], **{"class": "only_in_ledger"})

    dry = accept(demo, run["id"], classes=["only_in_ledger"], dry_run=True)
    assert _lead(demo, services, missing["lead_id"])["status"] == "new"
    done = accept(demo, run["id"], classes=["only_in_ledger"])

    assert dry["lines"][0]["changes"] == ["status"] and dry["dry_run"]
    assert done["lines"][0]["outcome"] == "settled"
    assert _lead(demo, services, missing["lead_id"])["status"] == "cancel"
    history = demo.get(f"/api/leads/{missing['lead_id']}/history", headers=ADMIN).json()
    assert history["steps"][-1]["kind"] == "reconciliation"


def test_a_lead_created_from_a_statement_line_happened_at_the_lines_time(demo, services):
    when = (datetime.now(UTC) - timedelta(hours=20)).replace(microsecond=0)
    body = statement([["o-7", "101", "approved", when.isoformat()]],
                     ["exto", "flow", "status", "time"])  # fmt: skip
    run = uploaded(demo, body)
    done = accept(demo, run["id"], lines=[2])
    lead = _lead(demo, services, done["lines"][0]["lead_id"])

    again = uploaded(demo, body)

    assert datetime.fromisoformat(lead["created_at"]) == when
    assert counts(again["summary"])["matched"] == 1
    assert counts(again["summary"])["only_in_ledger"] == 0


def test_accept_takes_every_settleable_class_by_name(demo, services):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "approved"]], ["exto", "status"]))

    done = accept(demo, run["id"], classes=["value_differs", "matched", "only_in_ledger"],
                  dry_run=True)  # fmt: skip
    refused = demo.post(f"/api/reconciliations/{run['id']}/accept",
                        json={"classes": ["only_in_statement"]}, headers=ADMIN)  # fmt: skip

    assert sorted(line["class"] for line in done["lines"]) == ["only_in_ledger", "value_differs"]
    assert refused.status_code == 400 and "only_in_statement" in refused.json()["message"]


def test_only_in_ledger_lines_cancel_leads_only_after_a_dry_run_of_them(demo, services):
    for exto in ("o-1", "o-2", "o-3"):
        create(demo, flow="101", exto=exto)
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "new"]], ["exto", "status"]))
    first, second = lines(demo, run["id"], **{"class": "only_in_ledger"})
    url = f"/api/reconciliations/{run['id']}/accept"

    blind = demo.post(url, json={"classes": ["only_in_ledger"]}, headers=ADMIN)
    accept(demo, run["id"], lines=[first["line"]], dry_run=True)
    half = demo.post(url, json={"classes": ["only_in_ledger"]}, headers=ADMIN)
    after_half = {line["line"]: line for line in lines(demo, run["id"])}
    accept(demo, run["id"], classes=["only_in_ledger"], dry_run=True)
    done = accept(demo, run["id"], classes=["only_in_ledger"])

    assert blind.status_code == half.status_code == 409
    assert blind.json()["error"] == half.json()["error"] == "dry_run_required"
    assert f"({second['line']})" in half.json()["message"]  # the line no dry run showed
    assert (
        after_half[first["line"]]["dry_run_at"] and after_half[second["line"]]["dry_run_at"] is None
    )
    assert after_half[second["line"]]["settled_at"] is None
    assert [line["outcome"] for line in done["lines"]] == ["settled", "settled"]
    assert _lead(demo, services, second["lead_id"])["status"] == "cancel"


def test_a_refused_cancel_changes_nothing(demo, services):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    services.runner.catch_up()
    run = uploaded(demo, statement([["o-1", "approved"]], ["exto", "status"]))
    (missing,) = lines(demo, run["id"], **{"class": "only_in_ledger"})

    refused = demo.post(f"/api/reconciliations/{run['id']}/accept", headers=ADMIN,
                        json={"classes": ["value_differs", "only_in_ledger"]})  # fmt: skip

    assert refused.status_code == 409 and refused.json()["error"] == "dry_run_required"
    assert _lead(demo, services, missing["lead_id"])["status"] == "new"
    assert all(not line.get("settled_at") for line in lines(demo, run["id"]))
