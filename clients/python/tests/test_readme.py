"""The README's Python examples, run as written, in order, against the live Latchkey."""

from __future__ import annotations

import contextlib
import io
import os
import re
import unittest
from unittest import mock
from wsgiref.util import setup_testing_defaults

from _live import BUSINESS, OWNER, URL, gateway_secret, owner, unique

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
FENCE = re.compile(r"(<!-- not run: ([^>]*?) -->\n)?```(\w*)\n(.*?)```", re.S)
# What the examples read, and the tests give them: the live suite's own variables (_live.py).
EXAMPLE_VARIABLES = (
    "LATCHKEY_URL",
    "LATCHKEY_OWNER_TOKEN",
    "LATCHKEY_BUSINESS_ID",
    "LATCHKEY_GATEWAY_SECRET",
)


def blocks():
    """(language, reason it is not run or None, text) of each fenced block, in order."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    return [(m.group(3), m.group(2), m.group(4)) for m in FENCE.finditer(text)]


class Readme(unittest.TestCase):
    def test_every_block_is_run_or_says_why_not(self):
        unaccounted = [t[:40] for lang, why, t in blocks() if why is None and lang != "python"]
        self.assertEqual(unaccounted, [])
        self.assertTrue(all(why.strip() for _, why, _ in blocks() if why is not None))

    def test_the_examples_read_the_variables_the_tests_section_names(self):
        with open(README, encoding="utf-8") as f:
            text = f.read()
        code = "".join(t for lang, why, t in blocks() if lang == "python" and why is None)
        read = set(re.findall(r'os\.environ(?:\[|\.get\()"(LATCHKEY_[A-Z_]+)"', code))
        named = lambda section: set(re.findall(r"`(LATCHKEY_[A-Z_]+)`", section))  # noqa: E731
        intro = text.split("## The client", 1)[1].split("```", 1)[0]
        tests = text.split("\n## Tests\n", 1)[1]
        self.assertEqual(read, set(EXAMPLE_VARIABLES))
        self.assertEqual(named(intro), read)
        self.assertLessEqual(read, named(tests))
        # What the tests section names beyond them, the suite reads too.
        self.assertEqual(named(tests) - read, {"LATCHKEY_PLATFORM_TOKEN"})

    def test_the_python_examples_run_as_written(self):
        env = {
            "LATCHKEY_URL": URL(),
            "LATCHKEY_OWNER_TOKEN": OWNER(),
            "LATCHKEY_BUSINESS_ID": BUSINESS(),
        }
        secret = gateway_secret()
        if secret is not None:
            env["LATCHKEY_GATEWAY_SECRET"] = secret
        self.assertLessEqual(set(env), set(EXAMPLE_VARIABLES))
        runnable = [text for lang, why, text in blocks() if lang == "python" and why is None]
        self.assertGreaterEqual(len(runnable), 5)
        scope: dict = {"__name__": "readme"}
        printed = io.StringIO()
        with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(printed):
            for text in runnable:
                exec(compile(text, README, "exec"), scope)  # noqa: S102
        out = printed.getvalue()
        self.assertIn("owner ", out)
        self.assertIn("revoked moved to OIDC", out)
        self.assertIn("422 VALIDATION_ERROR ['body', 'name']", out)
        self.assertNotIn(OWNER(), out)

        # What the README's WSGI application answers: a token with the scope, one without.
        application = scope["application"]
        allowed = owner().create_token(unique("readme"), scopes=["orders:read"], expires_in_days=1)
        denied = owner().create_token(unique("readme"), scopes=["billing:read"], expires_in_days=1)
        self.assertEqual(call(application, allowed.token)[0], "200 OK")
        self.assertTrue(call(application, allowed.token)[1].startswith(b"orders of "))
        self.assertEqual(call(application, denied.token)[0], "403 Forbidden")
        self.assertEqual(call(application, None)[0], "401 Unauthorized")


def call(application, token):
    environ: dict = {}
    setup_testing_defaults(environ)
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    body = b"".join(application(environ, start_response))
    return answer["status"], body


if __name__ == "__main__":
    unittest.main()
