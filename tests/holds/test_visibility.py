"""What people see of holds: the lead's hold_until, the running holds and their sums, the
command line and the metrics (issue 21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.cli.main import main
from tests.controls import ADMIN, OTHER_OFFER_TOKEN, lead
from tests.hold_controls import (
    Clock,
    follower,
    hold_row,
    holds_toml,
    lead_on_hold,
    releases_of,
    with_hold_rule,
)
from tests.ledger_controls import changed, created_lead


def holds(client, **params) -> dict:
    response = client.get("/api/holds", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_lead_on_hold_shows_when_and_how_its_hold_ends(demo, services):
    with_hold_rule(demo, offer='after_hold = "cancel"', reg='hold_for = "30d"')
    lead_id = lead_on_hold(demo, "seen")
    services.runner.catch_up()
    shown = lead(demo, lead_id)
    assert shown["after_hold"] == "cancel"
    started = shown["updated_at"]
    assert shown["hold_until"] is not None and shown["hold_until"] > started
    changed(demo, exto="seen", status="approved")
    services.runner.catch_up()
    after = lead(demo, lead_id)
    assert after["hold_until"] is None and after["after_hold"] is None


def test_a_lead_never_on_hold_has_null_hold_fields(demo, services):
    with_hold_rule(demo)
    lead_id, _ = created_lead(demo, exto="n")
    shown = lead(demo, lead_id)
    assert shown["hold_until"] is None and shown["after_hold"] is None


def test_running_holds_are_listed_soonest_first_with_sums_per_webmaster_and_currency(
    demo, services
):
    with_hold_rule(demo, offer='hold_for = "10d"', reg='hold_for = "1d"')
    later = [lead_on_hold(demo, f"dep-{n}") for n in range(2)]  # goal reg by default
    follower(services, Clock(None)).catch_up()
    page = holds(demo, limit=1)
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = holds(demo, limit=1, cursor=page["next_cursor"])
    listed = [page["items"][0]["lead_id"], rest["items"][0]["lead_id"]]
    assert sorted(listed) == sorted(later)
    assert page["items"][0]["hold_until"] <= rest["items"][0]["hold_until"]
    assert page["items"][0]["description"].startswith("on hold until ")
    assert "(offer-1/reg: 1 day, then approve)" in page["items"][0]["description"]
    assert page["sums"] == [
        {
            "webmaster": "wm-1",
            "currency": "USD",
            "after_hold": "approve",
            "holds": 2,
            "webmaster_commission": "20.00",
        }
    ]
    assert holds(demo, due_before="2000-01-01")["items"] == []
    assert holds(demo, webmaster="wm-2")["sums"] == []


def test_running_holds_are_filtered_by_due_date_advertiser_and_offer(demo, services):
    """offer-1 (adv-1, USD) holds 1 day, offer-2 (adv-2, EUR) 10 days: each filter picks its own."""
    loans = 'id = "offer-2"\n'
    catalog = holds_toml(reg='hold_for = "1d"').replace(loans, loans + 'hold_for = "10d"\n', 1)
    assert demo.post("/api/admin/catalog", content=catalog, headers=ADMIN).status_code == 200
    card = lead_on_hold(demo, "card")
    loan, _ = created_lead(demo, flow="201", exto="loan", token=OTHER_OFFER_TOKEN)
    changed(demo, flow="201", exto="loan", token=OTHER_OFFER_TOKEN, status="hold")
    follower(services, Clock(None)).catch_up()

    def listed(**params) -> list[str]:
        return [item["lead_id"] for item in holds(demo, **params)["items"]]

    assert listed() == [card, loan]  # soonest first
    in_five_days = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    assert listed(due_before=in_five_days) == [card]
    assert listed(advertiser="adv-2") == [loan] and listed(advertiser="adv-1") == [card]
    assert listed(offer="offer-2") == [loan] and listed(offer="offer-1") == [card]
    assert [(s["webmaster"], s["currency"]) for s in holds(demo)["sums"]] == [
        ("wm-1", "EUR"),
        ("wm-1", "USD"),
    ]
    assert [s["currency"] for s in holds(demo, advertiser="adv-2")["sums"]] == ["EUR"]


def test_a_bad_cursor_or_date_is_a_400_in_the_error_shape(demo):
    for params in ({"cursor": "nonsense"}, {"due_before": "next tuesday"}):
        response = demo.get("/api/holds", params=params, headers=ADMIN)
        assert response.status_code == 400, response.text
        assert response.json()["status"] == "error"


def test_holds_due_and_release_dry_run_on_the_command_line(demo, services, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", services.address.url())
    with_hold_rule(demo, reg='hold_for = "90s"')
    lead_id = lead_on_hold(demo, "cli")
    assert main(["holds", "due", "--before", "2999-01-01", "--json"]) == 0
    out = capsys.readouterr().out
    assert lead_id in out and '"after_hold":"approve"' in out
    assert main(["holds", "due", "--before", "2999-01-01"]) == 0  # README's example, a table
    table = capsys.readouterr().out
    assert lead_id in table and "offer-1/reg (90s, catalog v" in table and "10.00 USD" in table
    assert main(["holds", "release", "--dry-run", "--json"]) == 0
    assert lead_id not in capsys.readouterr().out  # due in 90 s, not now
    assert lead(demo, lead_id)["status"] == "hold"


def test_metrics_show_running_holds_releases_and_the_oldest_delay(demo, services, monkeypatch):
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "m")
    f = follower(services, Clock(None))
    f.catch_up()
    text = demo.get("/metrics").text
    assert "ledger_holds_running 1.0" in text
    assert "ledger_hold_oldest_due_delay_seconds 0.0" in text
    late = hold_row(services, lead_id)["due_at"] + timedelta(seconds=7.5)

    class ScrapedLate(datetime):
        @classmethod
        def now(cls, tz=None):
            return late

    monkeypatch.setattr("app.holds.metrics.datetime", ScrapedLate)
    assert "ledger_hold_oldest_due_delay_seconds 7.5" in demo.get("/metrics").text
    monkeypatch.undo()
    f._clock = Clock(hold_row(services, lead_id)["due_at"] + timedelta(seconds=1))
    f.release_due()
    text = demo.get("/metrics").text
    assert "ledger_holds_running 0.0" in text
    assert 'ledger_hold_releases_total{outcome="approve"} 1.0' in text


def test_release_dry_run_shows_a_hold_due_now_and_changes_nothing_then_release_ends_it_once(
    demo, services, capsys, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", services.address.url())
    with_hold_rule(demo, reg='hold_for = "90s"')
    lead_id = lead_on_hold(demo, "due-now")
    follower(services, Clock(None)).catch_up()
    due = hold_row(services, lead_id)["due_at"]
    monkeypatch.setattr("app.holds.follower.utc_now", lambda: due)
    assert main(["holds", "release", "--dry-run", "--json"]) == 0
    assert lead_id in capsys.readouterr().out  # due at exactly now
    assert releases_of(services, lead_id) == []
    assert main(["holds", "release", "--json"]) == 0
    assert capsys.readouterr().out.strip() == '{"released":1}'
    assert main(["holds", "release"]) == 0
    assert capsys.readouterr().out.strip() == "nothing was due"
    assert len(releases_of(services, lead_id)) == 1
