"""The catalog: how a catalog file becomes audited events, and what the hot path reads back."""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eventsourcing.application import Application
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import CATALOG_ID, Catalog, RetroactiveRateChange
from domain.catalog_document import CatalogError, parse_catalog
from domain.catalog_view import CatalogView, mask_token
from domain.money import Money

DEMO_TOML = (Path(__file__).parents[2] / "scripts" / "demo-catalog.toml").read_text()
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
NEXT_DAY = NOW + timedelta(days=1)


def demo_catalog() -> Catalog:
    catalog = Catalog()
    catalog.apply_document(parse_catalog(DEMO_TOML), NOW)
    return catalog


def demo_with(old: str, new: str) -> str:
    """The demo file with one edit, which must apply to exactly one place."""
    assert DEMO_TOML.count(old) == 1, old
    return DEMO_TOML.replace(old, new)


def one_goal_file(
    webmaster: str = "10.00", effective_from: str | None = None, goal: str = "reg"
) -> str:
    dated = f"effective_from = {effective_from}" if effective_from else ""
    return f"""
[[advertisers]]
id = "adv-1"
name = "Acme Bank"

[[offers]]
id = "offer-1"
name = "Credit card"
advertiser = "adv-1"
landing_url = "https://acme.example/land?click={{click}}"

  [[offers.goals]]
  id = "{goal}"
  default = true
  webmaster = {{ amount = "{webmaster}", currency = "USD" }}
  advertiser = {{ amount = "15.00", currency = "USD" }}
  {dated}
"""


def apply(catalog: Catalog, toml: str, now: datetime = NOW):
    return catalog.apply_document(parse_catalog(toml), now)


def assert_rejected(toml: str, *named: str) -> None:
    """The file is refused with a message naming each of `named`, and the catalog is untouched."""
    catalog = demo_catalog()
    catalog.collect_events()
    before = catalog.view()
    with pytest.raises(CatalogError) as refused:
        apply(catalog, toml, NEXT_DAY)
    for name in named:
        assert name in str(refused.value)
    assert catalog.collect_events() == []
    assert catalog.view() == before


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_the_catalog_has_one_fixed_id_for_the_whole_network():
    assert Catalog().id == CATALOG_ID == Catalog.create_id()


def test_applying_the_demo_catalog_twice_triggers_no_events_the_second_time():
    catalog = demo_catalog()
    catalog.collect_events()

    changes = apply(catalog, DEMO_TOML, NEXT_DAY)

    assert changes.is_empty
    assert catalog.collect_events() == []


def test_applying_a_file_lists_each_change_in_words():
    changes = Catalog().apply_document(parse_catalog(DEMO_TOML), NOW)

    assert "added offer offer-1: Credit card" in changes.lines
    assert "added flow 102 (cc-push): offer offer-1, webmaster wm-2" in changes.lines


def test_a_changed_goal_rate_adds_a_version_and_keeps_the_old_one():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00"))

    apply(catalog, one_goal_file("11.00"), NEXT_DAY)

    rates = catalog.view().offers["offer-1"].goals["reg"].rates
    assert [(r.version, r.webmaster, r.effective_from) for r in rates] == [
        (1, usd("10.00"), NOW),
        (2, usd("11.00"), NEXT_DAY),
    ]


def test_the_same_amount_written_differently_is_not_a_change():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00"))
    catalog.collect_events()

    apply(catalog, one_goal_file("10"), NEXT_DAY)

    assert catalog.collect_events() == []


def test_the_same_rate_with_a_new_effective_from_is_a_new_version():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00"))

    apply(catalog, one_goal_file("10.00", "2026-09-01T00:00:00Z"), NEXT_DAY)

    rates = catalog.view().offers["offer-1"].goals["reg"].rates
    assert [(r.version, r.effective_from) for r in rates] == [
        (1, NOW),
        (2, datetime(2026, 9, 1, tzinfo=UTC)),
    ]


def test_rate_at_picks_the_version_in_force_at_the_given_time():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00"))
    apply(catalog, one_goal_file("11.00", "2026-11-01T00:00:00Z"), NEXT_DAY)
    goal = catalog.view().offers["offer-1"].goals["reg"]

    assert goal.rate_at(NOW - timedelta(seconds=1)) is None
    assert goal.rate_at(NOW).webmaster == usd("10.00")
    assert goal.rate_at(datetime(2026, 10, 31, 23, 59, tzinfo=UTC)).webmaster == usd("10.00")
    assert goal.rate_at(datetime(2026, 11, 1, tzinfo=UTC)).webmaster == usd("11.00")


def test_of_two_versions_from_the_same_moment_the_later_one_is_in_force():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00", "2026-09-01T00:00:00Z"))
    apply(catalog, one_goal_file("11.00", "2026-09-01T00:00:00Z"), NEXT_DAY)

    rate = catalog.view().offers["offer-1"].goals["reg"].rate_at(NOW)

    assert (rate.version, rate.webmaster) == (2, usd("11.00"))


