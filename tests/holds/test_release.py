"""Holds end by themselves: released exactly once at their time, by a stored event (issue 21)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.holds.releasing import Releaser
from domain.hold_release import HOLD_EXPIRED
from tests.controls import lead
from tests.hold_controls import (
    Clock,
    follower,
    hold_row,
    lead_events,
    lead_on_hold,
    releases_of,
    with_hold_rule,
)
from tests.ledger_controls import changed


def test_a_hold_is_released_at_its_exact_time_and_not_an_instant_before(demo, services):
    version = with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "exact")
    f = follower(services, Clock(None))
    f.catch_up()
    row = hold_row(services, lead_id)
    assert row["rule"] == "offer-1/reg" and row["after_hold"] == "approve"
    f._clock = Clock(row["due_at"] - timedelta(microseconds=1))
    assert not f.release_due()
    assert lead(demo, lead_id)["status"] == "hold"
    f._clock = Clock(row["due_at"])
    assert f.release_due() == {"released": 1}
    (event,) = releases_of(services, lead_id)
    assert event.status == "approve" and event.status_word == HOLD_EXPIRED
    assert event.cause["rule"] == "offer-1/reg"
    assert event.cause["catalog_version"] == row["catalog_version"]
    assert version is not None
    assert hold_row(services, lead_id) is None
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "approve"


def test_a_postback_one_instant_before_the_release_wins(demo, services):
    with_hold_rule(demo, offer='after_hold = "cancel"')
    lead_id = lead_on_hold(demo, "before")
    f = follower(services, Clock(None))
    f.catch_up()
    due = hold_row(services, lead_id)["due_at"]
    changed(demo, exto="before", status="approved")
    f._clock = Clock(due)
    assert f.release_due() in ({}, {"superseded": 1})  # the table may still hold the row
    assert releases_of(services, lead_id) == []
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "approve"


def test_a_postback_racing_the_release_is_decided_again_and_one_outcome_stays(demo, services):
    """The advertiser's approve lands between the follower's read and its save."""
    with_hold_rule(demo, offer='after_hold = "cancel"')
    lead_id = lead_on_hold(demo, "race")

    def postback_first(_leads):
        changed(demo, exto="race", status="approved")

    f = follower(services, Clock(None), Releaser(services.ledger, before_save=postback_first))
    f.catch_up()
    f._clock = Clock(hold_row(services, lead_id)["due_at"])
    assert f.release_due() == {"superseded": 1}
    assert releases_of(services, lead_id) == []
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "approve"


def test_two_followers_release_each_hold_once(demo, services):
    with_hold_rule(demo)
    leads = [lead_on_hold(demo, f"two-{n}") for n in range(6)]
    first, second = follower(services, Clock(None)), follower(services, Clock(None))
    first.catch_up()
    later = Clock(hold_row(services, leads[-1])["due_at"])
    first._clock = second._clock = later
    second_outcome = {}

    def other_follower_first(_leads):
        if not second_outcome:
            second_outcome.update(second.release_due())

    first.releaser = Releaser(services.ledger, before_save=other_follower_first)
    first_outcome = first.release_due()
    assert second_outcome == {"released": 6}
    assert first_outcome.get("released", 0) == 0
    assert [len(releases_of(services, lead_id)) for lead_id in leads] == [1] * 6


def test_a_crash_in_the_middle_of_a_page_loses_no_release_and_repeats_none(demo, services):
    with_hold_rule(demo)
    leads = [lead_on_hold(demo, f"crash-{n}") for n in range(5)]

    class Killed(BaseException):
        """Stands for kill -9: nothing after it runs, the transaction never commits."""

    def crash(_leads):
        raise Killed

    f = follower(services, Clock(None), Releaser(services.ledger, page_size=3, before_save=crash))
    f.catch_up()
    f._clock = Clock(hold_row(services, leads[-1])["due_at"])
    with pytest.raises(Killed):
        f.release_due()
    assert all(releases_of(services, lead_id) == [] for lead_id in leads)
    again = follower(services, f._clock, Releaser(services.ledger, page_size=3))
    assert again.release_due() == {"released": 5}
    assert again.release_due() == {}
    assert [len(releases_of(services, lead_id)) for lead_id in leads] == [1] * 5


def test_a_crash_right_after_a_page_was_saved_repeats_none(demo, services):
    """Killed after the commit, before the table caught up: the rows it had read are decided
    again against the released leads (superseded), and the next pass finds nothing due."""
    with_hold_rule(demo)
    leads = [lead_on_hold(demo, f"saved-{n}") for n in range(3)]

    class Killed(BaseException):
        """Stands for kill -9 right after the page's transaction committed."""

    class DiesAfterSaving(Releaser):
        def _save(self, leads):
            super()._save(leads)
            raise Killed

    f = follower(services, Clock(None), DiesAfterSaving(services.ledger))
    f.catch_up()
    now = hold_row(services, leads[-1])["due_at"]
    f._clock = Clock(now)
    read_before_the_kill = f.releaser.due(now)
    with pytest.raises(Killed):
        f.release_due()
    assert [len(releases_of(services, lead_id)) for lead_id in leads] == [1] * 3
    assert Releaser(services.ledger).release_page(read_before_the_kill, now) == {"superseded": 3}
    assert follower(services, Clock(now)).release_due() == {}
    assert [len(releases_of(services, lead_id)) for lead_id in leads] == [1] * 3


