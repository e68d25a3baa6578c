"""The checks a postback passes before its rules are decided: rate, address, signature.

`PostbackScreen.screen` answers None (go on) or the `Rejection` to record: a refused postback
still goes through the writer, so it is stored with its reason like any other. The token itself
is checked by the rules (`domain.postback_rules.authorise`); here an unknown token is only rate
limited, by the address it came from.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from litestar import Request

from app.postbacks.rate_limit import RateLimiter
from app.postbacks.replay_store import ReplayStore
from app.settings import Settings
from domain.access import RateLimited, SiteAccess, check_ip
from domain.catalog_view import CatalogView, TokenGrant, sha256_hex
from domain.errors import Rejection
from domain.signatures import SIGNATURE_HEADER, BadSignature, site_signing_secret, verify

# Verifies a postback's signature for a site (raises BadSignature); built by the screen.
SignatureCheck = Callable[[int], None]


def ensure_signing_key(settings: Settings) -> str:
    """`LEDGER_SIGNING_KEY`, else a key kept (made once) in the data directory."""
    if settings.signing_key:
        return settings.signing_key
    path = settings.data_dir / "signing-key"
    if not path.exists():
        _create_secret_file(path)
    return path.read_text().strip()


def _create_secret_file(path: Path) -> None:
    """Write then link, so a process racing us never reads a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text(secrets.token_urlsafe(32) + "\n")
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        draft.unlink()


class PostbackScreen:
    """Rate limit per token, address allowlists and signatures, in that order."""

    def __init__(self, settings: Settings, replays: ReplayStore, signing_key: str) -> None:
        self.limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        self._replays = replays
        self._signing_key = signing_key

    def signing_secret(self, site_id: int) -> str:
        return site_signing_secret(self._signing_key, site_id)

    async def screen(
        self, request: Request, params: dict[str, str], body: bytes, catalog: CatalogView
    ) -> Rejection | None:
        token = params.get("token", "").strip()
        grant = catalog.authorise(token) if token else None
        source_ip = request.client.host if request.client else ""
        try:
            self._check_rate(grant, token, source_ip)
            if grant is None:
                return None  # the rules refuse it with the right code
            access = _access_of(grant, token, catalog)
            check_ip(source_ip, access.allowed_ips, _holder(grant))
            if access.require_signature and grant.site_id is not None:
                await self._check_signature(request, grant.site_id, body)
                request.scope.setdefault("state", {})["signature_verified"] = True
        except Rejection as rejection:
            return rejection
        return None

    def _check_rate(self, grant: TokenGrant | None, token: str, source_ip: str) -> None:
        if grant is None:
            key = f"address:{source_ip}"
        elif grant.site_id is not None:
            key = f"site:{grant.site_id}"
        else:
            key = f"global:{sha256_hex(token)}"
        wait = self.limiter.take(key)
        if wait:
            rejection = RateLimited(f"too many postbacks for this token; retry in {wait} s")
            rejection.retry_after = wait  # type: ignore[attr-defined]
            raise rejection

    def later_signature_check(self, request: Request, body: bytes) -> SignatureCheck:
        """The signature check of this postback, for the writer to run under a newer catalog.

        A worker's catalog copy may not yet know that a site signs (it was just added or
        changed): the screen then passes the postback unchecked, and the writer, deciding with
        the newer catalog, checks the signature itself instead of refusing a correctly signed
        postback as unsigned ("sign it and retry" to a sender who did).
        """
        header = request.headers.get(SIGNATURE_HEADER, "")
        received = time.time()
        method, path = request.method, request.scope["path"]
        query = request.scope.get("query_string", b"")

        passed_for: set[int] = set()

        def check(site_id: int) -> None:
            # A batch decided again (a newer catalog, a version conflict) checks again: the
            # signature this postback already used is its own, not a replay.
            if site_id in passed_for:
                return
            secret = self.signing_secret(site_id)
            signature = verify(header, secret, received, method, path, query, body)
            if not self._replays.first_use(signature):
                raise BadSignature("this signature was used before: sign every attempt anew")
            passed_for.add(site_id)

        return check

    async def _check_signature(self, request: Request, site_id: int, body: bytes) -> None:
        signature = verify(
            request.headers.get(SIGNATURE_HEADER, ""),
            self.signing_secret(site_id),
            time.time(),
            request.method,
            request.scope["path"],
            request.scope.get("query_string", b""),
            body,
        )
        if not await asyncio.to_thread(self._replays.first_use, signature):
            raise BadSignature("this signature was used before: sign every attempt anew")


def check_screen_still_holds(
    params: dict[str, str],
    source_ip: str,
    signed: bool,
    catalog: CatalogView,
    check_signature: SignatureCheck | None = None,
) -> None:
    """The address and signature rules again, under a catalog newer than the one that screened
    the postback (a key or a rule applied in between): raises the Rejection to record. A
    signature the screen did not check is checked here when `check_signature` can."""
    token = params.get("token", "").strip()
    grant = catalog.authorise(token) if token else None
    if grant is None:
        return  # the rules refuse it with the right code
    access = _access_of(grant, token, catalog)
    check_ip(source_ip, access.allowed_ips, _holder(grant))
    if access.require_signature and grant.site_id is not None and not signed:
        if check_signature is not None:
            check_signature(grant.site_id)
            return
        raise BadSignature(f"site {grant.site_id} sends signed postbacks only: sign it and retry")


def _access_of(grant: TokenGrant, token: str, catalog: CatalogView) -> SiteAccess:
    if grant.site_id is not None:
        return catalog.site_access.get(grant.site_id, SiteAccess())
    return SiteAccess(catalog.global_token_allowed_ips.get(sha256_hex(token), ()))


def _holder(grant: TokenGrant) -> str:
    return f"site {grant.site_id}" if grant.site_id is not None else "this global token"


def open_screen(services) -> PostbackScreen:
    settings = services.settings
    return PostbackScreen(settings, ReplayStore(services.ledger), ensure_signing_key(settings))
