"""Secrets out of what the delivery log shows: the signing secret, passwords, keys in URLs.

Trackers often carry their own postback key in the URL (`/<key>/postback`, `?token=`); support
needs to see which URL was called, not to be able to call it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"
_SECRET_NAMES = re.compile(r"key|token|secret|pass|pwd|sig|auth|hash", re.IGNORECASE)


def masked_url(url: str, secret: str | None = None, url_secret: str | None = None) -> str:
    """`url` as it may be shown: the signing secret, the target's `url_secret` (a key in its
    path), passwords and secret-looking query values replaced by `***`."""
    for hidden in filter(None, (secret, url_secret)):
        url = url.replace(hidden, MASK).replace(quote(hidden, safe=""), MASK)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(_SECRET_NAMES.search(name) for name, _ in pairs):
        query = "&".join(f"{quote(name, safe='')}={_shown(name, value)}" for name, value in pairs)
    else:
        query = parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _shown(name: str, value: str) -> str:
    return MASK if _SECRET_NAMES.search(name) else quote(value, safe="")
