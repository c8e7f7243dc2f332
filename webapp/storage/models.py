"""Tables of the destination layer: staff users, destinations, their history, closures.

Plain SQLAlchemy 2 declarative models that work unchanged on SQLite and
PostgreSQL (points are stored as lon/lat floats, documents as JSON). The schema
itself is created and changed only by the Alembic migrations in ``webapp/storage/migrations/``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from routes.places import category_label, vocabulary

__all__ = [
    "ROLES",
    "AccountChange",
    "ApiToken",
    "Base",
    "Closure",
    "ClosureHistory",
    "Meta",
    "REPORT_STATUSES",
    "Report",
    "ReportHistory",
    "StaffSession",
    "Destination",
    "DestinationHistory",
    "User",
    "categories",
    "category_label",
    "hash_password",
    "hash_token",
    "new_token",
    "utcnow",
    "verify_password",
]

#: Staff roles, weakest first. Editors create, edit, move, (un)publish; admins also
#: delete, restore old versions and manage users.
ROLES = ("editor", "admin")


def categories() -> tuple[str, ...]:
    """The destination category vocabulary: `routes.places.vocabulary` (shared with the tour planner)."""
    return vocabulary()


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored the same way on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


# ----------------------------------------------------------------------------- secrets

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """scrypt hash with a random salt, as ``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a `hash_password` string (constant-time compare)."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def new_token() -> str:
    """A new random API token (shown once; only its hash is stored)."""
    return "bkm_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """sha256 hex of a token: tokens are long random strings, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


