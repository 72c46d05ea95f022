"""The one error table of the clients (docs/clients.md), which the TypeScript middlewares answer
too: the WSGI middleware holds it word for word, and answers each of its rows against the live
Latchkey. The table is test/clients/middleware-errors.json, which the TypeScript suites and the
docs test read as well."""

from __future__ import annotations

import json
import logging
import os
import time
import unittest
from datetime import datetime, timedelta, timezone

from _live import (
    OWNER,
    PLATFORM,
    URL,
    CannedServer,
    bearer,
    call,
    closed_port_url,
    gateway_secret,
    owner,
    serving,
    unique,
    verifier,
)
from latchkey import LatchkeyClient
from latchkey.wsgi import ERRORS, LatchkeyMiddleware

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "..", "test", "clients", "middleware-errors.json")
OTHER_BUSINESS = "00000000-0000-4000-8000-000000000000"


def table():
    with open(TABLE, encoding="utf-8") as f:
        return json.load(f)


def passed(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"passed"]


class ErrorTable(unittest.TestCase):
    def test_the_middleware_holds_the_table_word_for_word(self):
        rows = table()
        self.assertEqual(list(ERRORS), [row["code"] for row in rows])
        self.assertEqual(dict(ERRORS), {r["code"]: (r["status"], r["message"]) for r in rows})
        self.assertTrue(all(row["when"].strip() for row in rows))

    def test_each_row_is_answered_as_the_table_says_and_the_app_never_runs(self):
        scenarios = self.scenarios()
        self.assertEqual(sorted(scenarios), sorted(row["code"] for row in table()))
        for row in table():
            with self.subTest(row["code"]):
                credential, middleware, passes, headers = scenarios[row["code"]]()
                for _ in range(passes):
                    self.assertEqual(call(middleware, credential)[0], "200 OK")
                status, seen, body, reached = call(middleware, credential)
                self.assertEqual(int(status.split()[0]), row["status"])
                self.assertFalse(reached)
                self.assertEqual(
                    body,
                    {
                        "success": False,
                        "message": row["message"],
                        "code": row["code"],
                        "detail": None,
                        "request_id": None,
                    },
                )
                self.assertEqual(seen["cache-control"], "no-store")
                if row["status"] == 401:
                    headers = {"www-authenticate": 'Bearer error="invalid_token"', **headers}
                for name in ("www-authenticate", "retry-after"):
                    expected = headers.get(name)
                    if callable(expected):
                        self.assertTrue(expected(seen.get(name)), f"{name}: {seen.get(name)!r}")
                    else:
                        self.assertEqual(seen.get(name), expected, name)

    def scenarios(self):
        """Each code: how it comes about, as (credential, middleware, requests that pass first,
        the headers the refusal carries)."""
        client = owner()

        def guarded(required_scopes=(), logger=None, **options):
            options.setdefault("cache_ttl", 0)
            return LatchkeyMiddleware(passed, verifier(**options), required_scopes, logger)

        # What the middleware logs is test_wsgi's to read: kept out of this test's output.
        quiet = logging.getLogger("latchkey.tests.quiet")
        quiet.propagate = False
        quiet.addHandler(logging.NullHandler())

        def token(**fields):
            fields.setdefault("expires_in_days", 1)
            return client.create_token(unique("row"), **fields)

        def expired():
            soon = datetime.now(timezone.utc) + timedelta(seconds=2)
            issued = token(expires_in_days=None, expires_at=soon)
            time.sleep(2.5)
            return bearer(issued.token), guarded(), 0, {}

        def revoked():
            issued = token()
            client.revoke_token(issued.id)
            return bearer(issued.token), guarded(), 0, {}

        def paused():
            issued = token()
            client.request("POST", f"/api/v1/tokens/{issued.id}/disable")
            return bearer(issued.token), guarded(), 0, {}

        def suspended():
            platform = LatchkeyClient(URL(), PLATFORM())
            made = platform.request(
                "POST",
                "/platform/v1/businesses",
                body={"name": unique("suspended"), "owner_email": f"{unique('o')}@example.test"},
            )
            platform.request("POST", f"/platform/v1/businesses/{made['business']['id']}/suspend")
            return bearer(made["first_token"]["token"]), guarded(business_id=None), 0, {}

        def foreign():
            canned = serving(
                self,
                lambda: CannedServer(
                    403,
                    {"Content-Type": "application/json"},
                    b'{"success": false, "code": "A_CODE_OF_TOMORROW", "detail": null}',
                ),
            )
            return bearer(OWNER()), guarded(base_url=canned.url), 0, {}

        return {
            "INVALID_TOKEN": lambda: (bearer("lk_" + "B" * 36), guarded(), 0, {}),
            "TOKEN_EXPIRED": expired,
            "TOKEN_REVOKED": revoked,
            "TOKEN_DISABLED": paused,
            "BUSINESS_MISMATCH": lambda: (
                bearer(OWNER()),
                guarded(business_id=OTHER_BUSINESS),
                0,
                {},
            ),
            "BUSINESS_SUSPENDED": suspended,
            "INSUFFICIENT_SCOPE": lambda: (
                bearer(token(scopes=["billing:read"]).token),
                guarded(["orders:read"]),
                0,
                {"www-authenticate": 'Bearer error="insufficient_scope", scope="orders:read"'},
            ),
            "IP_NOT_ALLOWED": lambda: (
                bearer(token(allowed_cidrs=["10.0.0.0/8"]).token),
                guarded(),
                0,
                {},
            ),
            "FORBIDDEN": foreign,
            "RATE_LIMITED": lambda: (
                bearer(token(rate_limit_per_minute=1).token),
                guarded(),
                1,
                {"retry-after": lambda v: v is not None and v.isdigit() and 1 <= int(v) <= 60},
            ),
            "USES_EXHAUSTED": lambda: (bearer(token(uses_limit=1).token), guarded(), 1, {}),
            # A wrong gateway secret; against a Latchkey that sets none, a base URL without
            # /auth/verify.
            "LATCHKEY_MISCONFIGURED": lambda: (
                bearer(OWNER()),
                guarded(logger=quiet, gateway_secret="gw-secret-that-latchkey-never-set-7c2b")
                if gateway_secret()
                else guarded(logger=quiet, base_url=URL() + "/api/v1"),
                0,
                {},
            ),
            "LATCHKEY_UNAVAILABLE": lambda: (
                bearer(OWNER()),
                guarded(logger=quiet, base_url=closed_port_url(), timeout=1),
                0,
                {"retry-after": "5"},
            ),
        }


if __name__ == "__main__":
    unittest.main()
