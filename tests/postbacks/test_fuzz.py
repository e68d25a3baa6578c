"""Hypothesis on the postback parser and on the whole postback path.

Properties: parsing never raises and never keeps a token's secret; over HTTP no input gets a
500, every refusal is stored with its reason, and a refused postback changes no lead.
"""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.postbacks.parsing import parse_parameters
from tests.fault_controls import record_figures

PARSER_EXAMPLES = 500
PATH_EXAMPLES = 200
NAMES = ["token", "click", "exto", "flow", "code", "goal", "status", "pay", "cc", "wm", "auto",
         "sta", "stc", "stn", "_junk"]  # fmt: skip
TRICKY = [
    "approve", "аpprove", "ＡＰＰＲＯＶＥ", "approve\u200b", "cancel", "hold", "1", "0", "-1",
    "-0.01", "1e3", "1E+400", "NaN", "nan", "Infinity", "-Infinity", "1_000", "٣", "10.005",
    "{payout}", "{click}", "USD", "usd", "XXX", "reg", "dep", "101", "cc-traffic", "7-s3cr3t",
    "demo-global-token", "7-s3cr3t\x00", "\x00", "💰", "x" * 3000, "",
]  # fmt: skip
values = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
pairs = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=12)
# A valid core (token, flow, exto of a few leads) that fuzzed parameters add to or repeat, so
# that many examples reach the rules and the leads instead of stopping at the token check.
valid_core = st.tuples(
    st.sampled_from(["7-s3cr3t", "demo-global-token", "8-l0an-key"]),
    st.sampled_from(["101", "cc-traffic", "102"]),
    st.sampled_from(["a", "b", "c"]),
).map(lambda core: [("token", core[0]), ("flow", core[1]), ("exto", core[2])])
protocol_pairs = st.lists(st.tuples(st.sampled_from(NAMES[5:]), values), max_size=6)
postback_pairs = st.one_of(
    pairs,
    st.builds(lambda core, extra: core + extra, valid_core, protocol_pairs),
    st.builds(lambda core, extra: core + extra, valid_core, pairs),
)


@given(query=st.binary(max_size=300), body=st.binary(max_size=300), kind=st.sampled_from(
    ["", "application/json", "application/x-www-form-urlencoded", "text/plain; charset=latin-1"]
))  # fmt: skip
@settings(max_examples=PARSER_EXAMPLES, deadline=None)
def test_any_bytes_parse_into_parameters_or_a_coded_refusal(query, body, kind):
    parsed = parse_parameters(query, body, kind)

    assert parsed.error is None or parsed.error.code
    assert all(isinstance(v, str) for v in parsed.values.values())


@given(pairs=pairs)
@settings(max_examples=PARSER_EXAMPLES, deadline=None)
def test_a_recorded_token_never_holds_a_site_key(pairs):
    query = "&".join(f"{quote(n)}={quote(v)}" for n, v in pairs).encode()

    recorded = parse_parameters(query, b"", "").recorded

    assert all("s3cr3t" not in token for token in recorded.get("token", []))


def _lead_event_count(database) -> int:
    with psycopg.connect(database.conninfo()) as connection:
        return connection.execute(
            "SELECT count(*) FROM ledger_events WHERE topic LIKE 'domain.lead:%'"
        ).fetchone()[0]


def _stored_outcome(services, request_id: str):
    with psycopg.connect(services.address.conninfo()) as connection:
        rows = connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "WHERE topic = 'domain.postback:Postback.Received' ORDER BY notification_id DESC "
            "LIMIT 5"
        ).fetchall()
    from eventsourcing.persistence import StoredEvent

    events = [
        services.ledger.mapper.to_domain_event(StoredEvent(*r[:3], bytes(r[3]))) for r in rows
    ]
    return next((e for e in events if e.request_id == request_id), None)


@pytest.mark.slow
def test_no_postback_gets_a_500_and_every_refusal_is_stored_with_its_reason(
    demo, services, database
):
    counted = {"sent": 0, "refused": 0}
    codes: dict[str, int] = {}

    @given(
        endpoint=st.sampled_from(["click", "status"]),
        method=st.sampled_from(["GET", "POST-form", "POST-json"]),
        pairs=postback_pairs,
    )
    @settings(
        max_examples=PATH_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one_postback(endpoint, method, pairs):
        counted["sent"] += 1
        request_id = f"fuzz-{counted['sent']}"
        before = _lead_event_count(database)
        response = _send(demo, f"/api/site/{endpoint}.json", method, pairs, request_id)

        assert response.status_code < 500 or response.status_code == 503, response.text
        stored = _stored_outcome(services, request_id)
        assert stored is not None, "the postback was not stored"
        if response.status_code != 200:
            counted["refused"] += 1
            codes[response.json()["error"]] = codes.get(response.json()["error"], 0) + 1
            assert stored.error == response.json()["error"]
            assert _lead_event_count(database) == before, "a refused postback changed a lead"

    one_postback()
    assert counted["refused"] < counted["sent"], "no example reached an accepted postback"
    record_figures("postback path fuzz", **counted, errors_500=0, refusals=codes)


def _send(client, path: str, method: str, pairs, request_id: str):
    headers = {"X-Request-Id": request_id}
    if method == "GET":
        query = "&".join(f"{quote(n)}={quote(v)}" for n, v in pairs)
        return client.get(f"{path}?{query}", headers=headers)
    if method == "POST-form":
        return client.post(path, data=dict(pairs), headers=headers)
    return client.post(path, json=dict(pairs), headers=headers)
