"""What a call to Latchkey raises instead of answering."""

from __future__ import annotations

import json
from typing import Any, Optional

from ._http import RawResponse

__all__ = ["LatchkeyError", "VerifierMisconfigured", "VerifierUnavailable"]


class LatchkeyError(Exception):
    """Latchkey refused the call (any non-2xx), or could not be reached (``status`` None).

    ``code``, ``message``, ``detail`` and ``request_id`` are the error envelope's
    (``{"success": false, "message", "code", "detail", "request_id"}``); ``detail`` is a string,
    or for a 422 the list of ``{"loc", "msg", "type", ...}``. ``retry_after`` is in seconds, from
    ``Retry-After`` (429, 503). None of them ever holds the token the call was made with.
    """

    def __init__(
        self,
        status: Optional[int],
        code: Optional[str],
        message: str,
        detail: Any = None,
        request_id: Optional[str] = None,
        retry_after: Optional[int] = None,
        www_authenticate: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.request_id = request_id
        self.retry_after = retry_after
        self.www_authenticate = www_authenticate

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{where} {self.code or ''}: {self.message}".replace("  ", " ")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class VerifierUnavailable(Exception):
    """The verifier could not get a decision from Latchkey: a 5xx, a timeout, no answer, or an
    answer it cannot read. The request it was checking must be answered 503, never passed.

    Deliberately not a LatchkeyError, so that no handler written for refusals (401, 403) takes an
    outage for one of them by accident.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        code: Optional[str] = None,
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after


class VerifierMisconfigured(Exception):
    """Latchkey refused this service itself, whatever the credential: a setting of the service is
    wrong. ``code`` is what Latchkey answered (``GATEWAY_NOT_TRUSTED``: a missing or wrong gateway
    secret; ``ROUTE_NOT_FOUND`` or ``HTTP 404``: nothing answers ``/auth/verify`` at the base URL;
    ``VALIDATION_ERROR``: a requirement it does not take), ``setting`` the argument to fix. The
    message names both, and never a secret or a credential.

    Neither a LatchkeyError (the caller did nothing wrong) nor a VerifierUnavailable (retrying
    will not help): a handler written for either lets it through as the 500 it is.
    """

    def __init__(self, status: int, code: str, setting: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.setting = setting
        self.message = message


def retry_after_of(response: RawResponse) -> Optional[int]:
    value = (response.header("retry-after") or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else None


def error_from_response(response: RawResponse) -> LatchkeyError:
    """The LatchkeyError a non-2xx answer stands for, read from its envelope when it has one."""
    body = _json_object(response.body)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    message = body.get("message") if isinstance(body.get("message"), str) else None
    # The RFC 7009 and RFC 7662 routes answer their own shape: {"error", "error_description"}.
    if code is None and isinstance(body.get("error"), str):
        code = body["error"]
        if message is None and isinstance(body.get("error_description"), str):
            message = body["error_description"]
    request_id = body.get("request_id")
    return LatchkeyError(
        status=response.status,
        code=code,
        message=message or f"Latchkey answered {response.status}",
        detail=body.get("detail"),
        request_id=request_id if isinstance(request_id, str) else response.header("x-request-id"),
        retry_after=retry_after_of(response),
        www_authenticate=response.header("www-authenticate"),
    )


def _json_object(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
