"""No request forgery: loopback, private, link-local and metadata addresses are refused by
default, also behind a host name, before any connection is attempted."""

from __future__ import annotations

import aiohappyeyeballs
import pytest

from app.deliveries.client import DeliveryClient
from app.deliveries.guard import refusal, resolve
from app.deliveries.settings import DeliverySettings, parse_allow
from tests.delivery_controls import (
    configure,
    detail,
    notifying,
    postbacks_toml,
    receiving,
    settled,
)
from tests.ledger_controls import created_lead

FORBIDDEN = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fd00:ec2::254"]
# IPv6 forms that reach an IPv4 host: NAT64, IPv4-compatible, 6to4 (judged by the IPv4 inside).
EMBEDDING = ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "::127.0.0.1", "::10.0.0.1", "2002:a00:1::"]


@pytest.fixture
def connections(monkeypatch) -> list:
    """Every TCP connection the client attempts (none is made: each is refused before)."""
    attempted: list = []

    async def record(addr_infos, *args, **kwargs):
        attempted.extend(info[4][:2] for info in addr_infos)
        raise OSError("tests never connect here")

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", record)
    return attempted


def sent(url: str, settings: DeliverySettings | None = None, resolver=resolve):
    """One GET of `url` on a client of its own, closed after it."""
    client = DeliveryClient(settings or DeliverySettings(), resolver=resolver)
    try:
        return client.send_now("GET", url, b"", None, "key")
    finally:
        client.close()


@pytest.mark.parametrize("address", FORBIDDEN + EMBEDDING)
def test_a_host_name_resolving_to_a_forbidden_address_is_refused_unconnected(address, connections):
    answer = sent("http://tracker.example/pb", resolver=lambda host, port: [address])
    assert answer.refused and "refused tracker.example" in answer.error
    assert connections == []


def test_an_ipv6_form_of_a_public_ipv4_host_is_judged_public():
    assert refusal("64:ff9b::5db8:d822", ()) is None  # 93.184.216.34
    assert refusal("2002:5db8:d822::1", ()) is None
    assert "127.0.0.1 is a loopback" in refusal("::127.0.0.1", ())
    assert refusal("64:ff9b::7f00:1", parse_allow("127.0.0.0/8")) is None  # allowed as IPv4


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "127.0.0.1", "[::a9fe:a9fe]"])
def test_a_forbidden_address_in_the_url_itself_is_refused_unconnected(address, connections):
    answer = sent(f"http://{address}/")
    assert answer.refused and connections == []


@pytest.mark.parametrize("address", ["127.1", "2130706433", "0x7f.1", "017700000001", "0177.0.0.1"])
def test_a_legacy_numeric_form_of_a_forbidden_address_is_refused_unconnected(address, connections):
    answer = sent(f"http://{address}/")
    assert answer.refused and connections == []


def test_one_forbidden_address_among_a_names_addresses_refuses_the_name(connections):
    resolver = lambda host, port: ["93.184.216.34", "10.0.0.1"]  # noqa: E731
    answer = sent("http://tracker.example/", resolver=resolver)
    assert answer.refused and connections == []


def test_an_allowed_range_opens_a_private_address(connections):
    settings = DeliverySettings(allow=parse_allow("10.0.0.0/8"))
    answer = sent("http://tracker.example/", settings, lambda h, p: ["10.0.0.1"])
    assert not answer.refused and connections == [("10.0.0.1", 80)]  # checked address reached


def test_the_notifier_with_default_settings_never_reaches_loopback(demo, services):
    with receiving((200, {})) as receiver:
        with notifying(services, DeliverySettings(retry_base=0.05)):
            configure(demo, postbacks_toml(f"http://localhost:{receiver.port}/pb"))
            created_lead(demo, exto="ssrf")
            [delivery] = settled(demo, 1, state="failed")
        assert receiver.received == []
    [attempt] = detail(demo, delivery["id"])["attempt_log"]
    assert "loopback" in attempt["error"] and attempt["http_status"] is None


def test_an_allow_list_entry_that_is_no_cidr_is_refused_by_name():
    with pytest.raises(ValueError, match="LEDGER_DELIVERY_ALLOW: 'nope'"):
        parse_allow("127.0.0.0/8, nope")
