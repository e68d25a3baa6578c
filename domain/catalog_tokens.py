"""Tokens and ids as postbacks carry them: parsing, masking, and the digest that is kept.

Site keys and global tokens exist in the catalog only as SHA-256 digests, compared in constant
time; a stored postback shows at most a site id, never a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

# Longer digit runs are never ids; the cap also keeps int() far from its 4,300-digit limit.
MAX_ID_DIGITS = 18


def sha256_hex(secret: str) -> str:
    """The only form in which a site key or a global token is kept."""
    # surrogatepass: a token from the wire may hold lone surrogates; it must not crash the check.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_numeric_id(text: str) -> int | None:
    """The id a string of ASCII digits names, or None for anything else."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def split_site_token(token: str) -> tuple[int, str] | None:
    """(site id, key) of a `<siteId>-<siteKey>` token, or None if it does not have that shape."""
    site, separator, key = token.partition("-")
    site_id = parse_numeric_id(site)
    if not separator or site_id is None or not key:
        return None
    return site_id, key


def mask_token(token: str) -> str:
    """The token as a stored postback may show it: the site id at most, never a key."""
    site = split_site_token(token)
    if site is not None:
        return f"{site[0]}-***"
    # Two characters of a long token help support tell tokens apart and reveal next to nothing.
    return (token[:2] if len(token) > 8 else "") + "***"


@dataclass(frozen=True)
class TokenGrant:
    """What an accepted postback token may touch: any offer, or the offer of its site.

    `retired`: the token is a retired site's right key; the rules refuse it with its own code.
    """

    kind: Literal["global", "site"]
    site_id: int | None = None
    offer: str | None = None
    retired: bool = False

    def allows(self, offer_id: str) -> bool:
        return self.kind == "global" or self.offer == offer_id