def test_a_later_hold_starts_a_new_one_and_the_first_ones_time_releases_nothing(demo, services):
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "again")
    f = follower(services, Clock(None))
    f.catch_up()
    first_due = hold_row(services, lead_id)["due_at"]
    changed(demo, exto="again", status="pending")
    changed(demo, exto="again", status="hold")
    f.catch_up()
    second_due = hold_row(services, lead_id)["due_at"]
    assert second_due > first_due
    f._clock = Clock(first_due)
    assert not f.release_due()
    f._clock = Clock(second_due)
    assert f.release_due() == {"released": 1}
    assert len(releases_of(services, lead_id)) == 1


def test_two_followers_and_a_racing_postback_leave_one_outcome(demo, services):
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "three")
    first, second = follower(services, Clock(None)), follower(services, Clock(None))
    first.catch_up()
    first._clock = second._clock = Clock(hold_row(services, lead_id)["due_at"])
    second_outcome = {}

    def postback_then_other_follower(_leads):
        if not second_outcome:
            changed(demo, exto="three", status="cancel")
            second_outcome.update(second.release_due())

    first.releaser = Releaser(services.ledger, before_save=postback_then_other_follower)
    assert first.release_due() == {"superseded": 1}
    assert second_outcome in ({}, {"superseded": 1})
    assert releases_of(services, lead_id) == []
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "cancel"


def test_a_postback_that_loses_the_race_to_the_release_is_decided_again_and_recorded(
    demo, services, monkeypatch
):
    """The release is saved between the advertiser's decision and its save: the postback
    collides on the lead's version, is decided again against the approved lead and kept; later
    postbacks follow the rules for an approved lead (a `hold` is ignored, a new hold none)."""
    with_hold_rule(demo)
    lead_id = lead_on_hold(demo, "lost")
    f = follower(services, Clock(None))
    f.catch_up()
    f._clock = Clock(hold_row(services, lead_id)["due_at"])
    real_append = services.ledger.append
    saves: list[dict] = []

    def release_first(*args, **kwargs):
        if not saves:
            saves.append(f.release_due())
        else:
            saves.append({})
        return real_append(*args, **kwargs)

    monkeypatch.setattr(services.ledger, "append", release_first)
    changed(demo, exto="lost", status="cancel")
    assert saves[0] == {"released": 1} and len(saves) >= 2  # it raced and saved again
    monkeypatch.undo()
    statuses = [(e.previous_status, e.status) for e in lead_events(services, lead_id)[1:]]
    assert statuses == [("new", "hold"), ("hold", "approve"), ("approve", "cancel")]
    changed(demo, exto="lost", status="hold")
    assert len(lead_events(services, lead_id)) == 4
    services.runner.catch_up()
    assert lead(demo, lead_id)["status"] == "cancel"
    assert hold_row(services, lead_id) is None
