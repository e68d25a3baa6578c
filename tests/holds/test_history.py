"""A hold and its release in the lead's history and on the support page, in words (issue 21)."""

from __future__ import annotations

import html

from tests.controls import ADMIN, ADMIN_TOKEN
from tests.hold_controls import Clock, follower, hold_row, lead_on_hold, with_hold_rule


def test_history_and_support_page_say_when_a_hold_ends_and_which_rule_ended_it(demo, services):
    with_hold_rule(demo, reg='hold_for = "30d"')
    lead_id = lead_on_hold(demo, "words")
    f = follower(services, Clock(None))
    f.catch_up()
    row = hold_row(services, lead_id)
    f._clock = Clock(row["due_at"])
    f.release_due()
    services.runner.catch_up()
    version = row["catalog_version"]
    until = row["due_at"].date().isoformat()
    on_hold = f"on hold until {until} (offer-1/reg: 30 days, then approve)"
    released = f"approved by the hold rule offer-1/reg (catalog v{version})"

    steps = demo.get(f"/api/leads/{lead_id}/history", headers=ADMIN).json()["steps"]
    assert [step["hold"] for step in steps] == [None, on_hold, released]
    assert steps[-1]["kind"] == "hold_release"

    demo.post("/support/login", data={"token": ADMIN_TOKEN, "next": "/support"})
    page = html.unescape(demo.get(f"/support/leads/{lead_id}").text)
    assert on_hold in page
    assert "Approved by the hold rule offer-1/reg" in page
