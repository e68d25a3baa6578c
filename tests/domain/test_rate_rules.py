"""The commission rule (docs/commission-rules.md) held against a reference written from it.

The rule: a version with effective_from D is the rate from D on; it supersedes the versions added
before it that start at or after D; versions that start before D still apply before D; a
personal rate that ends (effective_until U) applies to nothing from U on.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import rate_history
from domain.catalog import CATALOG_ID, Catalog
from domain.catalog_document import CatalogError, parse_catalog
from domain.lead_state import LeadState, Pricing, amounts_of
from domain.statuses import Status

BASE = datetime(2020, 1, 1, tzinfo=UTC)
APPLIED = datetime(2026, 12, 1, tzinfo=UTC)

HEAD = """
[[advertisers]]
id = "adv-1"
name = "Acme"
[[webmasters]]
id = "wm-1"
name = "Traffic"
[[offers]]
id = "offer-1"
name = "Card"
advertiser = "adv-1"
landing_url = "https://acme.example/?c={click}"
"""


def goal_file(webmaster: str, effective_from: datetime | None = None) -> str:
    since = f"effective_from = {effective_from.isoformat()}" if effective_from else ""
    return (
        HEAD
        + f"""
  [[offers.goals]]
  id = "reg"
  default = true
  webmaster = {{ amount = "{webmaster}", currency = "USD" }}
  advertiser = {{ amount = "20.00", currency = "USD" }}
  {since}
"""
    )


def personal_file(amount: str, start: datetime | None, until: datetime | None) -> str:
    lines = [f'amount = "{amount}"', 'currency = "USD"']
    if start is not None:
        lines.append(f"effective_from = {start.isoformat()}")
    if until is not None:
        lines.append(f"effective_until = {until.isoformat()}")
    body = "\n".join(lines)
    return f'[[personal_rates]]\nwebmaster = "wm-1"\noffer = "offer-1"\ngoal = "reg"\n{body}\n'


def reference_price(statements, at: datetime) -> str | None:
    """The webmaster's rate for a lead created at `at`, read straight from the rule's words.

    `statements`: (effective_from, amount, effective_until) in the order they were applied.
    """
    superseded = {
        i
        for i, (start, _, _) in enumerate(statements)
        if any(later[0] <= start for later in statements[i + 1 :])
    }
    standing = [s for i, s in enumerate(statements) if i not in superseded and s[0] <= at]
    if not standing:
        return None
    start, amount, until = max(standing, key=lambda s: s[0])
    return None if until is not None and at >= until else amount


def lead_at(at: datetime) -> LeadState:
    return LeadState(
        id=uuid.uuid4(), click=None, exto=None, flow=101, offer="offer-1", advertiser="adv-1",
        webmaster="wm-1", goal="reg", status=Status.NEW, created_at=at, updated_at=at,
        version=1, last_postback_id=uuid.uuid4(),
    )  # fmt: skip


days = st.integers(min_value=0, max_value=40).map(lambda d: BASE + timedelta(days=d))
amounts = st.sampled_from(["10.00", "11.00", "12.00", "13.00"])


@settings(max_examples=150, deadline=None)
@given(
    goal_statements=st.lists(st.tuples(days, amounts), min_size=1, max_size=6),
    personal=st.lists(
        st.tuples(days, amounts, st.none() | st.integers(1, 15)), min_size=0, max_size=5
    ),
    lead_days=st.lists(
        st.integers(min_value=-2, max_value=60).map(lambda d: BASE + timedelta(days=d, hours=3)),
        min_size=1,
        max_size=12,
    ),
)
def test_every_lead_is_priced_as_the_rule_says(goal_statements, personal, lead_days):
    catalog = Catalog()
    applied = APPLIED
    for start, amount in goal_statements:
        applied += timedelta(hours=1)
        catalog.apply_document(parse_catalog(goal_file(amount, start)), applied)
    personal_statements = []
    for start, amount, length in personal:
        applied += timedelta(hours=1)
        until = None if length is None else start + timedelta(days=length)
        catalog.apply_document(parse_catalog(personal_file(amount, start, until)), applied)
        personal_statements.append((start, amount, until))
    goal_reference = [(start, amount, None) for start, amount in goal_statements]
    view = catalog.view()
    pricing = Pricing(view)

    for at in lead_days:
        expected = reference_price(personal_statements, at) or reference_price(goal_reference, at)
        if reference_price(goal_reference, at) is None:
            expected = None  # no goal rate: nothing is payable, personal or not
        amounts_now = amounts_of(lead_at(at), view)
        paid = amounts_now.webmaster_commission
        assert (None if paid is None else f"{paid.amount:.2f}") == expected, at
        assert pricing.amounts_of(lead_at(at)) == amounts_now


def test_a_back_dated_version_supersedes_every_version_starting_at_or_after_it():
    catalog = Catalog()
    catalog.apply_document(parse_catalog(goal_file("10.00")), APPLIED)
    future = APPLIED + timedelta(days=30)
    catalog.apply_document(parse_catalog(goal_file("11.00", future)), APPLIED + timedelta(hours=1))

    changes = catalog.apply_document(
        parse_catalog(goal_file("12.00", BASE)), APPLIED + timedelta(hours=2)
    )

    view = catalog.view()
    terms = view.commission_terms("offer-1", "reg", "wm-1", APPLIED + timedelta(days=60))
    assert terms is not None and terms.webmaster.amount == Decimal("12.00")
    assert view.commission_terms("offer-1", "reg", "wm-1", BASE - timedelta(seconds=1)) is None
    assert [(c.goal, c.effective_from) for c in changes.retroactive_rate_changes] == [("reg", BASE)]


def test_a_schedule_states_past_and_future_versions_at_once_and_applies_once():
    schedule = (
        HEAD
        + """
  [[offers.goals]]
  id = "reg"
  default = true
    [[offers.goals.rates]]
    effective_from = 2020-01-01T00:00:00Z
    webmaster = { amount = "10.00", currency = "USD" }
    advertiser = { amount = "20.00", currency = "USD" }
    [[offers.goals.rates]]
    effective_from = 2030-01-01T00:00:00Z
    webmaster = { amount = "14.00", currency = "USD" }
    advertiser = { amount = "24.00", currency = "USD" }