def test_a_past_effective_from_is_reported_as_retroactive():
    catalog = Catalog()
    apply(catalog, one_goal_file("10.00", "2026-09-01T00:00:00Z"))

    changes = apply(catalog, one_goal_file("11.00", "2026-09-15T00:00:00Z"), NEXT_DAY)

    assert changes.retroactive_rate_changes == (
        RetroactiveRateChange("offer-1", "reg", None, datetime(2026, 9, 15, tzinfo=UTC)),
    )


def test_a_rate_without_effective_from_starts_now_and_is_not_retroactive():
    changes = apply(Catalog(), one_goal_file("10.00"))

    assert changes.retroactive_rate_changes == ()


def test_a_file_never_deletes_what_it_leaves_out():
    catalog = demo_catalog()

    apply(catalog, one_goal_file("10.00"), NEXT_DAY)

    view = catalog.view()
    assert {"offer-1", "offer-2"} <= view.offers.keys()
    assert set(view.offers["offer-1"].goals) == {"reg", "dep"}
    assert view.flow("cc-push") is not None


def test_a_new_default_goal_takes_over_from_the_kept_one():
    catalog = demo_catalog()

    apply(catalog, one_goal_file(goal="dep"), NEXT_DAY)

    offer = catalog.view().offers["offer-1"]
    assert offer.default_goal == "dep"
    assert not offer.goals["reg"].is_default


def test_a_goal_is_found_by_its_id_or_an_alias_in_any_case():
    offer = demo_catalog().view().offers["offer-1"]

    assert offer.resolve_goal(" SignUp ").id == "reg"
    assert offer.resolve_goal("FTD").id == "dep"
    assert offer.resolve_goal("dep").id == "dep"
    assert offer.resolve_goal("purchase") is None


def test_a_flow_is_found_by_its_numeric_id_or_by_its_code():
    view = demo_catalog().view()

    assert view.flow("102").code == "cc-push"
    assert view.flow("loan-seo").id == 201
    assert view.flow_by_id(101).webmaster == "wm-1"
    assert view.flow("999") is None
    assert view.flow("9" * 5000) is None


def test_the_landing_url_carries_the_click_id_url_encoded():
    offer = demo_catalog().view().offers["offer-1"]

    assert offer.landing_for("c1 &x") == "https://acme.example/land?click=c1%20%26x"


def test_a_site_token_authorises_only_its_own_offer():
    grant = demo_catalog().view().authorise("7-s3cr3t")

    assert (grant.kind, grant.site_id, grant.offer) == ("site", 7, "offer-1")
    assert grant.allows("offer-1")
    assert not grant.allows("offer-2")


@pytest.mark.parametrize("token", ["7-wrong", "9-s3cr3t", "8-s3cr3t", "7-", "s3cr3t", "", "x-y"])
def test_a_wrong_key_or_unknown_site_does_not_authorise(token):
    assert demo_catalog().view().authorise(token) is None


def test_the_global_token_authorises_every_offer():
    grant = demo_catalog().view().authorise("demo-global-token")

    assert grant.kind == "global"
    assert grant.allows("offer-1") and grant.allows("offer-2")


def test_a_changed_site_key_stops_the_old_token():
    catalog = demo_catalog()

    apply(catalog, demo_with('key = "s3cr3t"', 'key = "n3w-key"'), NEXT_DAY)

    assert catalog.view().authorise("7-s3cr3t") is None
    assert catalog.view().authorise("7-n3w-key").offer == "offer-1"


def test_secrets_never_appear_in_any_event():
    events = demo_catalog().collect_events()

    stored = json.dumps([vars(e) for e in events], default=str)

    for secret in ("s3cr3t", "l0an-key", "demo-global-token"):
        assert secret not in stored


@pytest.mark.parametrize(
    ("token", "masked"),
    [("7-s3cr3t", "7-***"), ("demo-global-token", "de***"), ("short", "***"), ("7-", "***")],
)
def test_a_masked_token_shows_no_secret(token, masked):
    assert mask_token(token) == masked


def test_a_personal_rate_overrides_the_webmaster_side_only():
    view = demo_catalog().view()

    personal = view.commission_terms("offer-1", "reg", "wm-2", NOW)
    standard = view.commission_terms("offer-1", "reg", "wm-1", NOW)

    assert (personal.webmaster, personal.advertiser) == (usd("12.00"), usd("15.00"))
    assert (standard.webmaster, standard.advertiser) == (usd("10.00"), usd("15.00"))
    assert personal.rule_version_label == "offer-1/reg@v1+personal:wm-2@v1"
    assert standard.rule_version_label == "offer-1/reg@v1"


