"""No request forgery: every address a delivery connects to is checked when connecting.

Checking the host name of a URL is not enough: a name may resolve to 127.0.0.1, to a private
network or to the cloud metadata service (169.254.169.254), and may resolve differently at the
next lookup. The delivery client's resolver (aiohttp's pluggable one) resolves the name itself,
refuses the connection if any resolved address is not public (unless `LEDGER_DELIVERY_ALLOW`
covers it), and hands aiohttp the checked addresses to connect to, so what was checked is what
is reached. TLS still verifies the name.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence

import aiohttp.abc

from app.deliveries.settings import Network


class AddressRefused(Exception):
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


Resolver = Callable[[str, int], Iterable[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked(host: str, port: int, resolver: Resolver, allow: Sequence[Network]) -> list[str]:
    """The addresses `host` resolves to, all of which may be reached; else AddressRefused."""
    try:
        addresses = list(resolver(host, port))
    except OSError as error:
        raise OSError(f"cannot resolve {host}: {error}") from error
    refused = [reason for a in addresses if (reason := refusal(a, allow))]
    if refused or not addresses:
        raise AddressRefused(f"refused {host}: {refused[0] if refused else 'no address'}")
    return addresses


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver for deliveries: the name is resolved in a thread and refused if any
    of its addresses may not be reached; aiohttp then connects to those checked addresses.
    The connector keeps no DNS cache, so every new connection is checked again."""

    def __init__(self, allow: Sequence[Network], resolver: Resolver = resolve) -> None:
        self._allow, self._resolve = tuple(allow), resolver

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list:
        loop = asyncio.get_running_loop()
        addresses = await loop.run_in_executor(
            None, checked, host, port, self._resolve, self._allow
        )
        return [
            {"hostname": host, "host": address, "port": port, "proto": 0, "flags": 0,
             "family": socket.AF_INET6 if ":" in address else socket.AF_INET}
            for address in addresses
        ]  # fmt: skip

    async def close(self) -> None:
        return None


def check_literal(host: str, allow: Sequence[Network]) -> None:
    """aiohttp connects to an address literal without asking the resolver: it is checked here
    (a legacy numeric form such as `127.1` or `2130706433` aiohttp refuses itself)."""
    if reason := _literal_refusal(host, tuple(allow)):
        raise AddressRefused(f"refused {host}: {reason}")


@functools.lru_cache(maxsize=4096)  # every request asks: parsing the host each time cost 2-4%
def _literal_refusal(host: str, allow: tuple[Network, ...]) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: the resolver checks what it resolves to
    return refusal(host, allow)
