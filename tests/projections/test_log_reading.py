"""The fast notification-log reader: the same events as the library, fewer CPU cycles."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from eventsourcing.application import Application
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    Notification,
    Transcoding,
)
from eventsourcing.utils import get_topic

from app.eventstore.application import LedgerApplication
from domain.catalog import Catalog
from domain.click import Click
from domain.lead import Lead
from domain.postback import Postback
from domain.webmaster_postbacks import WebmasterPostbacks
from projections.eventlog.decoding import EventDecoder
from projections.eventlog.reading import LogReader
from projections.eventlog.state_decoding import StateDecoder
from tests.controls import new_click
from tests.ledger_controls import apply_catalog, changed, created_lead, personal_rate_toml
from tests.security_controls import demo_catalog_with

EVENT_CLASSES = {
    Lead.Created, Lead.StatusChanged, Lead.GoalChanged, Lead.PayoutSet,
    Click.Recorded, Click.LeadAttached, Postback.Received,
    Catalog.Started, Catalog.AdvertiserDefined, Catalog.WebmasterDefined, Catalog.OfferDefined,
    Catalog.GoalDefined, Catalog.GoalRateVersionAdded, Catalog.SiteDefined, Catalog.FlowDefined,
    Catalog.GlobalTokensSet, Catalog.PersonalRateVersionAdded, Catalog.SiteAccessSet,
    Catalog.GlobalTokenAllowlistsSet, WebmasterPostbacks.Started,
}  # fmt: skip


def _typed(value):
    """A value with the type of every part spelled out, so 1 != Decimal(1) != True."""
    if isinstance(value, dict):
        return dict, {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value), [_typed(item) for item in value]
    return type(value), value


def _as_library_reads(event) -> tuple:
    return type(event), _typed(vars(event))


def _rows(app: LedgerApplication) -> list[tuple]:
    return LogReader(app).rows(start=0, limit=1_000_000)


def _notification(row: tuple) -> Notification:
    position, originator_id, version, topic, state = row
    return Notification(
        id=position, originator_id=originator_id, originator_version=version, topic=topic,
        state=bytes(state),
    )  # fmt: skip


def _a_bit_of_everything(client) -> None:
    """Clicks, leads through every change, personal rates, postbacks accepted and refused."""
    click = new_click(client, sub1="a/b", sub2="ünïcode")
    created_lead(client, click=click, exto="e-1", pay="20.50", cc="EUR")
    changed(client, click=click, exto="e-1", status="hold")
    changed(client, click=click, exto="e-1", status="approve", goal="dep")
    changed(client, click=click, exto="e-1", pay="7.25", cc="USD")
    created_lead(client, exto="e-2")
    changed(client, exto="e-2", pay="3.10", status="cancel")
    client.get("/api/site/status.json", params={"token": "wrong", "exto": "e-2"})
    apply_catalog(client, personal_rate_toml("wm-1", "11.00"))
    network = 'global_token_allowed_ips = { "demo-global-token" = ["198.51.100.7/32"] }'
    site_7 = 'allowed_ips = ["203.0.113.0/24"]\nrequire_signature = true'
    apply_catalog(client, demo_catalog_with(site_7=site_7, network=network))


@pytest.fixture
def history(demo, services) -> LedgerApplication:
    _a_bit_of_everything(demo)
    return services.ledger


@pytest.fixture
def clicks(database) -> Iterator[LedgerApplication]:
    app = LedgerApplication(env=database.eventsourcing_env(pool_size=2))
    for number in range(30):
        click = Click(
            click=f"c{number}", flow=101, offer="offer-1", webmaster="wm-1", ip="", user_agent="",
            subs={"n": str(number)},
        )  # fmt: skip
        if number % 3 == 0:
            click.attach_lead(click.id, f"x{number}")
        app.save(click)
    yield app
    app.close()


def test_every_event_the_service_stores_decodes_exactly_as_the_library_decodes_it(history):
    rows = _rows(history)
    library = [history.mapper.to_domain_event(_notification(row)) for row in rows]
    calls = _counting_library_calls(history)
    fast = LogReader(history).read(start=0, limit=1_000_000)

    assert {type(event) for event in library} == EVENT_CLASSES
    assert [position for position, _ in fast] == [row[0] for row in rows]
    assert [_as_library_reads(e) for _, e in fast] == [_as_library_reads(e) for e in library]
    assert calls == []


@pytest.mark.parametrize(
    ("start", "limit", "stop", "topics"),
    [
        (0, 1000, None, ()),
        (5, 7, None, ()),
        (5, 1000, 20, ()),
        (0, 4, None, (get_topic(Click.LeadAttached),)),
        (3, 1000, 25, (get_topic(Click.Recorded), get_topic(Click.LeadAttached))),
        (40, 10, None, ()),
        (0, 10, 0, ()),
        (0, 10, None, ("no.such:Topic",)),
    ],
)
def test_a_page_holds_the_same_events_as_the_library_selects(clicks, start, limit, stop, topics):
    library = clicks.recorder.select_notifications(
        start, limit, stop, topics, inclusive_of_start=False
    )

    rows = LogReader(clicks).rows(start, limit, stop, topics)

    assert [_notification(row) for row in rows] == library


def test_a_mapper_that_compresses_leaves_decoding_to_the_library(database):
    env = {**database.eventsourcing_env(pool_size=2), "COMPRESSOR_TOPIC": get_topic(ZlibCompressor)}
    app = LedgerApplication(env=env)
    try:
        app.save(Click(click="z", flow=1, offer="o", webmaster="w", ip="", user_agent="", subs={}))
        reader = LogReader(app)

        [(_, event)] = reader.read(start=0, limit=10)

        assert reader.decoder.is_fast is False
        assert event.click == "z"
    finally:
        app.close()


class _Money(Transcoding):
    type = tuple
    name = "money_pair"

    def encode(self, obj):
        return [str(obj[0]), obj[1]]

    def decode(self, data):
        return Decimal(data[0]), data[1]


def _row_with(app: LedgerApplication, extra: bytes) -> tuple:
    stored = app.mapper.to_stored_event(Click.LeadAttached(
        originator_id=Click.create_id("c"), originator_version=2,
        timestamp=Click.LeadAttached.create_timestamp(), lead_id=Click.create_id("l"), exto="",
    ))  # fmt: skip
    state_bytes = stored.state[:-1] + b"," + extra + b"}"
    return (1, stored.originator_id, 2, stored.topic, state_bytes)


def _counting_library_calls(app: LedgerApplication) -> list:
    calls: list = []
    library = app.mapper.to_domain_event
    app.mapper.to_domain_event = lambda stored: calls.append(stored) or library(stored)
    return calls


def test_a_transcoding_registered_after_the_reader_was_made_is_decoded_by_the_library(clicks):
    decoder = EventDecoder(clicks.mapper)
    clicks.mapper.transcoder.register(_Money())
    calls = _counting_library_calls(clicks)
    row = _row_with(clicks, extra=b'"price":{"_type_":"money_pair","_data_":["1.50","EUR"]}')

    [(_, event)] = decoder.decode([row])

    assert event.price == (Decimal("1.50"), "EUR")
    assert len(calls) == 1


def test_a_transcoded_type_nobody_registered_fails_as_the_library_fails(clicks):
    row = _row_with(clicks, extra=b'"price":{"_type_":"mystery","_data_":1}')

    with pytest.raises(MapperDeserialisationError):
        EventDecoder(clicks.mapper).decode([row])


def test_a_state_only_stdlib_json_reads_is_decoded_by_the_library(clicks):
    calls = _counting_library_calls(clicks)
    row = _row_with(clicks, extra=b'"ratio":NaN')

    [(_, event)] = EventDecoder(clicks.mapper).decode([row])

    assert event.ratio != event.ratio
    assert len(calls) == 1


def test_an_ordinary_row_is_decoded_without_the_library(clicks):
    calls = _counting_library_calls(clicks)

    events = LogReader(clicks).read(start=0, limit=100)

    assert len(events) == 40
    assert calls == []


def _transcoder() -> JSONTranscoder:
    """The transcoder an eventsourcing application makes, without its database."""
    transcoder = JSONTranscoder()
    Application.register_transcodings(None, transcoder)  # type: ignore[arg-type]
    return transcoder


@pytest.mark.parametrize(
    "later_state",
    [
        b'{"at":{"_type_":"datetime_iso","_data_":"2026-01-02T03:04:05+03:00"},'
        b'"deep":{"ids":[{"_type_":"uuid_hex","_data_":"00000000000000000000000000000001"}]}}',
        b'{"at":{"_type_":"datetime_iso","_data_":"2026-01-02T03:04:05"},"note":"a _type_ word"}',
        b'{"at":{"_type_":"uuid_hex","_data_":"{00000000-0000-0000-0000-000000000002}"}}',
        b'{"at":{"_type_":"decimal_str","_data_":"1.10"},"n":{"_type_":"decimal_str","_data_":"2"}}',
        b'{"at":null,"box":{"_type_":"decimal_str","_data_":"-0.00"}}',
        b'{"at":{"_typ\\u0065_":"decimal_str","_data_":"3"}}',
    ],
)
def test_a_state_shaped_unlike_the_earlier_ones_of_its_topic_decodes_as_the_library_does(
    later_state,
):
    states = StateDecoder(_transcoder())
    states.decode("topic", b'{"at":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00"}}')

    decoded = states.decode("topic", later_state)

    assert _typed(decoded) == _typed(_transcoder().decode(later_state))


class _Tagged(Aggregate):
    """An aggregate whose event gained a field after events of it were stored."""

    class Tagged(Aggregate.Event):
        class_version = 2
        tag: str
        weight: Decimal

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["weight"] = Decimal("1.5")


def test_an_event_stored_before_its_class_changed_is_upcast_as_the_library_upcasts_it():
    mapper = Mapper(transcoder=_transcoder())
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00"},"tag":"x"}'
    row = (7, Click.create_id("t"), 3, get_topic(_Tagged.Tagged), state)

    [(_, event)] = EventDecoder(mapper).decode([row])

    assert _as_library_reads(event) == _as_library_reads(mapper.to_domain_event(_notification(row)))
    assert event.weight == Decimal("1.5")
