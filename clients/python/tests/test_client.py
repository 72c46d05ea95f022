"""LatchkeyClient against a live Latchkey: each flow, and each way a call fails."""

from __future__ import annotations

import json
import unittest
import uuid

from _live import (
    BUSINESS,
    OWNER,
    URL,
    CannedServer,
    closed_port_url,
    owner,
    serving,
    unique,
)
from latchkey import IssuedToken, LatchkeyClient, LatchkeyError, Me, Page, TokenView


class ClientFlows(unittest.TestCase):
    def setUp(self):
        self.client = owner()

    def test_me_names_the_owner_in_its_business(self):
        me = self.client.me()
        self.assertIsInstance(me, Me)
        self.assertEqual(me.role, "owner")
        self.assertEqual(me.business.id, BUSINESS())
        self.assertEqual(me.token.business_id, BUSINESS())
        self.assertEqual(me.token.status, "active")

    def test_create_then_get_answers_the_same_view_without_the_secret(self):
        issued = self.client.create_token(unique("ci"), scopes=["deploy:write"], expires_in_days=1)
        self.assertIsInstance(issued, IssuedToken)
        self.assertRegex(issued.token, r"^lk_[0-9A-Za-z]{36}$")
        self.assertEqual(issued.view.scopes, ["deploy:write"])
        self.assertIsNotNone(issued.view.expires_at.tzinfo)
        fetched = self.client.get_token(issued.id)
        self.assertIsInstance(fetched, TokenView)
        self.assertEqual(fetched.id, issued.id)
        self.assertEqual(fetched.jti, issued.view.jti)
        self.assertNotIn("token", fetched.extra)
        self.assertNotIn(issued.token, repr(issued))
        self.assertNotIn(issued.token, repr(fetched))

    def test_list_pages_with_cursors_and_iterates_over_every_page(self):
        prefix = unique("page")
        made = {self.client.create_token(f"{prefix}-{i}", expires_in_days=1).id for i in range(5)}
        seen, cursor, pages = [], None, 0
        while True:
            page = self.client.list_tokens(limit=2, cursor=cursor, name=prefix)
            self.assertIsInstance(page, Page)
            self.assertLessEqual(len(page.items), 2)
            seen += [t.id for t in page.items]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), sorted(made))
        self.assertEqual(len(seen), len(set(seen)))
        every = [t.id for t in self.client.iter_tokens(name=prefix, page_size=2)]
        self.assertEqual(sorted(every), sorted(made))

    def test_list_filters_by_status(self):
        prefix = unique("status")
        kept = self.client.create_token(f"{prefix}-kept", expires_in_days=1)
        gone = self.client.create_token(f"{prefix}-gone", expires_in_days=1)
        self.client.revoke_token(gone.id)
        revoked = self.client.list_tokens(status="revoked", name=prefix).items
        active = self.client.list_tokens(status="active", name=prefix).items
        self.assertEqual([t.id for t in revoked], [gone.id])
        self.assertEqual([t.id for t in active], [kept.id])

    def test_revoke_keeps_the_first_revocation_when_revoked_again(self):
        issued = self.client.create_token(unique("revoke"), expires_in_days=1)
        first = self.client.revoke_token(issued.id, reason="leaked in a log")
        self.assertEqual(first.status, "revoked")
        self.assertEqual(first.revocation_reason, "leaked in a log")
        self.assertIsNotNone(first.revoked_at)
        again = self.client.revoke_token(issued.id, reason="twice")
        self.assertEqual(again.revocation_reason, "leaked in a log")
        self.assertEqual(again.revoked_at, first.revoked_at)
        with self.assertRaises(LatchkeyError) as refused:
            LatchkeyClient(URL(), issued.token, business_id=BUSINESS()).me()
        self.assertEqual((refused.exception.status, refused.exception.code), (401, "TOKEN_REVOKED"))

    def test_rotate_issues_a_working_successor_and_revokes_the_old_token(self):
        old = self.client.create_token(unique("rotate"), scopes=["deploy:write"], expires_in_days=1)
        new = self.client.rotate_token(old.id)
        self.assertNotEqual(new.token, old.token)
        self.assertEqual(new.view.rotated_from_id, old.id)
        self.assertEqual(new.view.scopes, ["deploy:write"])
        self.assertEqual(self.client.get_token(old.id).status, "revoked")
        me = LatchkeyClient(URL(), new.token, business_id=BUSINESS()).me()
        self.assertEqual(me.token.id, new.id)
        with self.assertRaises(LatchkeyError) as twice:
            self.client.rotate_token(old.id)
        self.assertEqual(twice.exception.status, 409)
        self.assertIn(twice.exception.code, ("TOKEN_ALREADY_ROTATED", "TOKEN_NOT_ACTIVE"))

    def test_rotate_with_a_grace_period_leaves_the_old_token_working_until_it_ends(self):
        old = self.client.create_token(unique("grace"), expires_in_days=1)
        self.client.rotate_token(old.id, grace_period_seconds=3600)
        still = LatchkeyClient(URL(), old.token, business_id=BUSINESS()).me()
        self.assertEqual(still.token.id, old.id)

    def test_introspect_answers_active_for_a_live_token_and_only_false_for_a_revoked_one(self):
        issued = self.client.create_token(unique("intro"), scopes=["orders:read"], expires_in_days=1)
        live = self.client.introspect(issued.token)
        self.assertTrue(live.active)
        self.assertEqual(live.scopes, ("orders:read",))
        self.assertEqual(live.jti, issued.view.jti)
        self.assertEqual(live.business_id, BUSINESS())
        self.client.revoke_token(issued.id)
        dead = self.client.introspect(issued.token)
        self.assertFalse(dead.active)
        self.assertIsNone(dead.jti)

    def test_audit_events_name_the_revocation(self):
        issued = self.client.create_token(unique("audit"), expires_in_days=1)
        self.client.revoke_token(issued.id, reason="audit me")
        page = self.client.list_audit_events(action="token.revoked", target_id=issued.id)
        self.assertEqual(len(page.items), 1)
        event = page.items[0]
        self.assertEqual(event.action, "token.revoked")
        self.assertEqual(event.outcome, "success")
        self.assertEqual(event.target["id"], issued.id)
        self.assertEqual(event.metadata.get("reason"), "audit me")
        both = list(self.client.iter_audit_events(target_id=issued.id, page_size=1))
        self.assertEqual({e.action for e in both}, {"token.created", "token.revoked"})


