"""Verifier against a live Latchkey, through a proxy that counts what it really asks."""

from __future__ import annotations

import time
import unittest
from datetime import datetime, timedelta, timezone

from _live import (
    BUSINESS,
    OWNER,
    URL,
    CannedServer,
    CountingProxy,
    bearer,
    closed_port_url,
    gateway_secret,
    owner,
    serving,
    unique,
    verifier,
)
from latchkey import LatchkeyError, VerifiedToken, VerifierMisconfigured, VerifierUnavailable


class VerifierAnswers(unittest.TestCase):
    def setUp(self):
        self.client = owner()
        self.proxy = serving(self, lambda: CountingProxy(URL()))

    def test_a_valid_token_is_answered_from_latchkeys_headers(self):
        issued = self.client.create_token(unique("v"), scopes=["orders:read"], expires_in_days=1)
        verified = verifier(self.proxy.url).verify(bearer(issued.token))
        self.assertIsInstance(verified, VerifiedToken)
        self.assertEqual(verified.token_id, issued.id)
        self.assertEqual(verified.business_id, BUSINESS())
        self.assertEqual(verified.identity_id, issued.view.identity_id)
        self.assertEqual(verified.identity_type, "user")
        self.assertEqual(verified.scopes, ("orders:read",))
        self.assertEqual(verified.expires_at, issued.view.expires_at)
        unrestricted = verifier(self.proxy.url).verify(bearer(OWNER()))
        self.assertIsNone(unrestricted.scopes)

    def test_an_unknown_token_is_401_and_a_malformed_one_never_leaves_the_process(self):
        v = verifier(self.proxy.url)
        with self.assertRaises(LatchkeyError) as unknown:
            v.verify(bearer("lk_" + "B" * 36))
        self.assertEqual((unknown.exception.status, unknown.exception.code), (401, "INVALID_TOKEN"))
        self.assertIn("invalid_token", unknown.exception.www_authenticate)
        self.assertEqual(len(self.proxy.calls), 1)
        for nothing in (None, "", "Bearer lk_x\x00y", "Bearer lk_\u00e9"):
            with self.assertRaises(LatchkeyError) as local:
                v.verify(nothing)
            self.assertEqual(local.exception.status, 401)
        self.assertEqual(len(self.proxy.calls), 1)

    def test_a_required_scope_the_token_lacks_is_403_with_the_challenge(self):
        issued = self.client.create_token(unique("s"), scopes=["orders:read"], expires_in_days=1)
        v = verifier(self.proxy.url)
        self.assertEqual(v.verify(bearer(issued.token), ["orders:read"]).token_id, issued.id)
        with self.assertRaises(LatchkeyError) as caught:
            v.verify(bearer(issued.token), ["billing:read"])
        e = caught.exception
        self.assertEqual((e.status, e.code), (403, "INSUFFICIENT_SCOPE"))
        self.assertIn('error="insufficient_scope"', e.www_authenticate)

    def test_a_token_of_another_business_is_403(self):
        issued = self.client.create_token(unique("b"), expires_in_days=1)
        elsewhere = verifier(self.proxy.url, business_id="00000000-0000-4000-8000-000000000000")
        with self.assertRaises(LatchkeyError) as caught:
            elsewhere.verify(bearer(issued.token))
        self.assertEqual((caught.exception.status, caught.exception.code), (403, "BUSINESS_MISMATCH"))

    def test_without_the_gateway_secret_latchkey_refuses_this_service_not_the_token(self):
        if gateway_secret() is None:
            self.skipTest("LATCHKEY_GATEWAY_SECRET is not set")
        wrong = "gw-secret-that-latchkey-never-set-7c2b"
        for secret in (None, wrong):
            v = verifier(self.proxy.url, gateway_secret=secret)
            with self.assertRaises(VerifierMisconfigured) as caught:
                v.verify(bearer(OWNER()))
            e = caught.exception
            said = (e.status, e.code, e.setting)
            self.assertEqual(said, (403, "GATEWAY_NOT_TRUSTED", "gateway_secret"))
            self.assertNotIsInstance(e, (LatchkeyError, VerifierUnavailable))
            for held in (OWNER(), gateway_secret(), wrong):
                self.assertNotIn(held, str(e))
                self.assertNotIn(held, repr(v))
            # check() at start says the same before any credential is presented.
            with self.assertRaises(VerifierMisconfigured) as at_start:
                v.check()
            self.assertEqual(at_start.exception.setting, "gateway_secret")
        self.assertTrue(verifier(self.proxy.url).check())

    def test_check_at_start_tells_a_wrong_base_url_from_an_outage(self):
        with self.assertRaises(VerifierMisconfigured) as caught:
            verifier(URL() + "/api/v1").check()
        self.assertEqual((caught.exception.status, caught.exception.setting), (404, "base_url"))
        self.assertIn("LATCHKEY_MISCONFIGURED", str(caught.exception))
        self.assertFalse(verifier(closed_port_url(), timeout=1).check())
        down = serving(self, lambda: CannedServer(502))
        self.assertFalse(verifier(down.url).check())

    def test_a_business_id_that_is_no_uuid_is_refused_at_construction(self):
        with self.assertRaises(ValueError):
            verifier(business_id="acme")

    def test_a_rate_limited_token_is_429_with_retry_after_and_never_cached(self):
        issued = self.client.create_token(unique("rl"), rate_limit_per_minute=1, expires_in_days=1)
        v = verifier(self.proxy.url, cache_ttl=30)
        v.verify(bearer(issued.token))
        with self.assertRaises(LatchkeyError) as caught:
            v.verify(bearer(issued.token))
        e = caught.exception
        self.assertEqual((e.status, e.code), (429, "RATE_LIMITED"))
        self.assertIsInstance(e.retry_after, int)
        self.assertGreater(e.retry_after, 0)
        self.assertEqual(len(self.proxy.calls), 2)


