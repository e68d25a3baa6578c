"""The fast event encoder writes exactly the bytes eventsourcing's mapper writes."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)
from hypothesis import given
from hypothesis import strategies as st

from app.eventstore.encoding import EventEncoder
from domain.lead import Lead
from domain.money import Money
from domain.statuses import Status


def _mapper() -> Mapper:
    """The mapper `LedgerApplication` builds: the library's JSON transcoder and transcodings."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


MAPPER = _mapper()
ENCODER = EventEncoder(MAPPER)

_scalars = st.one_of(
    st.text(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), None])),
    st.floats(allow_nan=False),  # the library's path: same bytes either way
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=12), _values, max_size=8))
def test_any_event_state_is_encoded_to_the_bytes_the_library_writes(state):
    try:
        expected = MAPPER.transcoder.encode(state)
    except UnicodeEncodeError:  # a lone surrogate: the library refuses it, and so do we
        try:
            ENCODER.encode_state(state)
        except UnicodeEncodeError:
            return
        raise AssertionError("encoded a state the library refuses") from None

    assert ENCODER.encode_state(state) == expected


def test_every_lead_event_is_stored_as_the_library_stores_it():
    lead = Lead(
        id=uuid4(), postback_id=uuid4(), click="c-1", exto=None, flow=101, offer="offer-1",
        advertiser="adv-1", webmaster="wm-1", goal="reg", status="new",
    )  # fmt: skip
    lead.change_goal(uuid4(), "dep")
    lead.set_payout(uuid4(), Money(Decimal("12.50"), "USD"), None, {"line": 3, "file": "s.csv"})
    lead.change_status(uuid4(), Status.APPROVE, "approved")

    for event in lead.collect_events():
        assert ENCODER.to_stored_event(event) == MAPPER.to_stored_event(event)


def test_with_a_compressor_everything_goes_through_the_library():
    import zlib

    class Zlib:
        def compress(self, data: bytes) -> bytes:
            return zlib.compress(data)

        def decompress(self, data: bytes) -> bytes:
            return zlib.decompress(data)

    mapper = Mapper(transcoder=MAPPER.transcoder, compressor=Zlib())
    encoder = EventEncoder(mapper)
    event = Lead(
        id=uuid4(), postback_id=uuid4(), click=None, exto="e", flow=1, offer="o",
        advertiser="a", webmaster="w", goal="g", status="new",
    ).collect_events()[0]  # fmt: skip

    assert not encoder.is_fast
    assert encoder.to_stored_event(event) == mapper.to_stored_event(event)