class ClientErrors(unittest.TestCase):
    def setUp(self):
        self.client = owner()

    def test_a_422_carries_the_envelope_and_its_detail(self):
        with self.assertRaises(LatchkeyError) as caught:
            self.client.create_token("", scopes=["Not A Scope"])
        e = caught.exception
        self.assertEqual((e.status, e.code), (422, "VALIDATION_ERROR"))
        self.assertIsInstance(e.request_id, str)
        locs = [tuple(d["loc"]) for d in e.detail]
        self.assertIn(("body", "name"), locs)
        self.assertTrue(all("msg" in d and "type" in d for d in e.detail))

    def test_a_401_names_the_code_and_never_the_token(self):
        bogus = "lk_" + "A" * 36
        client = LatchkeyClient(URL(), bogus, business_id=BUSINESS())
        with self.assertRaises(LatchkeyError) as caught:
            client.me()
        e = caught.exception
        self.assertEqual((e.status, e.code), (401, "INVALID_TOKEN"))
        self.assertIn("invalid_token", e.www_authenticate)
        for text in (str(e), repr(e), repr(client), json.dumps(e.detail)):
            self.assertNotIn(bogus, text)

    def test_a_token_of_another_business_is_403_and_an_unknown_id_404(self):
        elsewhere = LatchkeyClient(URL(), OWNER(), business_id=str(uuid.uuid4()))
        with self.assertRaises(LatchkeyError) as other:
            elsewhere.me()
        self.assertEqual(other.exception.status, 403)
        with self.assertRaises(LatchkeyError) as missing:
            self.client.get_token(str(uuid.uuid4()))
        self.assertEqual(missing.exception.status, 404)

    def test_an_id_cannot_reach_another_route(self):
        with self.assertRaises(LatchkeyError) as caught:
            self.client.get_token("../../me")
        self.assertEqual(caught.exception.status, 422)

    def test_no_server_raises_with_no_status_and_no_token(self):
        client = LatchkeyClient(closed_port_url(), OWNER(), business_id=BUSINESS(), timeout=2)
        with self.assertRaises(LatchkeyError) as caught:
            client.me()
        e = caught.exception
        self.assertEqual((e.status, e.code), (None, "UNREACHABLE"))
        self.assertNotIn(OWNER(), str(e) + repr(e))

    def test_a_5xx_raises_with_its_envelope_and_retry_after(self):
        body = b'{"success":false,"message":"Storage unavailable","code":"STORAGE_UNAVAILABLE","detail":null,"request_id":"r-1"}'
        server = serving(self, lambda: CannedServer(503, {"Retry-After": "7"}, body))
        with self.assertRaises(LatchkeyError) as caught:
            LatchkeyClient(server.url, OWNER(), business_id=BUSINESS()).me()
        e = caught.exception
        self.assertEqual((e.status, e.code, e.retry_after, e.request_id), (503, "STORAGE_UNAVAILABLE", 7, "r-1"))

    def test_a_2xx_outside_the_envelope_is_no_result(self):
        server = serving(self, lambda: CannedServer(200, {"Content-Type": "text/html"}, b"<html>"))
        with self.assertRaises(LatchkeyError) as caught:
            LatchkeyClient(server.url, OWNER(), business_id=BUSINESS()).list_tokens()
        self.assertEqual((caught.exception.status, caught.exception.code), (200, "INVALID_RESPONSE"))

    def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(self):
        elsewhere = serving(self, lambda: CannedServer(200, {}, b"{}"))
        hop = serving(self, lambda: CannedServer(307, {"Location": elsewhere.url + "/steal"}))
        with self.assertRaises(LatchkeyError) as caught:
            LatchkeyClient(hop.url, OWNER(), business_id=BUSINESS()).me()
        self.assertEqual(caught.exception.status, 307)
        self.assertEqual(len(hop.seen), 1)
        self.assertEqual(hop.seen[0]["authorization"], f"Bearer {OWNER()}")
        self.assertEqual(elsewhere.seen, [])

    def test_a_token_that_cannot_be_a_header_is_refused_without_echoing_it(self):
        with self.assertRaises(ValueError) as caught:
            LatchkeyClient(URL(), "lk_secret\r\nX-Evil: 1")
        self.assertNotIn("lk_secret", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
