"""Status postbacks: recognition, the sender's own status words, and which transitions apply."""

from __future__ import annotations

import pytest

from tests.checks import (
    accepted,
    assert_logged_refusal,
    event_types,
    events_of,
    refused,
    snapshot,
    stored_postbacks,
)
from tests.controls import change, create, lead, new_click

NON_FINAL = ["new", "processing", "hold"]


def a_lead(client) -> tuple[str, str]:
    """A new lead of a fresh click: (click, lead id)."""
    click = new_click(client)
    return click, accepted(create(client, click=click))["id"]


def status_after(client, click: str, **params: str) -> str:
    body = accepted(change(client, click=click, **params))
    return lead(client, body["id"], after=body["position"])["status"]


AUTOMATIC = {
    "approved": "approve", "APPROVED": "approve", " Approved ": "approve", "sale": "approve",
    "declined": "cancel", "rejected": "cancel", "fraud": "trash", "reject": "trash",
    "on_hold": "hold", "pending": "processing", "wait": "processing", "Created": "new",
}  # fmt: skip


def test_status_words_are_recognised_automatically_ignoring_case_and_spaces(demo):
    seen = {}
    for word in AUTOMATIC:
        click, _ = a_lead(demo)
        seen[word] = status_after(demo, click, status=word)

    assert seen == AUTOMATIC


def test_a_status_change_is_recorded_with_the_word_the_sender_used(demo, services):
    click, lead_id = a_lead(demo)

    accepted(change(demo, click=click, status="Confirmed"))

    last = events_of(services, lead_id)[-1]
    assert (type(last).__name__, last.status, last.previous_status, last.status_word) == (
        "StatusChanged",
        "approve",
        "new",
        "Confirmed",
    )


def test_new_processing_and_hold_may_move_to_any_status(demo):
    click, _ = a_lead(demo)

    seen = [status_after(demo, click, status=word) for word in ("hold", "wait", "new", "hold")]

    assert seen == ["hold", "processing", "new", "hold"]


@pytest.mark.parametrize("final", ["approve", "cancel", "trash"])
def test_a_final_status_ignores_every_later_non_final_status(demo, services, final):
    click, lead_id = a_lead(demo)
    accepted(change(demo, click=click, status=final))
    before = snapshot(demo, services, lead_id)

    bodies = [accepted(change(demo, click=click, status=later)) for later in NON_FINAL]

    assert [(b["ignored"], b["outcome"], b["id"]) for b in bodies] == [
        (True, "ignored", lead_id)
    ] * len(NON_FINAL)
    assert snapshot(demo, services, lead_id) == before
    rows = stored_postbacks(demo, services)[: len(NON_FINAL)]
    assert {(r["outcome"], r["http_status"], r["lead_id"]) for r in rows} == {
        ("ignored", 200, lead_id)
    }


def test_an_ignored_status_also_ignores_the_goal_and_amounts_it_carries(demo, services):
    click, lead_id = a_lead(demo)
    accepted(change(demo, click=click, status="approve"))
    before = snapshot(demo, services, lead_id)

    body = accepted(change(demo, click=click, status="hold", goal="dep", pay="99"))

    assert body["ignored"] is True
    assert snapshot(demo, services, lead_id) == before


def test_a_change_from_one_final_status_to_another_is_applied(demo, services):
    for first, then in [("approve", "cancel"), ("cancel", "approve"), ("trash", "approve")]:
        click, lead_id = a_lead(demo)
        accepted(change(demo, click=click, status=first))

        body = accepted(change(demo, click=click, status=then))

        assert body["ignored"] is False
        assert lead(demo, lead_id, after=body["position"])["status"] == then
        assert event_types(services, lead_id) == ["Created", "StatusChanged", "StatusChanged"]


def test_the_same_status_again_answers_ok_without_a_new_event(demo, services):
    click, lead_id = a_lead(demo)
    accepted(change(demo, click=click, status="approve"))

    body = accepted(change(demo, click=click, status="approved"))

    assert body["outcome"] == "unchanged"
    assert body["ignored"] is False
    assert event_types(services, lead_id) == ["Created", "StatusChanged"]


def test_sta_names_the_senders_own_approve_word(demo):
    click, _ = a_lead(demo)

    assert status_after(demo, click, status="lead_ok", sta="lead_ok") == "approve"


def test_sta_may_list_several_words_separated_by_commas(demo):
    click, _ = a_lead(demo)

    assert status_after(demo, click, status="Good", sta="fine, good ,great") == "approve"


def test_the_senders_words_win_over_automatic_recognition(demo):
    click, _ = a_lead(demo)

    assert status_after(demo, click, status="approved", stt="approved") == "trash"


def test_a_word_not_in_the_senders_lists_is_recognised_automatically(demo):
    click, _ = a_lead(demo)

    assert status_after(demo, click, status="declined", sta="lead_ok") == "cancel"


