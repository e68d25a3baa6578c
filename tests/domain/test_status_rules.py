"""Status postbacks without a database or HTTP: recognition, the sender's own words (sta, stc,
stt, sth, stw), which transitions apply, and how a status finds its lead. A status postback that
creates its lead (stn, auto=1) is in test_status_creation_rules.py."""

from __future__ import annotations

import pytest

from tests.domain.rule_controls import Rules, a_lead, refusal

NON_FINAL = ["new", "processing", "hold"]
FINAL = ["approve", "cancel", "trash"]


def status_after(rules: Rules, click: str, **params: str) -> str:
    return rules.lead(rules.change(click=click, **params).lead_id).status


AUTOMATIC = {
    "approved": "approve", "APPROVED": "approve", " Approved ": "approve", "sale": "approve",
    "declined": "cancel", "rejected": "cancel", "fraud": "trash", "reject": "trash",
    "on_hold": "hold", "pending": "processing", "wait": "processing", "Created": "new",
}  # fmt: skip


@pytest.mark.parametrize(("word", "status"), AUTOMATIC.items())
def test_status_words_are_recognised_automatically_ignoring_case_and_spaces(word, status):
    rules = Rules()
    click, _ = a_lead(rules)
    if status == "new":
        rules.change(click=click, status="wait")  # so that "new" is a change

    assert status_after(rules, click, status=word) == status


def test_a_status_change_is_recorded_with_the_word_the_sender_used():
    rules = Rules()
    click, _ = a_lead(rules)

    (event,) = rules.change(click=click, status="Confirmed").events

    assert (type(event).__name__, event.status, event.previous_status, event.status_word) == (
        "StatusChanged", "approve", "new", "Confirmed",
    )  # fmt: skip


def test_new_processing_and_hold_may_move_to_any_status():
    rules = Rules()
    click, _ = a_lead(rules)

    seen = [status_after(rules, click, status=w) for w in ("hold", "wait", "new", "hold", "trash")]

    assert seen == ["hold", "processing", "new", "hold", "trash"]


@pytest.mark.parametrize("final", FINAL)
@pytest.mark.parametrize("later", NON_FINAL)
def test_a_final_status_ignores_every_later_non_final_status(final, later):
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status=final)

    ignored = rules.change(click=click, status=later)

    assert (ignored.outcome, ignored.decision.ignored, ignored.lead_id) == (
        "ignored",
        True,
        lead_id,
    )
    assert ignored.events == []
    assert rules.lead(lead_id).status == final


def test_an_ignored_status_also_ignores_the_goal_and_amounts_it_carries():
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="approve")

    ignored = rules.change(click=click, status="hold", goal="dep", pay="99")

    assert (ignored.outcome, ignored.events) == ("ignored", [])
    assert (rules.lead(lead_id).goal, rules.lead(lead_id).advertiser_payout_override) == (
        "reg",
        None,
    )


FINAL_TO_FINAL = [("approve", "cancel"), ("cancel", "approve"), ("trash", "approve"),
                  ("approve", "trash")]  # fmt: skip


@pytest.mark.parametrize(("first", "then"), FINAL_TO_FINAL)
def test_a_change_from_one_final_status_to_another_is_applied(first, then):
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status=first)

    changed = rules.change(click=click, status=then)

    assert (changed.outcome, rules.lead(lead_id).status) == ("changed", then)
    assert rules.events_of(lead_id) == ["Created", "StatusChanged", "StatusChanged"]


def test_the_same_status_again_answers_unchanged_without_a_new_event():
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="approve")

    again = rules.change(click=click, status="approved")

    assert (again.outcome, again.decision.ignored, again.events) == ("unchanged", False, [])


def test_sta_names_the_senders_own_approve_word():
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="lead_ok", sta="lead_ok") == "approve"


def test_sta_may_list_several_words_separated_by_commas_in_any_case():
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="Good", sta="fine, GOOD ,great") == "approve"


def test_the_senders_words_win_over_automatic_recognition():
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="approved", stt="approved") == "trash"


def test_a_word_not_in_the_senders_lists_is_recognised_automatically():
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="declined", sta="lead_ok") == "cancel"


