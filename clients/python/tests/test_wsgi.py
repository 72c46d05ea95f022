"""LatchkeyMiddleware in front of a WSGI app, served by wsgiref, against a live Latchkey."""

from __future__ import annotations

import http.client
import json
import threading
import unittest
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from _live import (
    BUSINESS,
    OWNER,
    QUICK_SHUTDOWN,
    bearer,
    closed_port_url,
    gateway_secret,
    owner,
    unique,
    verifier,
)
from latchkey import VerifierMisconfigured
from latchkey.wsgi import LatchkeyMiddleware


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


class _ThreadedWSGIServer(WSGIServer):
    daemon_threads = True


def echo_app(calls):
    """What the app saw: the verified token, and any X-Latchkey-* header that reached it."""

    def app(environ, start_response):
        calls.append(environ)
        token = environ.get("latchkey.token")
        seen = {
            "identity_id": getattr(token, "identity_id", None),
            "token_id": getattr(token, "token_id", None),
            "latchkey_headers": {k: v for k, v in environ.items() if k.startswith("HTTP_X_LATCHKEY")},
        }
        body = json.dumps(seen).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


class Middleware(unittest.TestCase):
    def serve(self, middleware):
        server = make_server("127.0.0.1", 0, middleware, _ThreadedWSGIServer, _QuietHandler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True
        )
        thread.start()

        def stop():
            server.shutdown()
            server.server_close()

        self.addCleanup(stop)
        return server.server_port

    def start(self, required_scopes=(), **options):
        self.calls = []
        options.setdefault("cache_ttl", 0)
        v = verifier(**options)
        self.middleware = LatchkeyMiddleware(echo_app(self.calls), v, required_scopes)
        self.port = self.serve(self.middleware)

    def get(self, path="/", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
        parsed = json.loads(body) if body else None
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, parsed

    def test_a_valid_token_reaches_the_app_as_its_verified_holder(self):
        self.start()
        me = owner().me()
        status, _, body = self.get(headers={"Authorization": bearer(OWNER())})
        self.assertEqual(status, 200)
        self.assertEqual(body["identity_id"], me.identity.id)
        self.assertEqual(body["token_id"], me.token.id)

    def test_a_forged_latchkey_header_never_reaches_the_app_as_the_identity(self):
        self.start()
        me = owner().me()
        forged = {
            "X-Latchkey-Identity-Id": "00000000-0000-4000-8000-000000000bad",
            "X-Latchkey-Token-Id": "00000000-0000-4000-8000-000000000bad",
            "X-Latchkey-Scopes": "*",
        }
        status, _, body = self.get(headers={"Authorization": bearer(OWNER()), **forged})
        self.assertEqual(status, 200)
        self.assertEqual(body["identity_id"], me.identity.id)
        self.assertEqual(body["latchkey_headers"], {})
        # A header named after the environ key lands under HTTP_*, never on latchkey.token.
        status, _, _ = self.get(headers={"Latchkey.Token": "forged", **forged})
        self.assertEqual(status, 401)
        self.assertEqual(len(self.calls), 1)

    def test_no_token_is_401_with_the_challenge_and_the_app_never_called(self):
        self.start()
        status, headers, body = self.get()
        self.assertEqual(status, 401)
        self.assertIn("Bearer", headers["www-authenticate"])
        self.assertEqual(body["success"], False)
        self.assertEqual(body["code"], "INVALID_TOKEN")
        self.assertEqual(self.calls, [])

    def test_a_token_in_the_query_string_is_ignored(self):
        self.start()
        query = urllib.parse.urlencode({"access_token": OWNER(), "token": OWNER()})
        status, _, _ = self.get("/?" + query)
        self.assertEqual(status, 401)
        self.assertEqual(self.calls, [])

    def test_a_revoked_token_is_401_with_latchkeys_code(self):
        self.start()
        client = owner()
        issued = client.create_token(unique("w"), expires_in_days=1)
        client.revoke_token(issued.id)
        status, headers, body = self.get(headers={"Authorization": bearer(issued.token)})
        self.assertEqual((status, body["code"]), (401, "TOKEN_REVOKED"))
        self.assertIn('error="invalid_token"', headers["www-authenticate"])
        self.assertNotIn(issued.token, json.dumps(body))
        self.assertEqual(self.calls, [])

    def test_a_required_scope_the_token_lacks_is_403_insufficient_scope(self):
        self.start(required_scopes=["billing:read"])
        issued = owner().create_token(unique("w"), scopes=["orders:read"], expires_in_days=1)
        status, headers, body = self.get(headers={"Authorization": bearer(issued.token)})
        self.assertEqual((status, body["code"]), (403, "INSUFFICIENT_SCOPE"))
        self.assertIn('error="insufficient_scope"', headers["www-authenticate"])
        self.assertEqual(self.calls, [])

    def test_a_rate_limited_token_is_429_with_retry_after(self):
        self.start()
        issued = owner().create_token(unique("w"), rate_limit_per_minute=1, expires_in_days=1)
        self.assertEqual(self.get(headers={"Authorization": bearer(issued.token)})[0], 200)
        status, headers, body = self.get(headers={"Authorization": bearer(issued.token)})
        self.assertEqual((status, body["code"]), (429, "RATE_LIMITED"))
        self.assertTrue(headers["retry-after"].isdigit())
        self.assertEqual(len(self.calls), 1)

    def test_latchkey_down_is_503_with_retry_after_said_once_in_the_log(self):
        with self.assertLogs("latchkey", level="ERROR") as logged:
            self.start(base_url=closed_port_url(), timeout=2)
            self.assertFalse(self.middleware.check())
            for _ in range(3):
                status, headers, body = self.get(headers={"Authorization": bearer(OWNER())})
                self.assertEqual((status, body["code"]), (503, "LATCHKEY_UNAVAILABLE"))
                self.assertEqual(headers["retry-after"], "5")
        self.assertEqual(self.calls, [])
        # The check at start and three requests: one line, an outage, not a setting to fix.
        self.assertEqual(len(logged.output), 1)
        self.assertIn("LATCHKEY_UNAVAILABLE", logged.output[0])

    def test_a_missing_or_wrong_gateway_secret_is_500_misconfigured_said_once(self):
        if gateway_secret() is None:
            self.skipTest("LATCHKEY_GATEWAY_SECRET is not set")
        wrong = "gw-secret-that-latchkey-never-set-7c2b"
        issued = owner().create_token(unique("w"), expires_in_days=1)
        for secret in (None, wrong):
            logs = self.assertLogs("latchkey", "ERROR")
            with self.subTest(gateway_secret=secret), logs as logged:
                self.start(gateway_secret=secret)
                with self.assertRaises(VerifierMisconfigured) as at_start:
                    self.middleware.check()
                self.assertEqual(at_start.exception.setting, "gateway_secret")
                for credential in (OWNER(), issued.token, "lk_" + "B" * 36, OWNER(), OWNER()):
                    status, headers, body = self.get(headers={"Authorization": bearer(credential)})
                    self.assertEqual((status, body["code"]), (500, "LATCHKEY_MISCONFIGURED"))
                    self.assertNotIn("retry-after", headers)
                self.assertEqual(self.calls, [])
            # One line for five requests: the code, what Latchkey said, and the setting to fix.
            self.assertEqual(len(logged.output), 1)
            line = logged.output[0]
            for said in ("LATCHKEY_MISCONFIGURED", "GATEWAY_NOT_TRUSTED", "gateway_secret"):
                self.assertIn(said, line)
            for held in (OWNER(), issued.token, gateway_secret(), wrong, "Bearer"):
                self.assertNotIn(held, line)

    def test_a_business_the_token_is_not_of_is_403(self):
        self.start(business_id="00000000-0000-4000-8000-000000000000")
        status, _, body = self.get(headers={"Authorization": bearer(OWNER())})
        self.assertEqual((status, body["code"]), (403, "BUSINESS_MISMATCH"))
        self.assertNotEqual(BUSINESS(), "00000000-0000-4000-8000-000000000000")


if __name__ == "__main__":
    unittest.main()