def test_each_special_status_parameter_maps_the_senders_word(demo):
    special = {
        "sta": "approve",
        "stc": "cancel",
        "stt": "trash",
        "sth": "hold",
        "stw": "processing",
    }
    seen = {}
    for parameter in special:
        click, _ = a_lead(demo)
        seen[parameter] = status_after(demo, click, status="x-code-9", **{parameter: "x-code-9"})

    assert seen == special


def test_stn_lets_a_single_status_postback_create_the_lead_as_new(demo, services):
    click = new_click(demo)

    body = accepted(change(demo, click=click, status="pending", stn="new,pending"))

    assert body["outcome"] == "created"
    created = lead(demo, body["id"], after=body["position"])
    assert (created["status"], created["click"]) == ("new", click)
    assert event_types(services, body["id"]) == ["Created"]


def test_stn_postbacks_then_change_the_lead_they_created(demo):
    click = new_click(demo)
    created = accepted(change(demo, click=click, status="new", stn="new"))

    approved = accepted(change(demo, click=click, status="approved", stn="new"))

    assert approved["id"] == created["id"]
    assert lead(demo, created["id"], after=approved["position"])["status"] == "approve"


def test_a_status_not_matching_stn_does_not_create_the_lead(demo, services):
    click = new_click(demo)

    refused(change(demo, click=click, status="approved", stn="new"), 404, "lead_not_found")

    assert_logged_refusal(demo, services, 404, "lead_not_found")


def test_auto_creates_a_missing_lead_directly_in_the_status_sent(demo, services):
    click = new_click(demo)

    body = accepted(change(demo, click=click, status="approved", auto="1"))

    assert body["outcome"] == "created"
    assert lead(demo, body["id"], after=body["position"])["status"] == "approve"
    assert event_types(services, body["id"]) == ["Created"]


def test_stn_creates_the_lead_as_new_where_auto_creates_it_in_the_status_sent(demo):
    by_stn = accepted(change(demo, click=new_click(demo), status="pending", stn="pending"))
    by_auto = accepted(change(demo, click=new_click(demo), status="pending", auto="1"))

    assert lead(demo, by_stn["id"], after=by_stn["position"])["status"] == "new"
    assert lead(demo, by_auto["id"], after=by_auto["position"])["status"] == "processing"


def test_auto_changes_an_existing_lead_like_any_status_postback(demo):
    click, lead_id = a_lead(demo)

    body = accepted(change(demo, click=click, status="approved", auto="1"))

    assert (body["id"], body["outcome"]) == (lead_id, "changed")


def test_auto_by_flow_and_exto_creates_the_lead_of_that_pair(demo):
    body = accepted(change(demo, flow="101", exto="late-1", status="hold", auto="1"))

    again = accepted(create(demo, flow="101", exto="late-1"))

    assert again["id"] == body["id"]
    assert lead(demo, body["id"], after=body["position"])["status"] == "hold"


def test_a_status_change_for_a_lead_that_does_not_exist_is_404_lead_not_found(demo, services):
    click = new_click(demo)

    refused(change(demo, click=click, status="approve"), 404, "lead_not_found")

    assert_logged_refusal(demo, services, 404, "lead_not_found")
    assert stored_postbacks(demo, services, outcome="created") == []


def test_a_status_change_by_flow_and_unknown_exto_is_404_lead_not_found(demo):
    refused(change(demo, flow="101", exto="never-created", status="approve"), 404, "lead_not_found")


def test_a_status_change_by_click_alone_finds_its_only_lead_even_one_with_exto(demo):
    click = new_click(demo)
    created = accepted(create(demo, click=click, exto="only-one"))

    body = accepted(change(demo, click=click, status="approve"))

    assert body["id"] == created["id"]


def test_a_status_change_by_click_alone_for_a_click_with_several_leads_is_409(demo, services):
    click = new_click(demo)
    first = accepted(create(demo, click=click, exto="order-1"))
    second = accepted(create(demo, click=click, exto="order-2"))
    before = [snapshot(demo, services, first["id"]), snapshot(demo, services, second["id"])]

    refused(change(demo, click=click, status="approve"), 409, "ambiguous_lead")

    after = [snapshot(demo, services, first["id"]), snapshot(demo, services, second["id"])]
    assert after == before
    assert_logged_refusal(demo, services, 409, "ambiguous_lead")


def test_an_unknown_status_word_is_422_unknown_status_and_changes_nothing(demo, services):
    click, lead_id = a_lead(demo)
    before = snapshot(demo, services, lead_id)

    refused(change(demo, click=click, status="maybe-later"), 422, "unknown_status")

    assert snapshot(demo, services, lead_id) == before
    assert_logged_refusal(demo, services, 422, "unknown_status")


def test_a_status_change_without_a_status_is_400_missing_parameter(demo, services):
    click, lead_id = a_lead(demo)
    before = snapshot(demo, services, lead_id)

    refused(change(demo, click=click), 400, "missing_parameter")

    assert snapshot(demo, services, lead_id) == before
    assert_logged_refusal(demo, services, 400, "missing_parameter")
