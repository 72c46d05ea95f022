"""The API's answers as dataclasses. Fields the server adds later land in ``extra``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Generic, List, Optional, Tuple, Type, TypeVar

__all__ = [
    "AuditEvent",
    "Business",
    "Identity",
    "Introspection",
    "IssuedToken",
    "Me",
    "Page",
    "TokenView",
    "parse_time",
]

T = TypeVar("T")
D = TypeVar("D")


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 time as an aware datetime; ``Z`` spelled so that Python 3.9 reads it."""
    if value is None or value == "":
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    return datetime.fromisoformat(text)


def _from_dict(cls: Type[D], data: Dict[str, Any], **parsed: Any) -> D:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    known = {k: v for k, v in data.items() if k in names and k != "extra"}
    known.update(parsed)
    extra = {k: v for k, v in data.items() if k not in names}
    return cls(**known, extra=extra)  # type: ignore[call-arg]


@dataclass(frozen=True)
class TokenView:
    """A token as the API shows it: never its secret, never its hash."""

    id: str
    jti: str
    name: str
    preview: str
    scopes: Optional[List[str]]
    """None: unrestricted within its holder's role; a list narrows it."""
    status: str
    business_id: Optional[str]
    identity_id: str
    created_at: Optional[datetime]
    created_by: Optional[str] = None
    expires_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[str] = None
    revocation_reason: Optional[str] = None
    rotated_from_id: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "TokenView":
        times = ("created_at", "expires_at", "last_used_at", "revoked_at")
        return _from_dict(cls, data, **{k: parse_time(data.get(k)) for k in times})


@dataclass(frozen=True)
class IssuedToken:
    """A token just made or rotated: its secret, shown this once, and its view.

    The secret is left out of ``repr`` so that logging the object never logs it.
    """

    token: str = field(repr=False)
    view: TokenView

    @property
    def id(self) -> str:
        return self.view.id

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "IssuedToken":
        rest = {k: v for k, v in data.items() if k != "token"}
        return cls(token=data["token"], view=TokenView.from_dict(rest))


@dataclass(frozen=True)
class Identity:
    id: str
    kind: str
    email: Optional[str] = None
    name: Optional[str] = None
    is_platform_admin: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Identity":
        return _from_dict(cls, data)


@dataclass(frozen=True)
class Business:
    id: str
    name: str
    status: str
    created_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Business":
        return _from_dict(cls, data, created_at=parse_time(data.get("created_at")))


@dataclass(frozen=True)
class Me:
    """``GET /api/v1/me``: who calls, with which token, in which business and role."""

    identity: Identity
    token: TokenView
    business: Optional[Business]
    role: Optional[str]
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Me":
        business = data.get("business")
        return _from_dict(
            cls,
            data,
            identity=Identity.from_dict(data["identity"]),
            token=TokenView.from_dict(data["token"]),
            business=Business.from_dict(business) if isinstance(business, dict) else None,
        )


@dataclass(frozen=True)
class Introspection:
    """RFC 7662: ``active`` False says only that, whatever the reason."""

    active: bool
    scope: Optional[str] = None
    sub: Optional[str] = None
    business_id: Optional[str] = None
    exp: Optional[int] = None
    iat: Optional[int] = None
    jti: Optional[str] = None
    token_type: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scopes(self) -> Optional[Tuple[str, ...]]:
        return None if self.scope is None else tuple(s for s in self.scope.split(" ") if s)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Introspection":
        return _from_dict(cls, data)


@dataclass(frozen=True)
class AuditEvent:
    id: str
    seq: int
    business_id: Optional[str]
    occurred_at: Optional[datetime]
    action: str
    outcome: str
    actor: Dict[str, Any]
    target: Dict[str, Any]
    request_id: Optional[str] = None
    ip: Optional[str] = None
    user_agent: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    origin: Optional[str] = None
    prev_hash: Optional[str] = None
    hash: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "AuditEvent":
        return _from_dict(cls, data, occurred_at=parse_time(data.get("occurred_at")))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paged list; pass ``next_cursor`` back for the next, until None."""

    items: List[T]
    next_cursor: Optional[str]
