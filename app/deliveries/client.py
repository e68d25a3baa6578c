"""The HTTP client of deliveries: one event loop thread, pooled connections, hard time limits.

aiohttp (its parser in C) sends every request as a task on one loop thread: the synchronous
client needed a thread per request in flight, and 32 threads handing the GIL to each other cost
2.5× the CPU per delivery (docs/performance.md, "Tenth push"). The resolver is where the address
check belongs (`app.deliveries.guard`). Connecting may take 3 s and the whole request 10 s; a
redirect is an answer, never followed; at most 4 KiB of a response is read; no proxy from the
environment, no cookies. Each request carries the delivery id as `Idempotency-Key`, the same on
every attempt, and when the target has a secret an `X-Postback-Signature` made at sending time
(`domain.postback_macros.signature`).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
import time
from collections.abc import Coroutine, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import yarl

from app.deliveries.guard import AddressRefused, GuardedResolver, Resolver, check_literal, resolve
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
    """`submit` a coroutine (one awaiting `send`) from any thread, or `send_now` and wait;
    `close` at the end. The loop thread and its connections are the client's own."""

    def __init__(
        self, settings: DeliverySettings, resolver: Resolver = resolve, keep_alive: bool = True
    ) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="delivery-loop", daemon=True
        )
        self._thread.start()
        self._sending: set[asyncio.Task] = set()  # touched on the loop's thread only
        self._session = self.submit(self._open(resolver, keep_alive)).result(10)

    async def _open(self, resolver: Resolver, keep_alive: bool) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._settings.concurrency,
            resolver=GuardedResolver(self._settings.allow, resolver),
            use_dns_cache=False,  # every new connection is resolved and checked again
            force_close=not keep_alive,
            keepalive_timeout=30.0,
            ssl=ssl.create_default_context(),
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,  # never a proxy from the environment
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
        )
        # aiohttp sends a GET again, unrecorded, when the server drops the connection without
        # an answer: every attempt must be one the attempt log shows, so the sender retries.
        # (There is no public setting; tests/deliveries/test_sending.py fails if this stops.)
        session._retry_connection = False
        return session

    def submit(self, work: Coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    def start(self, works: list[Coroutine]) -> None:
        """Run each of `works` as a task on the loop, handed over at once: a hand-over per
        request (`submit`) was a tenth of the sender's CPU."""
        self._loop.call_soon_threadsafe(self._start, works)

    def _start(self, works: list[Coroutine]) -> None:
        for work in works:
            task = self._loop.create_task(work)
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def wait_started(self, timeout: float) -> None:
        """Wait (from outside the loop) until what `start` began has ended."""

        async def ended() -> None:
            if self._sending:
                await asyncio.wait(set(self._sending), timeout=timeout)

        self.submit(ended()).result(timeout + 1)

    def send_now(self, *args, **kwargs) -> Answer:
        """`send` from a thread outside the loop, waiting for its answer."""
        return self.submit(self.send(*args, **kwargs)).result()

    async def send(
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
        try:
            check_literal(urlsplit(url).hostname or "", self._settings.allow)
            async with asyncio.timeout(self._settings.total_timeout):
                async with self._session.request(
                    method,
                    yarl.URL(url, encoded=True),  # built and encoded by `build_request` already
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(connect=self._settings.connect_timeout),
                ) as response:
                    excerpt = await _excerpt(response)
                    retry_after = _retry_after(response.raw_headers)
                    status = response.status
        except AddressRefused as error:
            return Answer(None, str(error), "", _ms(started), refused=True)
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            return Answer(None, f"timeout: {error or type(error).__name__}", "", _ms(started))
        except (aiohttp.InvalidURL, ValueError) as error:
            return Answer(None, f"unsupported: {error}", "", _ms(started), refused=True)
        except (aiohttp.ClientError, OSError) as error:
            return Answer(None, f"{type(error).__name__}: {error}", "", _ms(started))
        return Answer(status, None, excerpt, _ms(started), retry_after)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.submit(self._session.close()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


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


async def _excerpt(response: aiohttp.ClientResponse) -> str:
    """At most 4 KiB of the body: a receiver cannot make us read (or store) more."""
    read = b""
    while len(read) < MAX_RESPONSE_BYTES:
        chunk = await response.content.read(MAX_RESPONSE_BYTES - len(read))
        if not chunk:
            break
        read += chunk
    # PostgreSQL text cannot hold NUL: a receiver's binary answer must not block the log.
    return read.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _retry_after(headers: Iterable[tuple[bytes, bytes]]) -> float | None:
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
