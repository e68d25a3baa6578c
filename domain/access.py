"""Who may send a postback from where: per-site and per-global-token access rules.

A site (or a global token) may name the networks its postbacks come from (CIDRs); a postback
from anywhere else is refused with 403 `ip_not_allowed`. A site may also require every postback
to be signed (`domain.signatures`). Rules are optional: without them any address may send.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import Rejection

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SiteAccess:
    """A site's access rules; the default allows every address and needs no signature."""

    allowed_ips: tuple[str, ...] = ()
    require_signature: bool = False


class IpNotAllowed(Rejection):
    """The postback came from an address outside its token's allowlist."""

    http_status = 403
    code = "ip_not_allowed"


class RateLimited(Rejection):
    """The token sent more postbacks than its rate allows; the sender retries later."""

    http_status = 429
    code = "rate_limited"


def cidr_problems(place: str, cidrs: Iterable[str]) -> list[str]:
    problems = []
    for index, cidr in enumerate(cidrs):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(f"{place}[{index}]: {cidr!r} is not an IP address or CIDR network")
    return problems


@lru_cache(maxsize=1024)
def _networks(cidrs: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def ip_allowed(ip: str, cidrs: tuple[str, ...]) -> bool:
    """True without an allowlist; otherwise only for an address inside one of its networks."""
    if not cidrs:
        return True
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False  # not an address at all: cannot be inside an allowlist
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return any(address in network for network in _networks(cidrs))


def check_ip(ip: str, cidrs: tuple[str, ...], holder: str) -> None:
    if not ip_allowed(ip, cidrs):
        raise IpNotAllowed(f"postbacks of {holder} are not accepted from address {ip[:64]!r}")
