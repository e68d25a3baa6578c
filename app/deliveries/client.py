"""The HTTP client of deliveries: pooled connections, hard time limits, nothing followed.

httpcore gives connection pooling with a pluggable network backend, which is where the address
check belongs (`app.deliveries.guard`). Connecting may take 3 s and the whole request 10 s; a
redirect is an answer, never followed; at most 4 KiB of a response is read. Each request
carries the delivery id as `Idempotency-Key`, the same on every attempt, and when the target has
a secret an `X-Postback-Signature` made at sending time (`domain.postback_macros.signature`).
"""

from __future__ import annotations

import base64
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit, urlunsplit

import httpcore

from app.deliveries.guard import AddressRefused, GuardedBackend, Resolver, resolve, set_deadline
from app.deliveries.settings import DeliverySettings
from domain.postback_macros import SIGNATURE_HEADER, signature

MAX_RESPONSE_BYTES = 4096
USER_AGENT = "postback-ledger/0.1"


@dataclass(frozen=True)
class Answer:
    """How one attempt ended: an HTTP status, or an error without one."""

    http_status: int | None
    error: str | None
    response: str
    duration_ms: float
    retry_after: float | None = None
    refused: bool = False  # the address may not be reached: retrying cannot help


class DeliveryClient:
    """Sends one delivery at a time per calling thread; share one between threads."""

    def __init__(
        self, settings: DeliverySettings, resolver: Resolver = resolve, keep_alive: bool = True
    ) -> None:
        self._settings = settings
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(),
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency if keep_alive else 0,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(settings.allow, resolver),
        )

    def send(
        self,
        method: str,
        url: str,
        body: bytes,
        content_type: str | None,
        key: str,
        secret=None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> Answer:
        url, authorization = without_userinfo(url)
        headers = _headers(method, url, body, content_type, key, secret) + list(extra)
        headers += authorization
        started = time.monotonic()
        set_deadline(self._settings.total_timeout)
        timeouts = {
            "connect": self._settings.connect_timeout,
            "read": self._settings.total_timeout,
            "write": self._settings.total_timeout,
            "pool": self._settings.total_timeout,
        }
        try:
            with self._pool.stream(
                method, url, headers=headers, content=body, extensions={"timeout": timeouts}
            ) as response:
                excerpt = _excerpt(response)
                retry_after = _retry_after(response.headers)
                status = response.status
        except AddressRefused as error:
            return Answer(None, str(error), "", _ms(started), refused=True)
        except (httpcore.TimeoutException, TimeoutError) as error:
            return Answer(None, f"timeout: {error or type(error).__name__}", "", _ms(started))
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as error:
            return Answer(None, f"{type(error).__name__}: {error}", "", _ms(started))
        except httpcore.UnsupportedProtocol as error:
            return Answer(None, f"unsupported: {error}", "", _ms(started), refused=True)
        return Answer(status, None, excerpt, _ms(started), retry_after)

    def close(self) -> None:
        self._pool.close()


def without_userinfo(url: str) -> tuple[str, list[tuple[str, str]]]:
    """`https://user:pass@host/…` -> the URL without them, and their Basic authorization header
    (a URL never carries credentials on the wire; shown, the password is masked)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, []
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    netloc = parts.netloc.rpartition("@")[2]
    plain = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return plain, [("Authorization", "Basic " + base64.b64encode(pair).decode("ascii"))]


def _headers(method, url, body, content_type, key, secret) -> list[tuple[str, str]]:
    headers = [("User-Agent", USER_AGENT), ("Idempotency-Key", key), ("Accept", "*/*")]
    if content_type:
        headers.append(("Content-Type", content_type))
    if secret:
        headers.append((SIGNATURE_HEADER, signature(secret, int(time.time()), method, url, body)))
    return headers


def _excerpt(response: httpcore.Response) -> str:
    """At most 4 KiB of the body: a receiver cannot make us read (or store) more."""
    read = b""
    for chunk in response.iter_stream():
        read += chunk
        if len(read) >= MAX_RESPONSE_BYTES:
            break
    # PostgreSQL text cannot hold NUL: a receiver's binary answer must not block the log.
    return read[:MAX_RESPONSE_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")


def _retry_after(headers: list[tuple[bytes, bytes]]) -> float | None:
    """`Retry-After` in seconds, from a number or an HTTP date; None if absent or unreadable."""
    value = next((v.decode("latin-1") for k, v in headers if k.lower() == b"retry-after"), None)
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
