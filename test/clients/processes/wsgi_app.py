"""The scratch WSGI app of python-package.e2e-spec.ts: the installed latchkey package, guarding two
routes with its middleware, served by wsgiref on PORT with the Latchkey at LATCHKEY_URL.

/whoami needs a token; /orders needs one allowing orders:read; /where, open, says which latchkey
was imported (the one pip installed, not the repository's).
"""

import json
import os
from wsgiref.simple_server import WSGIRequestHandler, make_server

import latchkey
from latchkey import Verifier
from latchkey.wsgi import LatchkeyMiddleware

verifier = Verifier(os.environ["LATCHKEY_URL"], cache_ttl=5.0)


def answer(start_response, body):
    data = json.dumps(body).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def whoami(environ, start_response):
    holder = environ["latchkey.token"]
    scopes = None if holder.scopes is None else list(holder.scopes)
    meta = None if holder.meta is None else dict(holder.meta)
    return answer(start_response, {"identityId": holder.identity_id, "scopes": scopes, "meta": meta})


def orders(environ, start_response):
    return answer(start_response, {"orders": [], "for": environ["latchkey.token"].identity_id})


def where(environ, start_response):
    return answer(start_response, {"file": latchkey.__file__, "version": latchkey.__version__})


ROUTES = {
    "/whoami": LatchkeyMiddleware(whoami, verifier),
    "/orders": LatchkeyMiddleware(orders, verifier, required_scopes=["orders:read"]),
    "/where": where,
}


def application(environ, start_response):
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    return route(environ, start_response)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", int(os.environ["PORT"]), application, handler_class=Quiet).serve_forever()
