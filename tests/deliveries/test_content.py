"""What a webmaster's tracker receives: every macro filled, signed, and nothing of the
advertiser's side (payout, identity, the network's margin) for any event."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import parse_qsl, urlsplit

from tests.controls import change, create, new_click
from tests.delivery_controls import configure, notifying, received_within, receiving, settled
from tests.ledger_controls import accepted

ALL_MACROS = "&".join(
    f"{m}={{{m}}}"
    for m in (
        "click", "exto", "lead", "status", "goal", "commission", "currency", "offer", "flow",
        "sub1", "sub2", "sub3", "sub4", "sub5", "time", "delivery",
    )
)  # fmt: skip
SECRET = "wm-secret-Ω"
# The advertiser pays 37.13 (the postback's own `pay`), then the dep goal's 55.00; the webmaster
# earns 11.20, then 40.00: the margins are 25.93 and 15.00.
NEVER = ("37.13", "25.93", "55.00", "15.00", "adv-1", "Acme", "advertiser", "margin", "payout=")


def _targets(url: str, method: str) -> str:
    return (
        '[[webmasters]]\nid = "wm-1"\nname = "Traffic Co"\n'
        f'  [[webmasters.postbacks]]\n  url = "{url}"\n  method = "{method}"\n'
        f'  secret = "{SECRET}"\n'
    )


def _life_of_a_lead(client) -> str:
    """created (with per-lead amounts), hold with a new goal, approve: every event type."""
    click = new_click(client, sub1="s one", sub2="s&2")
    body = accepted(create(client, click=click, exto="x y&z", pay="37.13", wm="11.20"))
    accepted(change(client, click=click, exto="x y&z", status="hold", goal="dep"))
    accepted(change(client, click=click, exto="x y&z", status="approved"))
    return body["id"]


def _independent_signature_check(request, secret: str) -> None:
    fields = dict(part.split("=", 1) for part in request.headers["x-postback-signature"].split(","))
    message = f"{fields['t']}\n{request.method}\n{request.path}\n".encode() + request.body
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)


def _assert_no_leak(request) -> None:
    seen = request.path + request.body.decode() + json.dumps(request.headers)
    for word in NEVER:
        assert word.lower() not in seen.lower(), (word, seen)


def test_every_event_of_a_lead_reaches_a_get_tracker_with_every_macro_and_nothing_else(
    demo, services
):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, _targets(receiver.url(f"/pb?{ALL_MACROS}"), "GET"))
        lead_id = _life_of_a_lead(demo)
        settled(demo, 5)
        requests = received_within(receiver, 5)
    sent = [dict(parse_qsl(urlsplit(r.path).query, keep_blank_values=True)) for r in requests]
    assert sorted((s["status"], s["goal"], s["commission"]) for s in sent) == sorted(
        [
            ("new", "reg", "10.00"),  # created: priced before its amounts arrive
            ("new", "reg", "11.20"),  # payout: the webmaster's own amount
            ("new", "dep", "40.00"),  # goal (before the status of the same postback): its rate
            ("hold", "dep", "40.00"),
            ("approve", "dep", "40.00"),
        ]
    )
    for request, values in zip(requests, sent, strict=True):
        assert values["lead"] == lead_id and values["exto"] == "x y&z"
        assert (values["sub1"], values["sub2"], values["sub5"]) == ("s one", "s&2", "")
        assert (values["offer"], values["flow"], values["currency"]) == ("offer-1", "101", "USD")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values["time"])
        assert values["delivery"] == request.headers["idempotency-key"]
        assert "%20" in request.path and "{" not in request.path  # encoded, all filled
        _independent_signature_check(request, SECRET)
        _assert_no_leak(request)


def test_a_json_tracker_gets_the_same_values_in_a_signed_body_without_the_advertisers_side(
    demo, services
):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, _targets(receiver.url("/json?cid={click}"), "JSON"))
        _life_of_a_lead(demo)
        settled(demo, 5)
        requests = received_within(receiver, 5)
    events = [json.loads(r.body)["event"] for r in requests]
    assert sorted(events) == sorted(["created", "payout", "hold", "goal", "approve"])
    for request in requests:
        assert request.method == "POST" and request.headers["content-type"] == "application/json"
        body = json.loads(request.body)
        assert set(body) == {"event", *dict(parse_qsl(ALL_MACROS)).keys()}
        _independent_signature_check(request, SECRET)
        _assert_no_leak(request)


def test_a_form_tracker_gets_a_form_body(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, _targets(receiver.url("/form"), "POST"))
        click = new_click(demo)
        accepted(create(demo, click=click))
        settled(demo, 1)
        [request] = received_within(receiver, 1)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(parse_qsl(request.body.decode()))
    assert (form["event"], form["click"], form["commission"]) == ("created", click, "10.00")
    _independent_signature_check(request, SECRET)


def test_a_flows_own_postbacks_win_and_events_filter_what_is_sent(demo, services):
    with receiving((200, {})) as webmasters, receiving((200, {})) as flows, notifying(services):
        configure(
            demo,
            f"""
[[webmasters]]
id = "wm-1"
name = "Traffic Co"
  [[webmasters.postbacks]]
  url = "{webmasters.url("/wm?st={status}")}"
[[flows]]
id = 201
code = "loan-seo"
offer = "offer-2"
webmaster = "wm-1"
  [[flows.postbacks]]
  url = "{flows.url("/sale?st={status}")}"
  events = ["approve"]
  [[flows.postbacks]]
  url = "{flows.url("/rejected?st={status}")}"
  events = ["cancel", "trash"]
""",
        )
        loan = {"flow": "201", "token": "8-l0an-key"}
        accepted(create(demo, exto="loan-a", **loan))
        accepted(change(demo, exto="loan-a", status="approved", **loan))
        accepted(create(demo, exto="loan-b", **loan))
        accepted(change(demo, exto="loan-b", status="trash", **loan))
        accepted(create(demo, exto="card", flow="101"))
        settled(demo, 3)
        received_within(flows, 2)
    assert sorted(r.path for r in flows.received) == ["/rejected?st=trash", "/sale?st=approve"]
    assert [r.path for r in webmasters.received] == ["/wm?st=new"]  # flow 101 has none of its own
