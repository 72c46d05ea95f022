"""Verifier: checks a credential your service was presented, through ``GET /auth/verify``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Optional, Tuple

from ._http import RawResponse, Transport, TransportError
from .errors import (
    LatchkeyError,
    VerifierMisconfigured,
    VerifierUnavailable,
    error_from_response,
    retry_after_of,
)
from .models import parse_time

__all__ = ["VerifiedToken", "Verifier"]

# A header value Latchkey could be sent: visible ASCII with inner spaces. Anything else is no
# credential of Latchkey's, refused here without a call (and http.client would refuse it with
# the value, the credential, in its message).
_CREDENTIAL = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
_SCOPE = re.compile(r"^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_REFUSALS = (401, 403, 429)
# Latchkey sends at most 4 KiB of JSON as meta: 5,462 characters of base64url.
_MAX_META_CHARS = 5462
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class VerifiedToken:
    """Who holds a verified token, as Latchkey's answer headers (``X-Latchkey-*``) said."""

    token_id: str
    business_id: Optional[str]
    """None for a platform token (passed only where no business is named)."""
    identity_id: str
    identity_type: str
    scopes: Optional[Tuple[str, ...]]
    """None: unrestricted within its holder's role (``*``); ``()``: no scope at all."""
    expires_at: Optional[datetime]
    uses_remaining: Optional[int] = None
    meta: Optional[Mapping[str, Any]] = None
    """The token's ``meta`` (read-only), from ``X-Latchkey-Meta``; None when it has none."""


class Verifier:
    """Asks Latchkey whether a presented credential is good, and remembers the good answers.

    ``header`` is the header the credential travels in, to Latchkey as it came to your service:
    ``authorization`` (its value is ``Bearer <token>``), or the one Latchkey's
    ``VERIFY_TOKEN_HEADER`` names (its whole value the token). A success is kept for at most
    ``cache_ttl`` seconds, never past the token's expiry, and never for a token Latchkey says
    must be checked online each time (a rate limit, a uses limit, networks); so a revocation
    reaches this verifier within ``cache_ttl`` at most. Refusals are never kept.
    """

    def __init__(
        self,
        base_url: str,
        header: str = "authorization",
        cache_ttl: float = 5.0,
        gateway_secret: Optional[str] = None,
        business_id: Optional[str] = None,
        timeout: float = 3.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_ttl < 0 or cache_ttl > 60:
            raise ValueError("cache_ttl is in seconds, from 0 (no cache) to 60")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if not re.match(r"^[A-Za-z0-9-]+$", header):
            raise ValueError("header must be a header name")
        # Latchkey would refuse every check (422): said here, at start, rather than per request.
        if business_id is not None and not _UUID.match(business_id):
            raise ValueError("business_id must be a uuid")
        self._transport = Transport(base_url, timeout, max_body_bytes=64 * 1024)
        self.header = header.lower()
        self.cache_ttl = cache_ttl
        self.business_id = business_id
        self.__gateway_secret = gateway_secret
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: "OrderedDict[Tuple[bytes, Tuple[str, ...]], Tuple[float, VerifiedToken]]" = (
            OrderedDict()
        )
        self.requests = 0
        """How many checks were sent to Latchkey (the rest were answered from memory)."""

    def __repr__(self) -> str:
        return (
            f"Verifier(base_url={self._transport.base_url!r}, header={self.header!r}, "
            f"cache_ttl={self.cache_ttl!r}, business_id={self.business_id!r})"
        )

    def verify(
        self,
        credential: Optional[str],
        required_scopes: Iterable[str] = (),
        client_address: Optional[str] = None,
    ) -> VerifiedToken:
        """The holder of ``credential`` (the presented header's value), or an exception:
        LatchkeyError with Latchkey's status, code and ``retry_after`` for a refusal (401, 403,
        429); VerifierUnavailable when Latchkey could not decide (a 5xx, a timeout, no answer),
        which the request must be answered 503 for, never passed.

        ``client_address`` is the address of whoever presented the credential, as your server
        saw it: sent as ``X-Forwarded-For``, which Latchkey believes only from an address its
        ``TRUST_PROXY`` names."""
        scopes = tuple(sorted(set(required_scopes)))
        for scope in scopes:
            if not _SCOPE.match(scope):
                raise ValueError(f"not a scope: {scope!r}")
        if not credential or not _CREDENTIAL.match(credential):
            raise LatchkeyError(
                401,
                "INVALID_TOKEN",
                "Invalid token",
                www_authenticate='Bearer error="invalid_token"',
            )
        # The key is the credential's hash: a dump of this process's memory holds no token.
        key = (hashlib.sha256(credential.encode("ascii")).digest(), scopes)
        cached = self._cached(key)
        if cached is not None:
            return cached
        headers = {self.header: credential}
        if self.business_id is not None:
            headers["X-Latchkey-Business"] = self.business_id
        if scopes:
            headers["X-Latchkey-Require-Scope"] = " ".join(scopes)
        if client_address is not None:
            headers["X-Forwarded-For"] = str(ipaddress.ip_address(client_address))
        verified, keep_for = self._answer(self._ask(headers))
        if keep_for > 0:
            self._remember(key, verified, keep_for)
        return verified

    def check(self) -> bool:
        """Whether Latchkey answers at ``base_url`` and takes this service's checks (its gateway
        secret): one check without a credential, to make once at start, so that a
        misconfiguration is known before the first request. True when it does; False when
        Latchkey cannot be asked now (a 5xx, a timeout, no answer); VerifierMisconfigured when
        it refuses this service. Latchkey counts it as one failed authentication."""
        try:
            response = self._ask({})
        except VerifierUnavailable:
            return False
        _raise_if_misconfigured(response)
        # Latchkey judged the missing credential: past this service's own checks. A 429 (its
        # failed-auth budget), a 5xx or an answer that is not Latchkey's says nothing of them.
        return response.status in (401, 403)

    def _ask(self, headers: dict) -> RawResponse:
        headers["Accept"] = "application/json"
        if self.__gateway_secret is not None:
            headers["X-Latchkey-Gateway-Secret"] = self.__gateway_secret
        with self._lock:
            self.requests += 1
        try:
            return self._transport.request("GET", "/auth/verify", headers)
        except TransportError as e:
            raise VerifierUnavailable(str(e)) from None

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def _answer(self, response: RawResponse) -> Tuple[VerifiedToken, float]:
        _raise_if_misconfigured(response)
        if response.status in _REFUSALS:
            raise error_from_response(response)
        if response.status != 204 and not 200 <= response.status < 300:
            # A 5xx, a 3xx we do not follow: no decision on the credential, so no answer that
            # could be taken for one.
            error = error_from_response(response)
            raise VerifierUnavailable(
                f"Latchkey answered {response.status} {error.code or ''}: {error.message}".strip(),
                status=response.status,
                code=error.code,
                retry_after=retry_after_of(response),
            )
        verified = _verified_of(response)
        if verified is None:
            raise VerifierUnavailable(
                f"Latchkey answered {response.status} without the X-Latchkey-* headers",
                status=response.status,
            )
        check_online = (response.header("x-latchkey-check-online") or "").strip()
        if check_online or verified.uses_remaining is not None:
            return verified, 0.0
        keep_for = self.cache_ttl
        if verified.expires_at is not None:
            keep_for = min(keep_for, verified.expires_at.timestamp() - time.time())
        return verified, keep_for

    def _cached(self, key) -> Optional[VerifiedToken]:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            deadline, verified = entry
            if self._clock() >= deadline:
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return verified

    def _remember(self, key, verified: VerifiedToken, keep_for: float) -> None:
        with self._lock:
            self._cache[key] = (self._clock() + keep_for, verified)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)


