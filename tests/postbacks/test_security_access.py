"""Who may send postbacks: address allowlists, signatures, and secrets kept out of the store."""

from __future__ import annotations

import hmac
import time

from domain.catalog_view import CatalogView, Site
from tests.controls import GLOBAL_TOKEN, SITE_TOKEN, create
from tests.security_controls import (
    apply_catalog,
    demo_catalog_with,
    postback_log,
    raw_event_store,
    signed_get,
)

CLICK_PATH = "/api/site/click.json"


def _secret(client) -> str:
    return client.app.state.screen.signing_secret(7)


def test_a_postback_from_outside_the_sites_allowlist_is_refused_403_and_recorded(demo, services):
    apply_catalog(demo, demo_catalog_with(site_7='allowed_ips = ["203.0.113.0/24"]'))

    response = create(demo, flow="101", exto="far-away")

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "ip_not_allowed"
    [recorded] = postback_log(demo, services, error="ip_not_allowed")
    assert recorded["http_status"] == 403 and recorded["lead_id"] is None


def test_a_global_tokens_allowlist_does_not_restrict_site_tokens(demo):
    network = 'global_token_allowed_ips = { "demo-global-token" = ["198.51.100.7/32"] }'
    apply_catalog(demo, demo_catalog_with(network=network))

    by_global = create(demo, token=GLOBAL_TOKEN, flow="101", exto="g-1")
    by_site = create(demo, token=SITE_TOKEN, flow="101", exto="s-1")

    assert by_global.status_code == 403 and by_global.json()["error"] == "ip_not_allowed"
    assert by_site.status_code == 200, by_site.text


def test_a_correctly_signed_postback_of_a_signing_site_is_accepted(demo):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))

    response = signed_get(demo, CLICK_PATH, "token=7-s3cr3t&flow=101&exto=signed-1", _secret(demo))

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "created"


def test_an_unsigned_postback_of_a_signing_site_is_refused_401_and_recorded(demo, services):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))

    response = create(demo, flow="101", exto="unsigned-1")

    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    [recorded] = postback_log(demo, services, error="bad_signature")
    assert recorded["params"]["exto"] == ["unsigned-1"]


def test_a_replayed_signature_is_refused_even_for_an_identical_request(demo):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))
    query, at = "token=7-s3cr3t&flow=101&exto=replayed&status=approve", int(time.time())

    first = signed_get(demo, CLICK_PATH, query, _secret(demo), at=at)
    replay = signed_get(demo, CLICK_PATH, query, _secret(demo), at=at)

    assert first.status_code == 200, first.text
    assert replay.status_code == 401 and replay.json()["error"] == "bad_signature"
    assert "used before" in replay.json()["message"]


def test_a_signature_outside_the_time_window_is_refused(demo):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))
    stale = int(time.time()) - 3600

    response = signed_get(
        demo, CLICK_PATH, "token=7-s3cr3t&flow=101&exto=old", _secret(demo), stale
    )

    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_a_signature_over_other_parameters_is_refused(demo):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))

    response = signed_get(
        demo,
        CLICK_PATH,
        "token=7-s3cr3t&flow=101&exto=tampered&pay=1000",
        _secret(demo),
        signed_query="token=7-s3cr3t&flow=101&exto=tampered&pay=1",
    )

    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_parameter_order_does_not_change_the_signature(demo):
    apply_catalog(demo, demo_catalog_with(site_7="require_signature = true"))

    response = signed_get(
        demo,
        CLICK_PATH,
        "exto=reordered&flow=101&token=7-s3cr3t",
        _secret(demo),
        signed_query="token=7-s3cr3t&flow=101&exto=reordered",
    )

    assert response.status_code == 200, response.text


def test_token_secrets_are_never_stored_in_clear(demo, services, database):
    create(demo, flow="101", exto="secret-check")
    create(demo, token=GLOBAL_TOKEN, flow="101", exto="secret-check-2")
    create(demo, token="7-wrong-key", flow="101", exto="secret-check-3")

    stored = raw_event_store(database)
    logged = postback_log(demo, services)

    assert b"s3cr3t" not in stored and b"demo-global-token" not in stored
    assert b"wrong-key" not in stored
    assert {entry["params"]["token"][0] for entry in logged} <= {"7-***", "de***"}


def test_tokens_are_compared_in_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("domain.catalog_view.hmac.compare_digest", spy)
    view = CatalogView(1, {}, {}, {}, {7: Site(7, "offer-1", "0" * 64)}, {}, {}, ("1" * 64,))

    assert view.authorise("7-guess") is None
    assert len(compared) == 2  # the global token digests, then the site key's digest
