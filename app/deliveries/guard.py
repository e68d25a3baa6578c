"""No request forgery: every address a delivery connects to is checked when connecting.

Checking the host name of a URL is not enough: a name may resolve to 127.0.0.1, to a private
network or to the cloud metadata service (169.254.169.254), and may resolve differently at the
next lookup. This network backend for httpcore resolves the name itself, refuses the connection
if any resolved address is not public (unless `LEDGER_DELIVERY_ALLOW` covers it), and connects
to the checked address, so what was checked is what is reached. TLS still verifies the name.
It also enforces each request's total deadline on every read and write of the connection.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import httpcore

from app.deliveries.settings import Network

_deadline = threading.local()


class AddressRefused(httpcore.ConnectError):
    """The URL's host is (or resolves to) an address deliveries may not reach."""


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it stands for one: IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16).
    Such an address reaches that IPv4 host, so it is judged as that host."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str, allow: Sequence[Network]) -> str | None:
    """Why `address` may not be reached, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        ip = inner
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    kind = (
        "loopback"
        if ip.is_loopback
        else "link-local or metadata"
        if ip.is_link_local
        else ("private or reserved")
    )
    return f"{ip} is a {kind} address (LEDGER_DELIVERY_ALLOW does not cover it)"


def set_deadline(seconds: float) -> None:
    """Every read and write on this thread's connections ends within `seconds` from now."""
    _deadline.at = time.monotonic() + seconds


def _clamped(timeout: float | None) -> float:
    left = getattr(_deadline, "at", float("inf")) - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the delivery's total time ran out")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamped(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamped(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamped(timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


Resolver = Callable[[str, int], Iterable[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked(host: str, port: int, resolver: Resolver, allow: Sequence[Network]) -> list[str]:
    """The addresses `host` resolves to, all of which may be reached; else AddressRefused."""
    try:
        addresses = list(resolver(host, port))
    except OSError as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    refused = [reason for a in addresses if (reason := refusal(a, allow))]
    if refused or not addresses:
        raise AddressRefused(f"refused {host}: {refused[0] if refused else 'no address'}")
    return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, connecting only to checked addresses."""

    def __init__(
        self,
        allow: Sequence[Network],
        resolver: Resolver = resolve,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._allow = tuple(allow)
        self._resolve = resolver
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = checked(host, port, self._resolve, self._allow)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, _clamped(timeout), local_address, socket_options
                )
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last  # type: ignore[misc]

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AddressRefused("deliveries never use Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
