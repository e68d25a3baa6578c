"""Status recognition: how a sender's free-text word becomes a canonical status."""

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from domain.statuses import (
    NO_OVERRIDES,
    RECOGNITION_TABLE,
    Status,
    StatusOverrides,
    matches_new_lead_word,
    recognise,
    recognition_table_markdown,
)


def overrides(**params: str) -> StatusOverrides:
    return StatusOverrides.from_params(params)


def test_approve_cancel_and_trash_are_final():
    assert {status for status in Status if status.is_final} == {
        Status.APPROVE,
        Status.CANCEL,
        Status.TRASH,
    }


def test_new_processing_and_hold_are_not_final():
    assert not any(status.is_final for status in (Status.NEW, Status.PROCESSING, Status.HOLD))


def test_statuses_read_as_their_canonical_words():
    assert [str(status) for status in Status] == [
        "new",
        "processing",
        "hold",
        "approve",
        "cancel",
        "trash",
    ]


def test_the_recognition_table_is_the_published_one():
    assert RECOGNITION_TABLE == {
        Status.NEW: ("new", "create", "created"),
        Status.PROCESSING: ("pending", "processing", "wait", "waiting"),
        Status.HOLD: ("hold", "on_hold"),
        Status.APPROVE: (
            "a",
            "accept",
            "accepted",
            "approve",
            "approved",
            "confirm",
            "confirmed",
            "sale",
            "paid",
            "success",
        ),
        Status.CANCEL: (
            "c",
            "d",
            "decline",
            "declined",
            "cancel",
            "canceled",
            "cancelled",
            "rejected",
            "refused",
        ),
        Status.TRASH: (
            "t",
            "trash",
            "error",
            "wrong",
            "reject",
            "bad",
            "fraud",
            "spam",
            "invalid",
            "duplicate",
            "test",
        ),
    }


def test_no_word_means_two_statuses():
    words = [word for table_words in RECOGNITION_TABLE.values() for word in table_words]
    assert len(words) == len(set(words))


def test_every_word_in_the_table_is_recognised_as_its_status():
    for status, words in RECOGNITION_TABLE.items():
        for word in words:
            assert recognise(word) is status, word


def test_approved_in_capitals_with_spaces_is_recognised_as_approve():
    assert recognise("  APPROVED ") is Status.APPROVE


def test_mixed_case_is_recognised():
    assert recognise("Approved") is Status.APPROVE


def test_hold_is_not_processing():
    assert recognise("hold") is Status.HOLD
    assert recognise("pending") is Status.PROCESSING


def test_reject_is_trash_but_rejected_is_cancel():
    assert recognise("reject") is Status.TRASH
    assert recognise("rejected") is Status.CANCEL


def test_unknown_word_is_not_recognised():
    assert recognise("shipped") is None


def test_empty_word_is_not_recognised():
    assert recognise("") is None


def test_blank_word_is_not_recognised():
    assert recognise("   ") is None


def test_empty_word_is_not_recognised_even_if_an_override_set_holds_it():
    assert recognise(" ", StatusOverrides(approve=frozenset({""}))) is None


def test_unsubstituted_macro_is_not_recognised():
    assert recognise("{status}") is None


def test_sta_override_wins_over_the_automatic_table():
    assert recognise("test", overrides(sta="test")) is Status.APPROVE


def test_sender_word_unknown_to_the_table_is_recognised_through_its_list():
    assert recognise("shipped", overrides(sta="shipped")) is Status.APPROVE


OVERRIDE_MEANINGS = {
    "sta": Status.APPROVE,
    "stc": Status.CANCEL,
    "stt": Status.TRASH,
    "sth": Status.HOLD,
    "stw": Status.PROCESSING,
    "stn": Status.NEW,
}


def test_each_override_parameter_means_its_status():
    for name, status in OVERRIDE_MEANINGS.items():
        assert recognise("custom", overrides(**{name: "custom"})) is status, name


