"""LatchkeyMiddleware: a WSGI app behind which every request carries a verified token."""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from types import MappingProxyType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from .errors import LatchkeyError, VerifierMisconfigured, VerifierUnavailable
from .verifier import Verifier

__all__ = ["ENVIRON_KEY", "ERRORS", "LatchkeyMiddleware"]

ENVIRON_KEY = "latchkey.token"
"""Where the VerifiedToken is put. No request header can land here: a header becomes HTTP_*."""

ERRORS: Mapping[str, Tuple[int, str]] = MappingProxyType(
    {
        "INVALID_TOKEN": (401, "Invalid token"),
        "TOKEN_EXPIRED": (401, "Token has expired"),
        "TOKEN_REVOKED": (401, "Token has been revoked"),
        "TOKEN_DISABLED": (401, "Token has been disabled"),
        "BUSINESS_MISMATCH": (403, "The token was not issued for this business"),
        "BUSINESS_SUSPENDED": (403, "This business is suspended"),
        "INSUFFICIENT_SCOPE": (403, "This token lacks the scope for this action"),
        "IP_NOT_ALLOWED": (403, "This token may not be used from this address"),
        "FORBIDDEN": (403, "Forbidden"),
        "RATE_LIMITED": (429, "Too many requests, retry later"),
        "USES_EXHAUSTED": (429, "This token has no uses left"),
        "LATCHKEY_MISCONFIGURED": (500, "Tokens cannot be checked: this service is misconfigured"),
        "LATCHKEY_UNAVAILABLE": (503, "Tokens cannot be checked now; retry the request"),
    }
)
"""Every code the middleware answers, with its status and message: docs/clients.md's table,
which the TypeScript middlewares answer word for word. Latchkey's codes keep Latchkey's
messages; the last two are the service's own, about Latchkey rather than the token."""

_REASONS = {
    401: "401 Unauthorized",
    403: "403 Forbidden",
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}
# A refusal whose code this client does not know stands for its status's general code.
_BY_STATUS = {401: "INVALID_TOKEN", 403: "FORBIDDEN", 429: "RATE_LIMITED"}
_INVALID_CHALLENGE = 'Bearer error="invalid_token"'
# How long a caller is told to wait while Latchkey cannot be asked, or limits without saying.
_RETRY_SECONDS = "5"
# The same problem is logged at most once in this long.
_REPORT_EVERY_SECONDS = 60.0

StartResponse = Callable[..., Any]


class LatchkeyMiddleware:
    """Verifies each request's credential before ``app`` sees it.

    The credential is read from the verifier's header alone (``Authorization`` by default), never
    from the query string. The app receives the VerifiedToken in ``environ["latchkey.token"]``,
    and none of the ``X-Latchkey-*`` headers the client sent: what a client writes in Latchkey's
    names is never taken for Latchkey's word. A refusal is answered with a code of ``ERRORS``
    (401, 403 or 429 for the token); Latchkey refusing this service itself (a missing or wrong
    gateway secret) is 500 ``LATCHKEY_MISCONFIGURED``; Latchkey unreachable or failing is 503
    ``LATCHKEY_UNAVAILABLE``, with ``Retry-After``. Either of the last two is logged (``logger``,
    by default ``logging.getLogger("latchkey")``) at most once a minute, with what to fix and
    never a credential. The request never reaches the app.
    """

    def __init__(
        self,
        app: Callable[[Dict[str, Any], StartResponse], Iterable[bytes]],
        verifier: Verifier,
        required_scopes: Iterable[str] = (),
        logger: Optional[logging.Logger] = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.required_scopes = tuple(required_scopes)
        self._environ_header = "HTTP_" + verifier.header.upper().replace("-", "_")
        self._report = _Report(logger or logging.getLogger("latchkey"))

    def check(self) -> bool:
        """Once, at start: True when Latchkey takes this service's checks, False (and logged)
        when it cannot be asked now; VerifierMisconfigured, naming the setting to fix, when it
        refuses this service. See ``Verifier.check``."""
        if self.verifier.check():
            return True
        self._report.unavailable(None)
        return False

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Before anything else, so that not even a refusal path leaves a forged one behind.
        for name in [k for k in environ if k.startswith("HTTP_X_LATCHKEY_")]:
            del environ[name]
        environ.pop(ENVIRON_KEY, None)
        credential = environ.get(self._environ_header)
        try:
            verified = self.verifier.verify(
                credential,
                self.required_scopes,
                client_address=_address(environ.get("REMOTE_ADDR")),
            )
        except LatchkeyError as e:
            return self._refuse_token(start_response, e)
        except VerifierMisconfigured as e:
            self._report.misconfigured(e)
            return _refuse(start_response, "LATCHKEY_MISCONFIGURED", {})
        except VerifierUnavailable as e:
            self._report.unavailable(e.status)
            return _refuse(start_response, "LATCHKEY_UNAVAILABLE", {"Retry-After": _RETRY_SECONDS})
        environ[ENVIRON_KEY] = verified
        return self.app(environ, start_response)

    def _refuse_token(self, start_response: StartResponse, e: LatchkeyError) -> List[bytes]:
        code = e.code if e.code in ERRORS and ERRORS[e.code][0] < 500 else None
        code = code or _BY_STATUS.get(e.status or 401, "INVALID_TOKEN")
        headers: Dict[str, str] = {}
        if code == "INSUFFICIENT_SCOPE":
            # RFC 6750 section 3: the scopes needed (a scope's charset needs no escaping).
            scopes = " ".join(self.required_scopes)
            headers["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{scopes}"'
        elif code == "RATE_LIMITED":
            headers["Retry-After"] = str(e.retry_after or _RETRY_SECONDS)
        elif code == "USES_EXHAUSTED" and e.retry_after is not None:
            # A spent uses limit waits for its refill, and says when only if one is due.
            headers["Retry-After"] = str(e.retry_after)
        return _refuse(start_response, code, headers)


class _Report:
    """What the middleware tells its operators, each problem at most once a minute (with how
    many requests met it meanwhile), so a refusal on every request never floods the log."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._last: Dict[str, List[float]] = {}

    def misconfigured(self, e: VerifierMisconfigured) -> None:
        self._log(f"misconfigured {e.code}", f"{e.message}; requests are answered 500 until then")

    def unavailable(self, status: Optional[int]) -> None:
        why = f"HTTP {status}" if status is not None else "no answer"
        self._log(
            "unavailable",
            f"LATCHKEY_UNAVAILABLE: Latchkey could not be asked ({why}); requests are answered "
            "503 with Retry-After until it answers",
        )

    def _log(self, key: str, line: str) -> None:
        now = time.monotonic()
        with self._lock:
            seen = self._last.get(key)
            if seen is not None and now - seen[0] < _REPORT_EVERY_SECONDS:
                seen[1] += 1
                return
            more = f" ({int(seen[1])} more since the last report)" if seen and seen[1] else ""
            self._last[key] = [now, 0]
        self._logger.error("%s%s", line, more)


def _address(value: Optional[str]) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _refuse(start_response: StartResponse, code: str, extra: Dict[str, str]) -> List[bytes]:
    status, message = ERRORS[code]
    body = json.dumps(
        {"success": False, "message": message, "code": code, "detail": None, "request_id": None}
    ).encode("utf-8")
    headers: List[Tuple[str, str]] = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    if status == 401:
        headers.append(("WWW-Authenticate", _INVALID_CHALLENGE))
    headers.extend(extra.items())
    start_response(_REASONS[status], headers)
    return [body]