def test_there_are_no_commission_terms_before_any_rate_is_in_force():
    view = demo_catalog().view()

    assert view.commission_terms("offer-1", "reg", "wm-1", NOW - timedelta(days=1)) is None
    assert view.commission_terms("offer-1", "purchase", "wm-1", NOW) is None


def test_replaying_the_catalogs_events_gives_the_same_view():
    catalog = demo_catalog()
    apply(catalog, one_goal_file("11.00", "2026-11-01T00:00:00Z"), NEXT_DAY)
    events = catalog.collect_events()

    replayed = functools.reduce(lambda aggregate, e: e.mutate(aggregate), events, None)

    assert replayed.view() == catalog.view()


def test_the_catalog_loads_back_from_stored_json_events():
    app = Application()
    catalog = demo_catalog()
    app.save(catalog)

    assert app.repository.get(CATALOG_ID).view() == catalog.view()


def test_an_empty_view_knows_nothing():
    view = CatalogView.empty()

    assert view.version == 0
    assert view.authorise("demo-global-token") is None
    assert view.flow("101") is None


def test_a_float_amount_is_rejected_as_money_is_never_float():
    assert_rejected(
        demo_with('amount = "10.00"', "amount = 10.00"),
        "$.offers[0].goals[0].webmaster.amount",
        "float",
    )


def test_an_unknown_currency_is_rejected():
    assert_rejected(
        demo_with('"5.00", currency = "EUR"', '"5.00", currency = "EUX"'),
        "$.offers[1].goals[0].webmaster.currency",
        "EUX",
    )


def test_a_landing_url_without_click_is_rejected():
    assert_rejected(demo_with("land?click={click}", "land"), "$.offers[0].landing_url", "{click}")


def test_two_default_goals_are_rejected():
    assert_rejected(
        demo_with('aliases = ["deposit", "ftd"]', 'aliases = ["deposit", "ftd"]\n  default = true'),
        "offer-1",
        "exactly one default goal",
    )


def test_an_alias_colliding_with_another_goal_is_rejected():
    assert_rejected(
        demo_with('["deposit", "ftd"]', '["deposit", "SIGNUP"]'),
        "$.offers[0].goals[1].aliases[1]",
        "'SIGNUP'",
        "'signup'",
    )


def test_an_unknown_advertiser_reference_is_rejected():
    assert_rejected(
        demo_with('advertiser = "adv-2"', 'advertiser = "adv-9"'),
        "$.offers[1].advertiser",
        "'adv-9'",
    )


def test_a_flow_code_of_only_digits_is_rejected():
    assert_rejected(demo_with('code = "loan-seo"', 'code = "2010"'), "$.flows[2].code", "'2010'")


def test_a_flow_code_already_used_by_a_kept_flow_is_rejected():
    assert_rejected(
        one_goal_file() + '\n[[flows]]\nid = 301\ncode = "cc-push"\n'
        'offer = "offer-1"\nwebmaster = "wm-1"\n',
        "$.flows[0].code",
        "flow 102",
    )


def test_a_timezone_less_effective_from_is_rejected():
    assert_rejected(one_goal_file("11.00", "2026-11-01T00:00:00"), "effective_from", "timezone")


def test_an_unknown_key_is_rejected():
    assert_rejected(demo_with('key = "s3cr3t"', 'key = "s3cr3t"\n  keey = "x"'), "keey")


def test_every_problem_in_a_file_is_listed_not_just_the_first():
    broken = demo_with("land?click={click}", "land").replace('currency = "EUR"', 'currency = "EUX"')
    broken = broken.replace('code = "loan-seo"', 'code = "2010"')

    with pytest.raises(CatalogError) as refused:
        parse_catalog(broken)

    assert [problem.split(":")[0] for problem in refused.value.problems] == [
        "$.offers[0].landing_url",
        "$.offers[1].goals[0].webmaster.currency",
        "$.offers[1].goals[0].advertiser.currency",
        "$.flows[2].code",
    ]


@given(st.binary())
def test_any_bytes_either_parse_or_raise_a_catalog_error(data):
    with contextlib.suppress(CatalogError):
        parse_catalog(data)


@given(
    start=st.integers(0, len(DEMO_TOML)),
    length=st.integers(0, 12),
    inserted=st.text(alphabet='[]{}=".,-_ \n#0123456789aeZT:/?'),
)
def test_any_edit_of_the_demo_file_either_parses_or_raises_a_catalog_error(start, length, inserted):
    """Edits of a valid file reach the checks that arbitrary bytes never get past TOML for."""
    edited = DEMO_TOML[:start] + inserted + DEMO_TOML[start + length :]
    with contextlib.suppress(CatalogError):
        Catalog().apply_document(parse_catalog(edited), NOW)
