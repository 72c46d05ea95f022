"""What the live tests share: the server they drive, and small HTTP servers of their own.

The server is given in the environment (test/clients/processes/python-client.e2e-spec.ts sets it):
LATCHKEY_URL, LATCHKEY_OWNER_TOKEN (an owner's unrestricted token, never revoked by a test),
LATCHKEY_BUSINESS_ID, LATCHKEY_GATEWAY_SECRET (Latchkey's VERIFY_GATEWAY_SECRET, if it has one)
and LATCHKEY_PLATFORM_TOKEN (a platform admin's, to suspend a business of the tests' own).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import threading
import unittest
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from latchkey import LatchkeyClient, Verifier  # noqa: E402


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set: these tests drive a live Latchkey")
    return value


URL = lambda: env("LATCHKEY_URL")  # noqa: E731
OWNER = lambda: env("LATCHKEY_OWNER_TOKEN")  # noqa: E731
BUSINESS = lambda: env("LATCHKEY_BUSINESS_ID")  # noqa: E731
PLATFORM = lambda: env("LATCHKEY_PLATFORM_TOKEN")  # noqa: E731


def gateway_secret() -> Optional[str]:
    return os.environ.get("LATCHKEY_GATEWAY_SECRET") or None


def owner() -> LatchkeyClient:
    return LatchkeyClient(URL(), OWNER(), business_id=BUSINESS())


def verifier(base_url: Optional[str] = None, **options) -> Verifier:
    options.setdefault("gateway_secret", gateway_secret())
    options.setdefault("business_id", BUSINESS())
    return Verifier(base_url or URL(), **options)


def call(application, credential: Optional[str]) -> Tuple[str, dict, Optional[dict], bool]:
    """A WSGI app called in-process with this Authorization header: its status line, headers
    (names lowercased), JSON body, and whether the app behind the middleware was reached."""
    from wsgiref.util import setup_testing_defaults

    environ: dict = {}
    setup_testing_defaults(environ)
    if credential is not None:
        environ["HTTP_AUTHORIZATION"] = credential
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = {k.lower(): v for k, v in headers}

    body = b"".join(application(environ, start_response))
    reached = environ.get("latchkey.token") is not None
    parsed = json.loads(body) if body and not reached else None
    return answer["status"], answer["headers"], parsed, reached


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


_HELD: list = []


def closed_port_url() -> str:
    """An address where nothing listens, nor can: a port bound, never listened on, and held for
    the run. A port let go could be taken by a server another suite starts meanwhile."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return f"http://127.0.0.1:{s.getsockname()[1]}"


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass


# ``shutdown`` waits until ``serve_forever`` looks again, every ``poll_interval`` (half a second by
# default): every test that stopped a server of its own took that half second more.
QUICK_SHUTDOWN = {"poll_interval": 0.02}


class LocalServer:
    """A ThreadingHTTPServer on a free loopback port, stopped by ``close``."""

    def __init__(self, handler: type):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CountingProxy(LocalServer):
    """Passes every request on to Latchkey and counts them: what a verifier really asked."""

    def __init__(self, upstream: str):
        self.calls: List[Tuple[str, str]] = []
        target = urllib.parse.urlsplit(upstream)
        proxy = self

        class Handler(_Quiet):
            def do_GET(self):
                proxy.calls.append(("GET", self.path))
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("GET", self.path, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

        super().__init__(Handler)


class CannedServer(LocalServer):
    """Answers every request with one canned answer, and keeps the headers it was sent."""

    def __init__(self, status: int, headers: Optional[dict] = None, body: bytes = b""):
        self.seen: List[dict] = []
        canned = self

        class Handler(_Quiet):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                canned.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        super().__init__(Handler)


def serving(test: unittest.TestCase, make: Callable[[], LocalServer]) -> LocalServer:
    server = make()
    test.addCleanup(server.close)
    return server
