"""Where a webmaster wants to hear of their conversions: the postback targets of the catalog.

A webmaster's entry in the catalog file may list `[[webmasters.postbacks]]`, a flow's entry
`[[flows.postbacks]]`; a flow's own list, when it has one, wins over its webmaster's. Each target
is a URL template with macros (`domain.postback_macros`), an optional filter of events, a method
and an optional signing secret. The file states an entry's targets in full: a webmaster or flow
listed without postbacks has none; one not listed keeps what it had (the file never deletes).

The targets live in an aggregate of their own, saved with the catalog in one transaction, so the
catalog's own events stay as they are and the notifier sees every change in the event log.
A signing secret is not recorded: only `secret_ref`, a keyed reference the caller makes (the app
keeps the secret itself encrypted outside the event store, `app.deliveries.secret_vault`), so a
changed secret is still a changed target. Targets recorded before kept `secret` in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.postback_macros import macro_problems
from domain.postback_urls import url_problems

EVENTS = ("created", "new", "processing", "hold", "approve", "cancel", "trash", "goal", "payout")
METHODS = ("GET", "POST", "JSON")
_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger:webmaster-postbacks")


class PostbackEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One `[[webmasters.postbacks]]` or `[[flows.postbacks]]` table of the catalog file."""

    url: str
    events: list[str] | None = None  # None: every event
    method: str = "GET"
    secret: str | None = None
    url_secret: str | None = None  # a key in the URL (Keitaro's `/<key>/postback`): masked


@dataclass(frozen=True)
class Target:
    """A postback target as the notifier uses it; `id` names its URL (suspension is per URL)."""

    url: str
    events: frozenset[str] | None
    method: str
    secret: str | None  # only in targets recorded before secrets were kept apart
    url_secret: str | None = None
    secret_ref: str | None = None  # the keyed reference the secret is kept under

    @cached_property  # a uuid5 per delivery was 4% of the notifier's thread
    def id(self) -> UUID:
        return target_id(self.url, self.method)

    def wants(self, words: frozenset[str]) -> bool:
        return self.events is None or bool(self.events & words)


def target_id(url: str, method: str = "GET") -> UUID:
    """A URL and its method: the same URL sent as GET and as POST are two targets (GET keeps
    the id it had when targets were named by URL alone)."""
    return uuid5(_NAMESPACE, url if method == "GET" else f"{method} {url}")


def postback_problems(doc: Any) -> list[str]:
    """Every problem of the document's webmaster and flow postbacks, each with its place."""
    places = [(f"$.webmasters[{i}]", w.postbacks) for i, w in enumerate(doc.webmasters)]
    places += [(f"$.flows[{i}]", f.postbacks) for i, f in enumerate(doc.flows)]
    return [
        problem
        for owner, entries in places
        for j, entry in enumerate(entries)
        for problem in _entry_problems(f"{owner}.postbacks[{j}]", entry)
    ]


def _entry_problems(path: str, entry: PostbackEntry) -> list[str]:
    problems = macro_problems(f"{path}.url", entry.url) + url_problems(f"{path}.url", entry.url)
    problems += [
        f"{path}.events[{k}]: unknown event {word!r}; one of {', '.join(EVENTS)}"
        for k, word in enumerate(entry.events or [])
        if word not in EVENTS
    ]
    if entry.events is not None and not entry.events:
        problems.append(f"{path}.events: an empty list would send nothing; leave it out for all")
    if entry.method not in METHODS:
        problems.append(f"{path}.method: {entry.method!r} is not one of {', '.join(METHODS)}")
    if entry.secret is not None and not entry.secret:
        problems.append(f"{path}.secret: an empty secret signs nothing; leave it out")
    if entry.url_secret is not None and (not entry.url_secret or entry.url_secret not in entry.url):
        problems.append(f"{path}.url_secret: not a part of the url; give the key as it is there")
    return problems


def _shown(url: str) -> str:
    return url if len(url) <= 200 else url[:200] + "…"


def _plain(entries: list[PostbackEntry], reference: Callable[[str], str]) -> list[dict]:
    """As recorded: the secret replaced by its reference; `url_secret` only when given, so
    targets recorded before it existed compare equal to the same file applied again."""
    plain = []
    for entry in entries:
        found = msgspec.to_builtins(entry)
        secret = found.pop("secret")
        found["secret_ref"] = None if secret is None else reference(secret)
        plain.append({k: v for k, v in found.items() if k != "url_secret" or v is not None})
    return plain


def document_secrets(doc: Any) -> set[str]:
    """Every signing secret the document's postbacks name."""
    owners = [*doc.webmasters, *doc.flows]
    return {entry.secret for owner in owners for entry in owner.postbacks if entry.secret}


def _target(entry: dict) -> Target:
    events = entry.get("events")
    return Target(
        url=entry["url"],
        events=None if events is None else frozenset(events),
        method=entry.get("method", "GET"),
        secret=entry.get("secret"),
        url_secret=entry.get("url_secret"),
        secret_ref=entry.get("secret_ref"),
    )


class WebmasterPostbacks(Aggregate):
    """The network's postback targets, by webmaster and by flow, changed by catalog files."""

    @classmethod
    def create_id(cls) -> UUID:
        return uuid5(_NAMESPACE, "targets")

    class Started(Aggregate.Created):
        """No targets yet."""

    @event(Started)
    def __init__(self) -> None:
        self.by_webmaster: dict[str, list[dict]] = {}
        self.by_flow: dict[str, list[dict]] = {}

    class Configured(Aggregate.Event):
        """The targets of the named webmasters and flows (flow ids as text), each in full."""

        webmasters: dict[str, list[dict]]
        flows: dict[str, list[dict]]

    @event(Configured)
    def _configure(self, webmasters: dict[str, list[dict]], flows: dict[str, list[dict]]) -> None:
        self.by_webmaster.update(webmasters)
        self.by_flow.update(flows)

    def apply_document(self, doc: Any, reference: Callable[[str], str]) -> list[str]:
        """Record what the file says of postbacks where it differs; lines an operator reads.
        `reference` turns a secret into what is recorded in its place."""
        webmasters = {
            w.id: _plain(w.postbacks, reference)
            for w in doc.webmasters
            if _plain(w.postbacks, reference) != self.by_webmaster.get(w.id, [])
        }
        flows = {
            str(f.id): _plain(f.postbacks, reference)
            for f in doc.flows
            if _plain(f.postbacks, reference) != self.by_flow.get(str(f.id), [])
        }
        if webmasters or flows:
            self._configure(webmasters=webmasters, flows=flows)
        return [
            f"postbacks of webmaster {w}: {len(t)} target(s)" for w, t in webmasters.items()
        ] + [f"postbacks of flow {f}: {len(t)} target(s)" for f, t in flows.items()]

    def targets(self) -> PostbackTargets:
        return PostbackTargets(
            {w: tuple(map(_target, t)) for w, t in self.by_webmaster.items()},
            {int(f): tuple(map(_target, t)) for f, t in self.by_flow.items()},
        )


@dataclass(frozen=True)
class PostbackTargets:
    """The targets in force: a flow's own, else its webmaster's."""

    by_webmaster: dict[str, tuple[Target, ...]]
    by_flow: dict[int, tuple[Target, ...]]

    @classmethod
    def none(cls) -> PostbackTargets:
        return cls({}, {})

    def __bool__(self) -> bool:
        return any(self.by_webmaster.values()) or any(self.by_flow.values())

    def of(self, webmaster: str, flow: int) -> tuple[Target, ...]:
        return self.by_flow.get(flow) or self.by_webmaster.get(webmaster, ())