def test_a_word_in_two_override_lists_takes_the_earlier_parameter():
    for earlier, later in combinations(OVERRIDE_MEANINGS, 2):
        both = overrides(**{earlier: "x", later: "x"})
        assert recognise("x", both) is OVERRIDE_MEANINGS[earlier], (earlier, later)


def test_override_words_ignore_case_and_spaces_on_both_sides():
    assert recognise(" Shipped ", overrides(sta=" SHIPPED , Delivered")) is Status.APPROVE


def test_override_list_keeps_every_comma_separated_word():
    sent = overrides(stc="no_answer, Callback ,x")
    assert sent.cancel == frozenset({"no_answer", "callback", "x"})


def test_empty_items_in_an_override_list_are_dropped():
    assert overrides(stt=" , ,spam,,").trash == frozenset({"spam"})


def test_missing_override_parameters_mean_no_words():
    assert StatusOverrides.from_params({"status": "approved"}) == NO_OVERRIDES


def test_other_parameters_are_not_read_as_overrides():
    assert overrides(status="shipped", sub1="shipped") == NO_OVERRIDES


def test_empty_items_do_not_make_the_empty_word_recognised():
    assert recognise("", overrides(sta=",,")) is None


def test_words_not_in_any_override_fall_back_to_the_automatic_table():
    assert recognise("declined", overrides(sta="shipped")) is Status.CANCEL


def test_creates_lead_words_are_the_stn_words():
    sent = overrides(stn="lead,Fresh", sta="lead2")
    assert sent.creates_lead_words == frozenset({"lead", "fresh"})


def test_stn_word_in_any_case_creates_the_lead():
    assert matches_new_lead_word(" FRESH ", overrides(stn="fresh"))


def test_automatic_new_word_does_not_create_the_lead_without_stn():
    assert not matches_new_lead_word("new", NO_OVERRIDES)


def test_word_from_another_override_list_does_not_create_the_lead():
    assert not matches_new_lead_word("shipped", overrides(sta="shipped", stn="fresh"))


def test_markdown_table_has_the_three_columns():
    header, rule = recognition_table_markdown().splitlines()[:2]
    assert header == "| Canonical status | Meaning | Words recognised |"
    assert rule == "| --- | --- | --- |"


def test_markdown_table_has_one_row_per_status_in_order():
    rows = recognition_table_markdown().splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == [f"`{status}`" for status in Status]


def test_markdown_table_lists_every_recognised_word():
    table = recognition_table_markdown()
    for words in RECOGNITION_TABLE.values():
        for word in words:
            assert f"`{word}`" in table


def test_markdown_table_explains_that_hold_is_confirmed_but_unpaid():
    hold_row = next(row for row in recognition_table_markdown().splitlines() if "`hold`" in row)
    assert "confirmed but payment delayed" in hold_row


def test_markdown_table_gives_every_status_its_meaning():
    table = recognition_table_markdown()
    for meaning in (
        "lead created, not yet worked",
        "advertiser is working on it (the vendor's wait)",
        "confirmed and payable",
        "real lead declined by customer or advertiser",
        "invalid, duplicate, fraudulent or test lead",
    ):
        assert meaning in table


@given(st.text())
def test_recognise_never_raises_for_any_text(word):
    assert recognise(word) is None or isinstance(recognise(word), Status)


@given(st.text(), st.dictionaries(st.sampled_from(list(OVERRIDE_MEANINGS)), st.text()))
def test_recognise_never_raises_whatever_the_sender_lists(word, params):
    result = recognise(word, StatusOverrides.from_params(params))
    assert result is None or isinstance(result, Status)


@given(
    st.sampled_from([(w, s) for s, ws in RECOGNITION_TABLE.items() for w in ws]),
    st.text(" \t", max_size=3),
    st.text(" \t\n", max_size=3),
    st.booleans(),
)
def test_table_words_are_recognised_whatever_the_case_and_surrounding_spaces(
    word_and_status, before, after, upper
):
    word, status = word_and_status
    sent = before + (word.upper() if upper else word.title()) + after
    assert recognise(sent) is status