"""
    )
    catalog = Catalog()
    catalog.apply_document(parse_catalog(schedule), APPLIED)
    catalog.collect_events()

    again = catalog.apply_document(parse_catalog(schedule), APPLIED + timedelta(days=1))

    view = catalog.view()
    assert again.lines == () and catalog.collect_events() == []
    at_2025 = view.commission_terms("offer-1", "reg", "wm-1", datetime(2025, 1, 1, tzinfo=UTC))
    at_2031 = view.commission_terms("offer-1", "reg", "wm-1", datetime(2031, 1, 1, tzinfo=UTC))
    assert at_2025 is not None and at_2025.webmaster.amount == Decimal("10.00")
    assert at_2031 is not None and at_2031.webmaster.amount == Decimal("14.00")


def test_an_ended_personal_rate_gives_way_to_the_goal_rate_from_its_end():
    catalog = Catalog()
    catalog.apply_document(parse_catalog(goal_file("10.00", BASE)), APPLIED)
    catalog.apply_document(parse_catalog(personal_file("15.00", BASE, None)), APPLIED)
    end = APPLIED - timedelta(days=10)

    changes = catalog.apply_document(
        parse_catalog(personal_file("15.00", None, end)), APPLIED + timedelta(hours=1)
    )

    view = catalog.view()
    before = view.commission_terms("offer-1", "reg", "wm-1", end - timedelta(seconds=1))
    after = view.commission_terms("offer-1", "reg", "wm-1", end)
    assert before is not None and before.webmaster.amount == Decimal("15.00")
    assert after is not None and after.webmaster.amount == Decimal("10.00")
    assert [c.effective_from for c in changes.retroactive_rate_changes] == [end]


def test_switching_off_and_on_is_a_change_like_any_other():
    on = (
        HEAD.replace("landing_url", "active = false\nlanding_url")
        + """
  [[offers.goals]]
  id = "reg"
  default = true
  webmaster = { amount = "10.00", currency = "USD" }
  advertiser = { amount = "20.00", currency = "USD" }
