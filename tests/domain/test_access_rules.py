"""Access rules in the catalog (allowlists, signing) and the signature scheme, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.access import SiteAccess, ip_allowed
from domain.catalog import Catalog
from domain.catalog_document import CatalogError, parse_catalog
from domain.catalog_view import sha256_hex
from domain.signatures import BadSignature, sign, site_signing_secret, verify

DEMO_TOML = (Path(__file__).parents[2] / "scripts" / "demo-catalog.toml").read_text()
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SITE_LINE = 'key = "s3cr3t"'
RULES = 'key = "s3cr3t"\n  allowed_ips = ["10.0.0.0/8"]\n  require_signature = true'
GLOBAL_ALLOWLIST = (
    'global_tokens = ["demo-global-token"]\n'
    'global_token_allowed_ips = { "demo-global-token" = ["192.0.2.1"] }'
)


def applied(*texts: str) -> tuple[Catalog, list]:
    catalog = Catalog()
    changes = [catalog.apply_document(parse_catalog(text), NOW) for text in texts]
    return catalog, changes


def test_a_sites_access_rules_reach_the_view():
    catalog, _ = applied(DEMO_TOML.replace(SITE_LINE, RULES))

    assert catalog.view().site_access[7] == SiteAccess(("10.0.0.0/8",), True)
    assert 8 not in catalog.view().site_access


def test_applying_the_same_access_rules_twice_changes_nothing():
    text = DEMO_TOML.replace(SITE_LINE, RULES)

    _, (first, second) = applied(text, text)

    assert any("access rules of site 7" in line for line in first.lines)
    assert second.is_empty


def test_a_site_entry_without_rules_lifts_its_former_rules():
    catalog, _ = applied(DEMO_TOML.replace(SITE_LINE, RULES), DEMO_TOML)

    assert catalog.view().site_access[7] == SiteAccess()


def test_a_global_tokens_allowlist_is_kept_under_the_tokens_digest_only():
    catalog, _ = applied(
        DEMO_TOML.replace('global_tokens = ["demo-global-token"]', GLOBAL_ALLOWLIST)
    )

    allowlists = catalog.view().global_token_allowed_ips
    assert allowlists == {sha256_hex("demo-global-token"): ("192.0.2.1",)}


def test_an_invalid_network_is_refused_with_its_place():
    with pytest.raises(CatalogError, match=r"sites\[0\]\.allowed_ips\[0\].*'10\.0\.0\.300/8'"):
        parse_catalog(
            DEMO_TOML.replace(SITE_LINE, SITE_LINE + '\n  allowed_ips = ["10.0.0.300/8"]')
        )


def test_an_allowlist_for_an_unknown_global_token_is_refused_without_showing_the_token():
    text = DEMO_TOML.replace(
        'global_tokens = ["demo-global-token"]',
        'global_tokens = ["demo-global-token"]\n'
        'global_token_allowed_ips = { "not-a-listed-token" = ["192.0.2.1"] }',
    )

    with pytest.raises(CatalogError) as refused:
        parse_catalog(text)

    assert "not in global_tokens" in str(refused.value)
    assert "not-a-listed-token" not in str(refused.value)


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [
        ("10.1.2.3", True),
        ("::ffff:10.1.2.3", True),
        ("11.0.0.1", False),
        ("testclient", False),
        ("", False),
    ],
)
def test_an_address_is_allowed_only_inside_the_allowlist(ip, allowed):
    assert ip_allowed(ip, ("10.0.0.0/8", "2001:db8::/32")) is allowed


def test_without_an_allowlist_every_address_is_allowed():
    assert ip_allowed("anything", ())


def test_each_site_signs_with_its_own_secret_derived_from_the_service_key():
    assert site_signing_secret("key", 7) != site_signing_secret("key", 8)
    assert site_signing_secret("key", 7) != site_signing_secret("other", 7)


def test_a_signature_verifies_for_the_same_request_and_nothing_else():
    header = sign("secret", 1_000, "POST", "/api/site/status.json", b"b=2&a=1", b'{"x":1}')

    assert verify(header, "secret", 1_010, "POST", "/api/site/status.json", b"a=1&b=2", b'{"x":1}')
    with pytest.raises(BadSignature):
        verify(header, "secret", 1_010, "POST", "/api/site/status.json", b"a=1&b=2", b'{"x":2}')
    with pytest.raises(BadSignature):
        verify(header, "secret", 1_010, "GET", "/api/site/status.json", b"a=1&b=2", b'{"x":1}')
    with pytest.raises(BadSignature):
        verify(header, "secret", 2_000, "POST", "/api/site/status.json", b"a=1&b=2", b'{"x":1}')


@pytest.mark.parametrize("header", ["", "t=1,v1=zz", "v1=" + "0" * 64, "t=1,v1=" + "0" * 63])
def test_a_malformed_signature_header_is_a_bad_signature(header):
    with pytest.raises(BadSignature):
        verify(header, "secret", 1, "GET", "/", b"", b"")