def _raise_if_misconfigured(response: RawResponse) -> None:
    """VerifierMisconfigured when Latchkey refused this service rather than the credential."""
    status = response.status
    if status not in (403, 404, 422):
        return
    code = error_from_response(response).code
    if status == 403 and code != "GATEWAY_NOT_TRUSTED":
        return
    answered = f"{status} {code}" if code else f"HTTP {status}"
    if status == 403:
        setting = "gateway_secret"
        line = (
            f"Latchkey refused this service's check ({answered}): set the Verifier's "
            "gateway_secret to Latchkey's VERIFY_GATEWAY_SECRET"
        )
    elif status == 404:
        setting = "base_url"
        line = (
            f"nothing answers GET /auth/verify at base_url ({answered}): set base_url to "
            "Latchkey's PUBLIC_BASE_URL"
        )
    else:
        setting = "business_id, required_scopes"
        line = f"Latchkey refused this service's check ({answered}): check {setting}"
    raise VerifierMisconfigured(
        status, code or f"HTTP {status}", setting, f"LATCHKEY_MISCONFIGURED: {line}"
    )


def _verified_of(response: RawResponse) -> Optional[VerifiedToken]:
    token_id = response.header("x-latchkey-token-id")
    identity_id = response.header("x-latchkey-identity-id")
    identity_type = response.header("x-latchkey-identity-type")
    scopes = response.header("x-latchkey-scopes")
    if not token_id or not identity_id or identity_type not in ("user", "machine"):
        return None
    # nginx drops an empty header and Caddy passes it empty: both mean no scope, never "any".
    scopes = scopes or ""
    uses = (response.header("x-latchkey-uses-remaining") or "").strip()
    try:
        expires_at = parse_time(response.header("x-latchkey-expires-at"))
        meta = _meta_of(response.header("x-latchkey-meta") or "")
    except ValueError:
        return None
    return VerifiedToken(
        token_id=token_id,
        business_id=response.header("x-latchkey-business-id") or None,
        identity_id=identity_id,
        identity_type=identity_type,
        scopes=None if scopes == "*" else tuple(s for s in scopes.split(" ") if s),
        expires_at=expires_at,
        uses_remaining=int(uses) if uses.isdigit() else None,
        meta=meta,
    )


def _meta_of(value: str) -> Optional[Mapping[str, Any]]:
    """``X-Latchkey-Meta`` (base64url of a JSON object) decoded; ValueError when it is not one."""
    if value == "":
        return None
    if len(value) > _MAX_META_CHARS or not _BASE64URL.match(value):
        raise ValueError("not a meta header")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        meta = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("not a meta header") from error
    if not isinstance(meta, dict):
        raise ValueError("not a meta header")
    # One answer is shared by every request while it is cached: no handler may change it.
    return MappingProxyType(meta)