# ----------------------------------------------------------------------------- tables

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    sessions: Mapped[list[StaffSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def can(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: what the token is for ("import script"), shown in lists
    name: Mapped[str] = mapped_column(String(80), default="")
    #: after this (UTC) the token no longer works; None: until revoked
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_valid(self, now: datetime | None = None) -> bool:
        return self.expires_at is None or self.expires_at > (now or utcnow())


class StaffSession(Base):
    """A signed-in browser: the session cookie names it by a random key (only its hash is stored).

    Deleting the row ends the session on the server: logout deletes it; a password
    change, a role change and disabling the account delete every session of the user.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")


class AccountChange(Base):
    """One change of a staff account, kept for the record: who did what to which account, when.

    Written by `webapp.storage.users` for every change (made in the staff UI or with
    ``bikemap user``); names, not ids, so the record outlives the accounts. Never holds
    a password or a token.
    """

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: who: a staff name, or "cli (OS user)" for ``bikemap user``
    changed_by: Mapped[str] = mapped_column(String(80))
    #: create, role, disable, enable, password, token, revoke
    action: Mapped[str] = mapped_column(String(20))
    #: the account changed
    account: Mapped[str] = mapped_column(String(80), index=True)
    #: what changed, in a few words ("editor → admin", "token 3 'import script'")
    detail: Mapped[str] = mapped_column(String(200), default="")


#: Destination columns that staff can set (and that history records).
EDITABLE = (
    "name",
    "names",
    "category",
    "description",
    "lon",
    "lat",
    "opening_hours",
    "visit_minutes",
    "image_url",
    "website",
    "published",
)


class Destination(Base):
    __tablename__ = "destinations"
    __table_args__ = (UniqueConstraint("osm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(String(500), nullable=True)
    visit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    website: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    #: "osm" while the row is exactly what seeding wrote, "staff" once staff touched it
    source: Mapped[str] = mapped_column(String(10), default="staff")
    #: "node/123", "way/456"... for rows seeded from OpenStreetMap
    osm_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    def values(self) -> dict[str, Any]:
        """The editable values plus bookkeeping, as JSON-ready data (history snapshots)."""
        out = {k: getattr(self, k) for k in EDITABLE}
        out["names"] = dict(out["names"] or {})
        out.update(source=self.source, osm_id=self.osm_id, deleted=self.deleted, version=self.version)
        return out

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'

    def to_feature(self) -> dict[str, Any]:
        """The destination as a GeoJSON Feature."""
        props = {k: getattr(self, k) for k in EDITABLE if k not in ("lon", "lat")}
        props["names"] = dict(props["names"] or {})
        props.update(
            source=self.source,
            osm_id=self.osm_id,
            version=self.version,
            updated_at=self.updated_at.isoformat(timespec="seconds") + "Z" if self.updated_at else None,
            updated_by=self.updated_by,
        )
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": props,
        }


class _Change:
    """Columns every history table shares: which version, what was done, by whom, when, before/after."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    def _change_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "action": self.action,
            "who": self.changed_by,
            "when": self.changed_at.isoformat(timespec="seconds") + "Z",
            "before": self.before,
            "after": self.after,
        }


class DestinationHistory(_Change, Base):
    """One change of a destination: who, when, and the values before and after.

    No foreign key: the history outlives a deleted destination (it is how an
    admin restores one).
    """

    __tablename__ = "destination_history"

    destination_id: Mapped[int] = mapped_column(Integer, index=True)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "destination_id": self.destination_id, **self._change_json()}


CLOSURE_KINDS = ("closure", "hazard")


class Closure(Base):
    """A closed road (routing avoids it) or a hazard (routing penalises it).

    ``geometry`` is a GeoJSON Point or LineString (lon, lat); the closure counts
    until ``ends_at`` (UTC, none: until removed).
    """

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    def values(self) -> dict[str, Any]:
        """The values plus bookkeeping (history snapshots)."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "geometry": self.geometry,
            "ends_at": self.ends_at.isoformat(timespec="seconds") if self.ends_at else None,
            "removed": self.removed,
            "version": self.version,
        }

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return not self.removed and (self.ends_at is None or self.ends_at > now)

    def to_feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": self.geometry,
            "properties": {
                "kind": self.kind,
                "reason": self.reason,
                "ends_at": self.ends_at.isoformat(timespec="seconds") + "Z" if self.ends_at else None,
                "created_at": self.created_at.isoformat(timespec="seconds") + "Z",
                "created_by": self.created_by,
                "active": self.is_active(),
            },
        }


# ----------------------------------------------------------------------------- featured routes

#: Featured-route columns that staff can set (and that history records).
FEATURED_EDITABLE = ("name", "names", "description", "descriptions", "geometry", "stops", "summary", "published")


class FeaturedRoute(Base):
    """A tour or route staff recommend (like a city's own bike-share tours); see `webapp.views.featured`.

    ``name``/``description`` are English, ``names``/``descriptions`` other
    languages (``{"id": "..."}``); ``geometry`` the GeoJSON LineString,
    ``stops`` the places visited in order (``name``, ``lat``, ``lon``, ...),
    ``summary`` what the planner said (``kind``, ``profile``, ``distance_m``,
    ``duration_s``, ``total_s``).
    """

    __tablename__ = "featured_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    def values(self) -> dict[str, Any]:
        """The editable values plus bookkeeping (history snapshots)."""
        out = {k: getattr(self, k) for k in FEATURED_EDITABLE}
        out.update(deleted=self.deleted, version=self.version)
        return out

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'


class FeaturedRouteHistory(_Change, Base):
    """One change of a featured route: who, when, before and after (outlives a deletion)."""

    __tablename__ = "featured_route_history"

    featured_id: Mapped[int] = mapped_column(Integer, index=True)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "featured_id": self.featured_id, **self._change_json()}


class ClosureHistory(_Change, Base):
    """One change of a closure: who, when, before and after."""

    __tablename__ = "closure_history"

    closure_id: Mapped[int] = mapped_column(Integer, index=True)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "closure_id": self.closure_id, **self._change_json()}


# ----------------------------------------------------------------------------- road reports

#: What a report may be (`webapp.storage.reports`): open (received, not reviewed), then one of the others.
REPORT_STATUSES = ("open", "confirmed", "rejected", "merged", "closed")


class Report(Base):
    """A road problem reported by a visitor (Open311 GeoReport v2 "service request").

    ``email`` is for staff only (never in public answers or history); the reporter's
    status link names the row by a random token of which only the sha256 is stored.
    A confirmed report links to the closure or hazard it became (``closure_id``).
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(20), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    #: the stored photo's generated file name (in REPORT_MEDIA_DIR), never the uploaded name
    media: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    status_notes: Mapped[str] = mapped_column(Text, default="")
    #: "hazard" or "closure" once confirmed
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    merged_into: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closure_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    def values(self) -> dict[str, Any]:
        """The values plus bookkeeping (history snapshots; no email)."""
        return {
            "service_code": self.service_code,
            "lat": self.lat,
            "lon": self.lon,
            "description": self.description,
            "media": self.media,
            "status": self.status,
            "status_notes": self.status_notes,
            "kind": self.kind,
            "merged_into": self.merged_into,
            "closure_id": self.closure_id,
            "deleted": self.deleted,
            "version": self.version,
        }

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'


class ReportHistory(_Change, Base):
    """One change of a report: who (a staff name, or "visitor"), when, before and after."""

    __tablename__ = "report_history"

    report_id: Mapped[int] = mapped_column(Integer, index=True)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "report_id": self.report_id, **self._change_json()}


# ----------------------------------------------------------------------------- the database's own facts


class Meta(Base):
    """Facts about the database itself: ``area`` (the bounds of the network it was seeded for) and ``seed``
    (what the destinations were last seeded from, `webapp.storage.destinations.seed_if_changed`)."""

    __tablename__ = "bikemap_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
