"""One HTTP exchange with Latchkey, on the standard library alone."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

USER_AGENT = "latchkey-python/0.1.0"


class TransportError(Exception):
    """Latchkey could not be reached, or its answer could not be read whole."""


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Dict[str, str]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib copies every header but Content-* onto the redirected request, so following a 3xx
    # would hand the bearer token to wherever it points: a redirect is answered as it stands.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


def _build_opener() -> urllib.request.OpenerDirector:
    # No ProxyHandler from the environment either: an HTTP(S)_PROXY a process inherits would see
    # every token in clear on a plain-http base URL. A proxy is the caller's to pass explicitly.
    return urllib.request.build_opener(_NoRedirect(), urllib.request.ProxyHandler({}))


def normalize_base_url(base_url: str) -> str:
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("base_url must be an absolute http(s) URL, such as http://127.0.0.1:3000")
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        raise ValueError("base_url must hold no query, fragment or credentials")
    return base_url.rstrip("/")


class Transport:
    """Sends requests to one base URL, bounded in time and in the size of what it reads."""

    def __init__(self, base_url: str, timeout: float, max_body_bytes: int = 16 * 1024 * 1024):
        self.base_url = normalize_base_url(base_url)
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.opener = _build_opener()

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
    ) -> RawResponse:
        req = urllib.request.Request(self.base_url + path, data=body, method=method)
        req.add_header("User-Agent", USER_AGENT)
        for name, value in headers.items():
            req.add_header(name, value)
        try:
            response = self.opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as answer:
            # A non-2xx answer is an answer: read it like any other, and let the caller decide.
            try:
                return self._read(answer.code, answer.headers, answer)
            finally:
                answer.close()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            raise TransportError(_describe(e)) from None
        with response:
            return self._read(response.status, response.headers, response)

    def _read(self, status: int, headers, stream) -> RawResponse:
        try:
            declared = headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise TransportError(f"the answer is larger than {self.max_body_bytes} bytes")
            body = stream.read(self.max_body_bytes + 1)
        except (OSError, http.client.HTTPException) as e:
            raise TransportError(_describe(e)) from None
        if len(body) > self.max_body_bytes:
            raise TransportError(f"the answer is larger than {self.max_body_bytes} bytes")
        return RawResponse(status, {k.lower(): v for k, v in headers.items()}, body)


def _describe(e: BaseException) -> str:
    # Only the kind of failure and its reason: the request (and so its Authorization header) is
    # never part of what an exception says.
    if isinstance(e, urllib.error.URLError):
        reason = e.reason
        if isinstance(reason, socket.timeout) or "timed out" in str(reason):
            return "Latchkey did not answer in time"
        return f"Latchkey could not be reached ({type(reason).__name__}: {reason})"
    if isinstance(e, socket.timeout) or "timed out" in str(e):
        return "Latchkey did not answer in time"
    return f"Latchkey could not be reached ({type(e).__name__})"
