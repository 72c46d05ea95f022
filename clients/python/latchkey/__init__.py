"""A client for Latchkey, and a verifier for services whose callers present Latchkey tokens.

Standard library only: ``urllib.request``, ``json``, ``hashlib``, ``dataclasses``.
"""

from .client import LatchkeyClient
from .errors import LatchkeyError, VerifierMisconfigured, VerifierUnavailable
from .models import AuditEvent, Business, Identity, Introspection, IssuedToken, Me, Page, TokenView
from .verifier import VerifiedToken, Verifier

__version__ = "0.1.0"

__all__ = [
    "AuditEvent",
    "Business",
    "Identity",
    "Introspection",
    "IssuedToken",
    "LatchkeyClient",
    "LatchkeyError",
    "Me",
    "Page",
    "TokenView",
    "VerifiedToken",
    "Verifier",
    "VerifierMisconfigured",
    "VerifierUnavailable",
]