"""
    )
    catalog = Catalog()
    catalog.apply_document(parse_catalog(on), APPLIED)
    assert not catalog.view().offers["offer-1"].active

    changes = catalog.apply_document(parse_catalog(goal_file("10.00")), APPLIED)

    assert catalog.view().offers["offer-1"].active
    assert changes.lines == ("changed offer offer-1: Card",)


def test_catalog_events_stored_before_the_new_fields_still_load():
    """Events written before `active`, `applied_by` and `effective_until` existed."""
    app = Application()
    catalog = Catalog()
    catalog.apply_document(parse_catalog(goal_file("10.00", BASE)), APPLIED, actor="ops")
    catalog.apply_document(parse_catalog(personal_file("12.00", BASE, None)), APPLIED)
    stored = [app.mapper.to_stored_event(e) for e in catalog.collect_events()]
    new_fields = {"active", "applied_by", "effective_until"}
    old = [_without(event, new_fields) for event in stored]
    app.recorder.insert_events(old)

    loaded = app.repository.get(CATALOG_ID).view()

    assert loaded.offers["offer-1"].active and loaded.offers["offer-1"].goals["reg"].active
    assert loaded.offers["offer-1"].goals["reg"].rates[0].applied_by == ""
    terms = loaded.commission_terms("offer-1", "reg", "wm-1", APPLIED)
    assert terms is not None and terms.webmaster.amount == Decimal("12.00")


def _without(event: StoredEvent, names: set[str]) -> StoredEvent:
    state = json.loads(event.state)
    kept = {k: v for k, v in state.items() if k not in names}
    return StoredEvent(
        event.originator_id, event.originator_version, event.topic, json.dumps(kept).encode()
    )


def test_the_worked_timeline_of_the_documentation():
    """docs/commission-rules.md, "Worked timeline": four applies, then who is paid what."""
    catalog = Catalog()
    day = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    catalog.apply_document(parse_catalog(goal_file("10.00")), day("2026-11-01"))
    catalog.apply_document(parse_catalog(goal_file("11.00", day("2027-01-01"))), day("2026-11-20"))
    catalog.apply_document(parse_catalog(goal_file("12.00", day("2020-01-01"))), day("2026-12-01"))
    catalog.apply_document(parse_catalog(goal_file("13.00", day("2026-12-15"))), day("2026-12-02"))
    view = catalog.view()

    def paid(at: str) -> tuple[int, str] | None:
        terms = view.commission_terms("offer-1", "reg", "wm-1", day(at))
        return None if terms is None else (terms.goal_rate_version, f"{terms.webmaster.amount}")

    assert paid("2019-12-31") is None
    assert paid("2020-01-01") == paid("2026-12-14") == (3, "12.00")
    assert paid("2026-12-15") == paid("2027-06-01") == (4, "13.00")
    history = {line["version"]: line["superseded_by"] for line in rate_history.history(
        view.offers["offer-1"].goals["reg"].rates
    )}  # fmt: skip
    assert history == {1: 3, 2: 3, 3: None, 4: None}


def test_a_goal_with_both_a_rate_and_a_schedule_is_refused_naming_its_place():
    both = (
        goal_file("10.00")
        + """
    [[offers.goals.rates]]
    effective_from = 2020-01-01T00:00:00Z
    webmaster = { amount = "10.00", currency = "USD" }
    advertiser = { amount = "20.00", currency = "USD" }
"""
    )
    with pytest.raises(CatalogError, match=r"\$\.offers\[0\]\.goals\[0\]: give either"):
        parse_catalog(both)


def test_a_personal_rate_ending_before_it_starts_is_refused():
    with pytest.raises(CatalogError, match=r"personal_rates\[0\]\.effective_until"):
        parse_catalog(personal_file("12.00", APPLIED, BASE))
    catalog = Catalog()
    catalog.apply_document(parse_catalog(goal_file("10.00")), APPLIED)
    with pytest.raises(CatalogError, match="must be after the rate starts"):
        catalog.apply_document(parse_catalog(personal_file("12.00", None, BASE)), APPLIED)


def test_restating_the_money_already_in_force_from_a_later_date_adds_no_version():
    """A personal rate of 13.00 since D2, stated again as 13.00 since a later D: nothing changes
    for any lead, so no version is added (a new one would only relabel booked entries)."""
    from datetime import UTC, datetime, timedelta

    from domain.catalog_entities import PersonalRateVersion
    from domain.money import Money
    from domain.rate_plans import PlannedRate, plan

    d1 = datetime(2026, 1, 1, tzinfo=UTC)
    held = [
        PersonalRateVersion(1, d1, Money.of("11.00", "USD")),
        PersonalRateVersion(2, d1 + timedelta(days=10), Money.of("13.00", "USD")),
    ]
    thirteen = (Money.of("13.00", "USD"),)
    assert plan(held, [PlannedRate(d1 + timedelta(days=20), thirteen)]) == []
    # From an earlier date the money does change (11.00 → 13.00 between D1+5 and D2): one version.
    earlier = PlannedRate(d1 + timedelta(days=5), thirteen)
    assert plan(held, [earlier]) == [earlier]
