"""LatchkeyMiddleware: a WSGI app behind which every request carries a verified token."""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .errors import LatchkeyError, VerifierUnavailable
from .verifier import Verifier

__all__ = ["ENVIRON_KEY", "LatchkeyMiddleware"]

ENVIRON_KEY = "latchkey.token"
"""Where the VerifiedToken is put. No request header can land here: a header becomes HTTP_*."""

_REASONS = {
    401: "401 Unauthorized",
    403: "403 Forbidden",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}

StartResponse = Callable[..., Any]


class LatchkeyMiddleware:
    """Verifies each request's credential before ``app`` sees it.

    The credential is read from the verifier's header alone (``Authorization`` by default), never
    from the query string. The app receives the VerifiedToken in ``environ["latchkey.token"]``,
    and none of the ``X-Latchkey-*`` headers the client sent: what a client writes in Latchkey's
    names is never taken for Latchkey's word. A refusal is answered as Latchkey answered it (401,
    403 or 429, its code, ``WWW-Authenticate`` and ``Retry-After``); Latchkey unreachable or
    failing is 503, and the request never reaches the app.
    """

    def __init__(
        self,
        app: Callable[[Dict[str, Any], StartResponse], Iterable[bytes]],
        verifier: Verifier,
        required_scopes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.required_scopes = tuple(required_scopes)
        self._environ_header = "HTTP_" + verifier.header.upper().replace("-", "_")

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
            return _refuse(start_response, e.status or 401, e.code, e.message, e.request_id, e)
        except VerifierUnavailable as e:
            return _refuse(start_response, 503, "VERIFIER_UNAVAILABLE", _UNAVAILABLE, None, e)
        environ[ENVIRON_KEY] = verified
        return self.app(environ, start_response)


# The service's own outage is not the caller's business: why is in the exception, for the logs.
_UNAVAILABLE = "The credential could not be checked; try again later"


def _address(value: Optional[str]) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _refuse(
    start_response: StartResponse,
    status: int,
    code: Optional[str],
    message: str,
    request_id: Optional[str],
    error: Exception,
) -> List[bytes]:
    if status not in _REASONS:
        # Any other refusal is the verifier's configuration (a 400, a 404): fail closed.
        status, code, message = 503, "VERIFIER_UNAVAILABLE", _UNAVAILABLE
    body = json.dumps(
        {
            "success": False,
            "message": message,
            "code": code,
            "detail": None,
            "request_id": request_id,
        }
    ).encode("utf-8")
    headers: List[Tuple[str, str]] = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    challenge = getattr(error, "www_authenticate", None)
    if status == 401:
        headers.append(("WWW-Authenticate", challenge or 'Bearer error="invalid_token"'))
    elif status == 403 and challenge:
        headers.append(("WWW-Authenticate", challenge))
    retry_after = getattr(error, "retry_after", None)
    if status in (429, 503) and retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    start_response(_REASONS[status], headers)
    return [body]
