"""Signed postbacks: the HMAC scheme advertisers that can sign use, checked without I/O.

The sender signs every attempt (retries included) and sends

    X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, message)>

where the message is the bytes `<t>.<METHOD>.<path>?<query>.<body>`: the query string's raw
`&`-separated fields sorted bytewise (so a client library that reorders parameters still
matches), the body exactly as sent. A signature older or newer than the window is refused, and
so is a signature seen before (the replay store keeps them for the window's length).

Each site's secret is derived from the service's signing key and the site id, so no signing
secret is ever stored in the catalog or the event store: `site_signing_secret` tells an operator
what to hand to the advertiser.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from domain.errors import Rejection

SIGNATURE_HEADER = "x-signature"
WINDOW_SECONDS = 300
_HEADER = re.compile(r"\At=(\d{1,12}),v1=([0-9a-f]{64})\Z")


class BadSignature(Rejection):
    """The site requires signed postbacks; this signature is missing, wrong, stale or replayed."""

    http_status = 401
    code = "bad_signature"


def site_signing_secret(signing_key: str, site_id: int) -> str:
    """The secret site `site_id` signs with: a function of the service's key, never stored."""
    label = f"postback-ledger/site-signing-secret/{site_id}".encode()
    return hmac.new(signing_key.encode(), label, hashlib.sha256).hexdigest()


def canonical_query(query: bytes) -> bytes:
    return b"&".join(sorted(field for field in query.split(b"&") if field))


def signed_message(timestamp: int, method: str, path: str, query: bytes, body: bytes) -> bytes:
    head = f"{timestamp}.{method.upper()}.{path}?".encode()
    return head + canonical_query(query) + b"." + body


def sign(secret: str, timestamp: int, method: str, path: str, query: bytes, body: bytes) -> str:
    """The header value a sender puts in `X-Signature`."""
    message = signed_message(timestamp, method, path, query, body)
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    header: str, secret: str, now: float, method: str, path: str, query: bytes, body: bytes
) -> str:
    """The signature's hex digest if the header signs this request now; else BadSignature.

    The caller still has to make sure the returned digest was not seen before (replay).
    """
    match = _HEADER.match(header.strip())
    if match is None:
        raise BadSignature("this site signs its postbacks: X-Signature: t=<unix>,v1=<hex>")
    timestamp, presented = int(match.group(1)), match.group(2)
    if abs(now - timestamp) > WINDOW_SECONDS:
        raise BadSignature(
            f"the signature's timestamp is more than {WINDOW_SECONDS} s from the server's clock"
        )
    expected = sign(secret, timestamp, method, path, query, body).rpartition("v1=")[2]
    if not hmac.compare_digest(expected, presented):
        raise BadSignature("the signature does not match the request")
    return presented
