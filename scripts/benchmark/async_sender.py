"""The lever "an asynchronous client", tried by `--sender-levers` and not kept (its figures in
docs/performance.md): the sender with one event loop thread sending every request as a task.

The same requests, limits and address check as `app.deliveries.client` (whose header, answer
and URL rules it reuses), on httpcore's asynchronous connection pool (what httpx's AsyncClient
runs on). The hope: 32 sending threads spend CPU handing the GIL to each other; one loop thread
does the same work without the switches. A new connection is checked at connect time
(`AsyncGuardedBackend`, the rule of `app.deliveries.guard`), a kept-alive one was checked when it
was opened, and the total deadline covers the whole request.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Coroutine, Sequence
from concurrent import futures
from concurrent.futures import Future
from datetime import UTC, datetime

import httpcore

from app.deliveries.client import (
    MAX_RESPONSE_BYTES,
    Answer,
    _headers,
    _ms,
    _retry_after,
    without_userinfo,
)
from app.deliveries.guard import AddressRefused, Resolver, checked, resolve
from app.deliveries.sender import BROKEN, Sender
from app.deliveries.settings import DeliverySettings, Network

log = logging.getLogger(__name__)


class AsyncDeliveryClient:
    """`submit` a coroutine (typically one awaiting `send`) from any thread; `close` at the end."""

    def __init__(
        self, settings: DeliverySettings, resolver: Resolver = resolve, keep_alive: bool = True
    ) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="delivery-loop", daemon=True
        )
        self._thread.start()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(),
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency if keep_alive else 0,
            keepalive_expiry=30.0,
            network_backend=AsyncGuardedBackend(settings.allow, resolver),
        )

    def submit(self, work: Coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

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
        timeouts = {"connect": self._settings.connect_timeout, "pool": None}
        try:
            async with asyncio.timeout(self._settings.total_timeout):
                async with self._pool.stream(
                    method, url, headers=headers, content=body, extensions={"timeout": timeouts}
                ) as response:
                    excerpt = await _excerpt(response)
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
        if self._loop.is_closed():
            return
        self.submit(self._pool.aclose()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _excerpt(response: httpcore.Response) -> str:
    """At most 4 KiB of the body, as `client._excerpt`."""
    read = b""
    async for chunk in response.aiter_stream():
        read += chunk
        if len(read) >= MAX_RESPONSE_BYTES:
            break
    return read[:MAX_RESPONSE_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The same check for the asynchronous client: every new connection of its pool (a kept
    alive one was checked when it was opened) resolves the name in a thread, refuses it if any
    address is not public, and connects to the checked address. The request's total deadline
    is the client's (`asyncio.timeout` around the whole request)."""

    def __init__(
        self,
        allow: Sequence[Network],
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow = tuple(allow)
        self._resolve = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):  # fmt: skip
        loop = asyncio.get_running_loop()
        addresses = await loop.run_in_executor(
            None, checked, host, port, self._resolve, self._allow
        )
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last  # type: ignore[misc]

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AddressRefused("deliveries never use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class AsyncSender(Sender):
    """The sender handing each claimed delivery to an `AsyncDeliveryClient`'s loop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._futures: set[Future] = set()

    def _submit(self, row: dict) -> None:
        self._futures = {f for f in self._futures if not f.done()}
        self._futures.add(self._client.submit(self._send_async(row)))

    async def _send_async(self, row: dict) -> None:
        at = datetime.now(UTC)
        try:
            answer = await self._client.send(*self._request(row))
        except Exception:
            log.exception("delivery %s failed unexpectedly", row["id"])
            answer = BROKEN
        self._done.put(self._attempt(row, at, answer))
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        futures.wait(self._futures, self._settings.total_timeout + 1)
        super().stop(timeout)