class VerifierCache(unittest.TestCase):
    def setUp(self):
        self.client = owner()
        self.proxy = serving(self, lambda: CountingProxy(URL()))

    def test_a_second_verify_within_the_ttl_makes_no_request(self):
        issued = self.client.create_token(unique("c"), scopes=["orders:read"], expires_in_days=1)
        v = verifier(self.proxy.url, cache_ttl=30)
        first = v.verify(bearer(issued.token))
        self.assertEqual(v.verify(bearer(issued.token)), first)
        self.assertEqual(len(self.proxy.calls), 1)
        # Another requirement is another question: a success without it proves nothing of it.
        v.verify(bearer(issued.token), ["orders:read"])
        self.assertEqual(len(self.proxy.calls), 2)
        self.assertEqual(v.requests, 2)

    def test_the_cache_holds_hashes_never_the_credential(self):
        issued = self.client.create_token(unique("h"), expires_in_days=1)
        v = verifier(self.proxy.url, cache_ttl=30)
        v.verify(bearer(issued.token))
        self.assertEqual(len(v._cache), 1)
        self.assertNotIn(issued.token, repr(v._cache))
        self.assertNotIn(issued.token.encode(), b"".join(k[0] for k in v._cache))

    def test_a_revoked_token_is_refused_once_its_cache_bound_has_passed(self):
        issued = self.client.create_token(unique("r"), expires_in_days=1)
        v = verifier(self.proxy.url, cache_ttl=1.0)
        v.verify(bearer(issued.token))
        self.client.revoke_token(issued.id, reason="gone")
        # Within the bound the answer may still be the cached one; past it, never.
        time.sleep(1.1)
        with self.assertRaises(LatchkeyError) as caught:
            v.verify(bearer(issued.token))
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "TOKEN_REVOKED"))
        self.assertEqual(len(self.proxy.calls), 2)

    def test_a_success_is_never_kept_past_the_tokens_expiry(self):
        soon = datetime.now(timezone.utc) + timedelta(seconds=3)
        issued = self.client.create_token(unique("e"), expires_at=soon)
        v = verifier(self.proxy.url, cache_ttl=60)
        v.verify(bearer(issued.token))
        time.sleep(max(0.0, (soon - datetime.now(timezone.utc)).total_seconds()) + 0.3)
        with self.assertRaises(LatchkeyError) as caught:
            v.verify(bearer(issued.token))
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "TOKEN_EXPIRED"))
        self.assertEqual(len(self.proxy.calls), 2)

    def test_the_cache_is_bounded_in_size(self):
        tokens = [self.client.create_token(unique("n"), expires_in_days=1) for _ in range(3)]
        v = verifier(self.proxy.url, cache_ttl=30, max_entries=2)
        for issued in tokens:
            v.verify(bearer(issued.token))
        self.assertEqual(len(v._cache), 2)
        v.verify(bearer(tokens[0].token))  # the least recent, forgotten first
        self.assertEqual(len(self.proxy.calls), 4)


class VerifierUnavailability(unittest.TestCase):
    def test_no_server_is_unavailable_never_a_pass(self):
        v = verifier(closed_port_url(), timeout=2)
        with self.assertRaises(VerifierUnavailable) as caught:
            v.verify(bearer(OWNER()))
        self.assertNotIn(OWNER(), str(caught.exception))

    def test_a_5xx_is_unavailable_with_its_status_and_retry_after(self):
        body = b'{"success":false,"message":"down","code":"STORAGE_UNAVAILABLE","detail":null,"request_id":null}'
        server = serving(self, lambda: CannedServer(503, {"Retry-After": "5"}, body))
        with self.assertRaises(VerifierUnavailable) as caught:
            verifier(server.url).verify(bearer(OWNER()))
        e = caught.exception
        self.assertEqual((e.status, e.code, e.retry_after), (503, "STORAGE_UNAVAILABLE", 5))

    def test_a_2xx_without_latchkeys_headers_is_no_pass(self):
        server = serving(self, lambda: CannedServer(204))
        with self.assertRaises(VerifierUnavailable):
            verifier(server.url).verify(bearer(OWNER()))

    def test_a_server_that_does_not_answer_in_time_is_unavailable(self):
        import socket

        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        self.addCleanup(silent.close)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with self.assertRaises(VerifierUnavailable):
            verifier(url, timeout=0.5).verify(bearer(OWNER()))
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main()


class VerifierMeta(unittest.TestCase):
    def test_a_tokens_meta_is_handed_over_read_only(self):
        issued = owner().create_token(unique("m"), expires_in_days=1, meta={"plan": "pro"})
        verified = verifier(URL()).verify(bearer(issued.token))
        self.assertEqual(dict(verified.meta), {"plan": "pro"})
        with self.assertRaises(TypeError):
            verified.meta["plan"] = "free"  # type: ignore[index]
        plain = owner().create_token(unique("n"), expires_in_days=1)
        self.assertIsNone(verifier(URL()).verify(bearer(plain.token)).meta)

    def test_a_meta_header_that_is_no_json_object_is_no_pass(self):
        for bad in ("%%%", "bm90IGpzb24", "WzEsMl0", "A" * 5463):
            headers = {
                "X-Latchkey-Token-Id": "0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10",
                "X-Latchkey-Identity-Id": "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
                "X-Latchkey-Identity-Type": "user",
                "X-Latchkey-Scopes": "*",
                "X-Latchkey-Meta": bad,
            }
            canned = serving(self, lambda: CannedServer(204, headers))
            with self.assertRaises(VerifierUnavailable):
                verifier(canned.url).verify(bearer("lk_" + "C" * 36))
