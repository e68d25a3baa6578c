"""Postback target URLs: what can be sent is checked when the catalog is applied, and what is
sent is plain ASCII whatever the webmaster typed.

A URL that cannot become a request (a space, a line break, a port out of range) would fail every
attempt and count toward its suspension, so it is refused with its field's path when the catalog
is applied. A macro in the scheme, host or port would let a visitor's sub choose where the
delivery goes (`http://{sub2}:9416/`): refused too. Non-ASCII text is what Russian trackers
use in paths and queries, and international host names exist: the host is sent as IDNA and the
rest percent-encoded as UTF-8 (`render_url` encodes macro values already).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

# Everything of a URL left as written: ASCII punctuation a URL may carry, and `%` (escapes).
_KEPT = "!#$%&'()*+,/:;=?@[]~-._"


def _shown(url: str) -> str:
    return url if len(url) <= 200 else url[:200] + "…"


def url_problems(path: str, url: str) -> list[str]:
    """Why this URL template cannot be a target, each with the field's path (none if it can)."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return [f"{path}: a space, line break or control character; percent-encode it (%20)"]
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return [f"{path}: {_shown(url)!r} is not a URL: {error}"]
    if "{" in _scheme_and_origin(url):
        return [
            f"{path}: a macro in the scheme, host or port would let a visitor choose where the"
            " delivery goes; macros belong in the path or query"
        ]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"{path}: {_shown(url)!r} is not an http(s) URL"]
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return [f"{path}: the port is not a number from 1 to 65535"]
    try:
        idna_host(parts.hostname)
    except UnicodeError:
        return [f"{path}: {parts.hostname!r} is not a valid international host name"]
    return []


def _scheme_and_origin(url: str) -> str:
    """`scheme://host:port` as written (before the path, query or fragment, after any
    credentials), read without urlsplit: a macro makes the scheme unreadable to it."""
    scheme, _, rest = url.partition("//")
    origin = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return scheme + origin.rpartition("@")[2]


def idna_host(host: str) -> str:
    """The host as DNS knows it: `пример.рф` -> `xn--e1afmkfd.xn--p1ai`; ASCII unchanged."""
    return host if host.isascii() else host.encode("idna").decode("ascii")


def ascii_url(url: str) -> str:
    """The URL with an IDNA host and every non-ASCII character of the rest percent-encoded as
    UTF-8; what is already ASCII (escapes included) is left as written."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not hostport.isascii():  # never an IPv6 literal: those are ASCII
        host, colon, port = hostport.partition(":")
        hostport = idna_host(host) + colon + port
    netloc = quote(userinfo + at, safe=_KEPT) + hostport
    path, query, fragment = (quote(p, safe=_KEPT) for p in parts[2:])
    return urlunsplit((parts.scheme, netloc, path, query, fragment))