@pytest.mark.parametrize(
    ("parameter", "status"),
    [("sta", "approve"), ("stc", "cancel"), ("stt", "trash"), ("sth", "hold"),
     ("stw", "processing")],
)  # fmt: skip
def test_each_special_status_parameter_maps_the_senders_word(parameter, status):
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="x-code-9", **{parameter: "x-code-9"}) == status


def test_a_word_in_two_lists_means_the_first_of_sta_stc_stt_sth_stw():
    rules = Rules()
    click, _ = a_lead(rules)

    assert status_after(rules, click, status="x-9", sth="x-9", stc="x-9") == "cancel"


def test_a_status_change_by_click_alone_finds_its_only_lead_even_one_with_exto():
    rules = Rules()
    click, lead_id = a_lead(rules, exto="only-one")

    assert rules.change(click=click, status="approve").lead_id == lead_id


def test_a_status_change_by_click_and_exto_changes_exactly_that_lead():
    rules = Rules()
    click = rules.new_click()
    first = rules.create(click=click, exto="order-1").lead_id
    second = rules.create(click=click, exto="order-2").lead_id

    changed = rules.change(click=click, exto="order-2", status="approve")

    assert changed.lead_id == second
    assert (rules.lead(first).status, rules.lead(second).status) == ("new", "approve")


def test_a_status_change_by_flow_code_finds_the_lead_created_by_flow_id():
    rules = Rules()
    created = rules.create(flow="101", exto="app-order-8")

    changed = rules.change(code="cc-traffic", exto="app-order-8", status="cancel")

    assert (changed.lead_id, rules.lead(created.lead_id).status) == (created.lead_id, "cancel")


def test_a_status_change_with_only_a_goal_or_amounts_keeps_the_status():
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")

    changed = rules.change(click=click, wm="3")

    assert (changed.outcome, changed.event_types()) == ("changed", ["Lead.PayoutSet"])
    assert rules.lead(lead_id).status == "hold"


def test_two_leads_on_one_click_make_a_status_by_click_alone_ambiguous():
    rules = Rules()
    click = rules.new_click()
    rules.create(click=click, exto="order-1")
    rules.create(click=click, exto="order-2")

    assert refusal(rules.refuse_change(click=click, status="approve")) == (409, "ambiguous_lead")


REFUSED_CHANGES = {
    "a lead that does not exist": ({"status": "approve"}, 404, "lead_not_found"),
    "a goal for a lead that does not exist": ({"goal": "dep"}, 404, "lead_not_found"),
    "an unknown status word": ({"status": "maybe-later"}, 422, "unknown_status"),
    "no status, goal, pay or wm": ({"cc": "EUR"}, 400, "missing_parameter"),
    "a blank status": ({"status": "  "}, 400, "missing_parameter"),
    "a literal {status}": ({"status": "{status}"}, 422, "unsubstituted_macro"),
    "an unknown click even with auto": (
        {"click": "never-issued", "status": "approve", "auto": "1"}, 404, "unknown_click",
    ),
    "a flow without exto": ({"click": None, "flow": "101", "status": "hold"}, 400,
                            "missing_parameter"),
    "a flow with an unknown exto": (
        {"click": None, "flow": "101", "exto": "never-created", "status": "approve"}, 404,
        "lead_not_found",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "http_status", "code"), list(REFUSED_CHANGES.values()), ids=list(REFUSED_CHANGES)
)
def test_a_refused_status_change_gets_its_own_code_and_changes_nothing(params, http_status, code):
    rules = Rules()
    click = rules.new_click()

    assert refusal(rules.refuse_change(**{"click": click, **params})) == (http_status, code)


@pytest.mark.parametrize("params", [{"status": "maybe-later"}, {"status": "{status}"}])
def test_a_refused_status_change_leaves_an_existing_lead_as_it_was(params):
    rules = Rules()
    click, lead_id = a_lead(rules)

    rules.refuse_change(click=click, goal="dep", pay="99", **params)

    lead = rules.lead(lead_id)
    assert (lead.status, lead.goal, lead.version) == ("new", "reg", 1)
