"""LatchkeyClient: the API's main flows as typed methods."""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, TypeVar, Union

from ._http import Transport, TransportError
from .errors import LatchkeyError, error_from_response
from .models import AuditEvent, Introspection, IssuedToken, Me, Page, TokenView

__all__ = ["LatchkeyClient"]

T = TypeVar("T")
Query = Mapping[str, Union[None, str, int, datetime, Iterable[str]]]

# What http.client would refuse in a header, with the header's value (the token) in its message:
# refused here first, with a message that names no part of it.
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")


def _header_value(value: str, what: str) -> str:
    if not isinstance(value, str) or not _HEADER_SAFE.match(value):
        raise ValueError(f"{what} must be a non-empty string of printable ASCII without spaces")
    return value


class LatchkeyClient:
    """Calls Latchkey as one token, in one business (``x-business-id``) when given.

    Every method returns the answer's data as dataclasses, or raises LatchkeyError: for every
    non-2xx (with the server's code, message, detail and request id), for a 5xx, and when
    Latchkey cannot be reached or its answer cannot be read (``status`` None). No method returns
    a partial result. The token is sent in ``Authorization`` alone: never in a URL, a repr or an
    exception.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        business_id: Optional[str] = None,
        timeout: float = 10,
    ) -> None:
        self._transport = Transport(base_url, timeout)
        self.__token = _header_value(token, "token")
        self.business_id = (
            None if business_id is None else _header_value(business_id, "business_id")
        )

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def __repr__(self) -> str:
        return f"LatchkeyClient(base_url={self.base_url!r}, business_id={self.business_id!r})"

    # --- the caller ---------------------------------------------------------------------------

    def me(self) -> Me:
        return Me.from_dict(self._data("GET", "/api/v1/me"))

    # --- tokens -------------------------------------------------------------------------------

    def create_token(
        self,
        name: str,
        scopes: Optional[List[str]] = None,
        expires_in_days: Optional[int] = None,
        expires_at: Optional[Union[datetime, str]] = None,
        identity_id: Optional[str] = None,
        **fields: Any,
    ) -> IssuedToken:
        """Issues a token; its secret is in the answer this once. ``scopes`` None (left out):
        unrestricted within the holder's role, never beyond the calling token's. Any other body
        field of ``POST /api/v1/tokens`` (``rate_limit_per_minute``, ``audiences``, ...) may be
        given by name."""
        body: Dict[str, Any] = {"name": name, **fields}
        if scopes is not None:
            body["scopes"] = list(scopes)
        if expires_in_days is not None:
            body["expires_in_days"] = expires_in_days
        if expires_at is not None:
            body["expires_at"] = _time(expires_at)
        if identity_id is not None:
            body["identity_id"] = identity_id
        return IssuedToken.from_dict(self._data("POST", "/api/v1/tokens", body=body))

    def list_tokens(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        identity_id: Optional[str] = None,
        name: Optional[str] = None,
    ) -> Page[TokenView]:
        query = {
            "status": status,
            "limit": limit,
            "cursor": cursor,
            "identity_id": identity_id,
            "name": name,
        }
        return self._page("/api/v1/tokens", query, TokenView.from_dict)

    def iter_tokens(
        self,
        status: Optional[str] = None,
        page_size: Optional[int] = None,
        identity_id: Optional[str] = None,
        name: Optional[str] = None,
    ) -> Iterator[TokenView]:
        """Every token the list holds, page after page, asking for the next page as it goes."""
        return self._iterate(
            lambda cursor: self.list_tokens(status, page_size, cursor, identity_id, name)
        )

    def get_token(self, token_id: str) -> TokenView:
        return TokenView.from_dict(self._data("GET", f"/api/v1/tokens/{_segment(token_id)}"))

    def revoke_token(self, token_id: str, reason: Optional[str] = None) -> TokenView:
        """Revokes by id. Revoking again answers the original revocation, unchanged."""
        body = {} if reason is None else {"reason": reason}
        path = f"/api/v1/tokens/{_segment(token_id)}/revoke"
        return TokenView.from_dict(self._data("POST", path, body=body))

    def rotate_token(
        self,
        token_id: str,
        grace_period_seconds: Optional[int] = None,
        expires_at: Optional[Union[datetime, str]] = None,
    ) -> IssuedToken:
        """Issues the successor (same name and scopes) and revokes the old token now, or lets it
        expire after the grace period."""
        body: Dict[str, Any] = {}
        if grace_period_seconds is not None:
            body["grace_period_seconds"] = grace_period_seconds
        if expires_at is not None:
            body["expires_at"] = _time(expires_at)
        path = f"/api/v1/tokens/{_segment(token_id)}/rotate"
        return IssuedToken.from_dict(self._data("POST", path, body=body))

    def introspect(self, token: str) -> Introspection:
        """RFC 7662; the calling token needs the ``introspect`` scope. The token asked about
        goes in the body, never in the URL."""
        response = self._send("POST", "/oauth2/introspect", body={"token": token})
        return Introspection.from_dict(self._json_object(response))

    # --- audit --------------------------------------------------------------------------------

    def list_audit_events(
        self,
        action: Optional[Union[str, Iterable[str]]] = None,
        actor_id: Optional[str] = None,
        target_id: Optional[str] = None,
        outcome: Optional[str] = None,
        from_: Optional[Union[datetime, str]] = None,
        to: Optional[Union[datetime, str]] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[AuditEvent]:
        """Newest first. ``from_`` is inclusive, ``to`` exclusive; ``action`` may be a list."""
        query: Dict[str, Any] = {
            "action": [action] if isinstance(action, str) else action,
            "actor_id": actor_id,
            "target_id": target_id,
            "outcome": outcome,
            "from": from_,
            "to": to,
            "limit": limit,
            "cursor": cursor,
        }
        return self._page("/api/v1/audit-events", query, AuditEvent.from_dict)

    def iter_audit_events(self, page_size: Optional[int] = None, **filters: Any) -> Iterator[AuditEvent]:
        return self._iterate(
            lambda cursor: self.list_audit_events(limit=page_size, cursor=cursor, **filters)
        )

    # --- any other route ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Optional[Mapping[str, Any]] = None,
        query: Optional[Query] = None,
    ) -> Any:
        """Any route, for what has no method here: the envelope's ``data``, as parsed JSON."""
        if not path.startswith("/"):
            raise ValueError("path must start with /")
        return self._data(method, path, body=body, query=query)

    # --- plumbing -----------------------------------------------------------------------------

    def _iterate(self, fetch: Callable[[Optional[str]], Page[T]]) -> Iterator[T]:
        cursor: Optional[str] = None
        while True:
            page = fetch(cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def _page(self, path: str, query: Query, build: Callable[[Dict[str, Any]], T]) -> Page[T]:
        data = self._data("GET", path, query=query)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self._unreadable(200, "a list answer without items")
        return Page(items=[build(item) for item in items], next_cursor=data.get("next_cursor"))

    def _data(
        self,
        method: str,
        path: str,
        body: Optional[Mapping[str, Any]] = None,
        query: Optional[Query] = None,
    ) -> Any:
        response = self._send(method, path, body=body, query=query)
        envelope = self._json_object(response)
        if envelope.get("success") is not True or "data" not in envelope:
            raise self._unreadable(response.status, "an answer outside the envelope")
        return envelope["data"]

    def _send(self, method, path, body=None, query=None):
        headers = {"Authorization": f"Bearer {self.__token}", "Accept": "application/json"}
        if self.business_id is not None:
            headers["x-business-id"] = self.business_id
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body, default=_json_default).encode("utf-8")
        try:
            response = self._transport.request(method, path + _query(query), headers, payload)
        except TransportError as e:
            raise LatchkeyError(None, "UNREACHABLE", str(e)) from None
        if not 200 <= response.status < 300:
            raise error_from_response(response)
        return response

    def _json_object(self, response) -> Dict[str, Any]:
        try:
            value = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self._unreadable(response.status, "an answer that is not JSON") from None
        if not isinstance(value, dict):
            raise self._unreadable(response.status, "an answer that is not a JSON object")
        return value

    @staticmethod
    def _unreadable(status: int, what: str) -> LatchkeyError:
        return LatchkeyError(status, "INVALID_RESPONSE", f"Latchkey answered {what}")


def _segment(value: str) -> str:
    # An id is one path segment: "../" or "?" in it must not reach another route.
    if not isinstance(value, str) or value == "":
        raise ValueError("an id must be a non-empty string")
    return urllib.parse.quote(value, safe="")


def _time(value: Union[datetime, str]) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _query(query: Optional[Query]) -> str:
    if not query:
        return ""
    pairs = []
    for key, value in query.items():
        if value is None:
            continue
        values = [value] if isinstance(value, (str, int, datetime)) else list(value)
        pairs.extend((key, _time(v) if isinstance(v, datetime) else str(v)) for v in values)
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""
