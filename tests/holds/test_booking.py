"""A release is booked and sent like an advertiser's status change, and stays what it was: a
rebuild or a changed rule never moves it (issue 21)."""

from __future__ import annotations

from decimal import Decimal

from app.holds.releasing import Releaser
from projections.rebuild.rebuilder import Rebuild
from tests.controls import ADMIN, lead
from tests.delivery_controls import (
    configure,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.hold_controls import (
    Clock,
    follower,
    hold_row,
    holds_toml,
    lead_on_hold,
    releases_of,
    with_hold_rule,
)
from tests.ledger_controls import commission


def _entries(services) -> list[tuple]:
    with services.ledger.recorder.datastore.transaction() as cursor:
        rows = cursor.execute("SELECT * FROM ledger_entries ORDER BY position, id").fetchall()
    return [tuple(v for k, v in row.items() if k not in ("id", "recalculation_id")) for row in rows]


def _release_all(services, lead_id: str) -> None:
    f = follower(services, Clock(None))
    f.catch_up()
    f._clock = Clock(hold_row(services, lead_id)["due_at"])
    assert f.release_due() == {"released": 1}


def test_the_ledger_books_a_release_like_an_advertisers_approve(demo, services):
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "booked")
    _release_all(services, lead_id)
    services.runner.catch_up()
    money = commission(demo, lead_id)
    buckets = {(b["account"], b["bucket"]) for b in money["entries"] if b["amount"] != "0.00"}
    assert ("webmaster:wm-1", "approved") in buckets
    assert lead(demo, lead_id)["status"] == "approve"


def test_a_rebuild_reproduces_the_same_entries_and_a_changed_rule_moves_no_release(demo, services):
    with_hold_rule(demo, reg='hold_for = "72h"')
    lead_id = lead_on_hold(demo, "kept")
    _release_all(services, lead_id)
    services.runner.catch_up()
    before = _entries(services)
    (release,) = releases_of(services, lead_id)
    response = demo.post(
        "/api/admin/catalog",
        content=holds_toml('hold_for = "1d"', 'hold_for = "5d"\n  after_hold = "cancel"'),
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    Rebuild(services.ledger, services.address, "all", "test", dry_run=False).run()
    assert _entries(services) == before
    assert releases_of(services, lead_id) == [release]
    assert lead(demo, lead_id)["status"] == "approve"


def test_the_webmaster_is_sent_a_release_once(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        with_hold_rule(demo)
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}&st={status}")))
        lead_id = lead_on_hold(demo, "sent")
        settled(demo, 2)
        f = follower(services, Clock(None))
        f.catch_up()
        f._clock = Clock(hold_row(services, lead_id)["due_at"])
        f.release_due()
        again = follower(services, f._clock, Releaser(services.ledger))
        assert again.release_due() == {}
        settled(demo, 3)
        received_within(receiver, 3)
    paths = sorted(r.path for r in receiver.received)
    assert paths == ["/pb?exto=sent&st=approve", "/pb?exto=sent&st=hold", "/pb?exto=sent&st=new"]


def test_a_back_dated_rate_change_reprices_a_released_lead_but_moves_no_release(demo, services):
    """The rebuild prices the lead with the new rate; the release stays the stored event it was
    (same time, outcome and cause), so the lead is still approved where it was."""
    with_hold_rule(demo, reg='hold_for = "72h"')
    lead_id = lead_on_hold(demo, "repriced")
    _release_all(services, lead_id)
    (release,) = releases_of(services, lead_id)
    back_dated = holds_toml(reg='hold_for = "72h"').replace(
        'webmaster = { amount = "10.00", currency = "USD" }\n',
        'webmaster = { amount = "12.00", currency = "USD" }\n'
        "  effective_from = 2020-01-01T00:00:00Z\n",
        1,
    )
    response = demo.post("/api/admin/catalog", content=back_dated, headers=ADMIN)
    assert response.status_code == 200 and response.json()["rebuild_needed"], response.text
    Rebuild(services.ledger, services.address, "all", "test", dry_run=False).run()
    assert releases_of(services, lead_id) == [release]
    money = commission(demo, lead_id)
    assert money["webmaster_commission"]["amount"] == "12.00"
    approved = [e for e in money["entries"] if e["bucket"] == "approved" and e["amount"] != "0.00"]
    assert {e["account"] for e in approved} >= {"webmaster:wm-1"}
    assert lead(demo, lead_id)["status"] == "approve"


def test_a_release_to_cancel_leaves_nothing_in_any_bucket_and_says_which_rule(demo, services):
    with_hold_rule(demo, offer='after_hold = "cancel"')
    lead_id = lead_on_hold(demo, "voided")
    _release_all(services, lead_id)
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "cancel"
    held: dict[tuple, Decimal] = {}
    for entry in commission(demo, lead_id)["entries"]:
        key = (entry["account"], entry["bucket"])
        held[key] = held.get(key, Decimal(0)) + Decimal(entry["amount"])
    assert ("webmaster:wm-1", "hold") in held and set(held.values()) == {Decimal(0)}
    (step,) = [s for s in _history(demo, lead_id) if s["kind"] == "hold_release"]
    assert step["hold"].startswith("cancelled by the hold rule offer-1/reg (catalog v")
    assert 'ledger_hold_releases_total{outcome="cancel"} 1.0' in demo.get("/metrics").text


def _history(client, lead_id: str) -> list[dict]:
    return client.get(f"/api/leads/{lead_id}/history", headers=ADMIN).json()["steps"]
