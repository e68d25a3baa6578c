"""Aggregate ids: derived from natural keys where there is one, time-ordered where there is not."""

from __future__ import annotations

import time

from domain.identity import lead_id_for_click, lead_id_for_flow, time_ordered_id


def test_the_same_click_and_exto_always_name_the_same_lead():
    assert lead_id_for_click("c-1", "x-1") == lead_id_for_click("c-1", "x-1")
    assert lead_id_for_click("c-1", "x-1") != lead_id_for_click("c-1", "x-2")


def test_a_click_and_a_flow_with_the_same_text_name_different_leads():
    assert lead_id_for_click("101", "x-1") != lead_id_for_flow(101, "x-1")


def test_fresh_ids_are_version_7_uuids_with_the_rfc_variant():
    made = time_ordered_id()
    assert made.version == 7
    assert made.variant == "specified in RFC 4122"


def test_fresh_ids_carry_the_millisecond_they_were_made():
    before = time.time_ns() // 1_000_000
    made = time_ordered_id()
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones():
    earlier = time_ordered_id()
    time.sleep(0.002)
    assert time_ordered_id() > earlier


def test_a_hundred_thousand_fresh_ids_are_all_different():
    assert len({time_ordered_id() for _ in range(100_000)}) == 100_000
