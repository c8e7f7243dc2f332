"""Versioned records: the one place of optimistic locking, history, restore and ETags.

Destinations, closures and featured routes are all stored the same way: a row
with a ``version``, a ``deleted`` (or ``removed``) flag and a history table with
the values before and after every change. `Versioned` does every write of such
a row:

- `Versioned.update` runs ``UPDATE ... WHERE id = ? AND version = ?``: of two
  writers starting from one version exactly one wins, the other gets
  `StaleVersionError` (with the row as it is now) and nothing changes;
- every change writes a history row (who, when, action, before, after);
- `Versioned.restore` brings back the values of an earlier version as a new one;
- `etag` and `version_from_if_match` are the HTTP side: ``ETag: "ID.VERSION"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import NotFoundError, PreconditionRequiredError, StaleVersionError
from .models import utcnow

__all__ = ["Versioned", "etag", "version_from_if_match"]

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})\.(\d{1,18})"$')


def etag(row: Any) -> str:
    return f'"{row.id}.{row.version}"'


def version_from_if_match(header: str | None, row_id: int, noun: str) -> int:
    """The version an ``If-Match`` header names for record ``row_id`` (428 when absent, 412 when another)."""
    if not header or not header.strip():
        raise PreconditionRequiredError(
            f"send 'If-Match' with the ETag of the version you edited (GET the {noun} first)"
        )
    for tag in header.split(","):
        m = _ETAG.match(tag.strip())
        if m and int(m.group(1)) == row_id:
            return int(m.group(2))
    raise StaleVersionError(f"the If-Match ETag does not name a version of this {noun}")


@dataclass(frozen=True)
class Versioned:
    """How one kind of record is versioned: its model, history model and vocabulary."""

    model: Any
    history_model: Any
    key: str  #: the history column naming the record ("destination_id")
    noun: str  #: for messages ("destination")
    editable: tuple[str, ...]  #: the values a restore brings back
    deleted: str = "deleted"  #: the flag of a removed record
    on_write: dict[str, Any] = field(default_factory=dict)  #: set on every staff write

    def get(self, session: Session, row_id: int, *, include_deleted: bool = False) -> Any:
        row = session.get(self.model, row_id, populate_existing=True)
        if row is None or (getattr(row, self.deleted) and not include_deleted):
            raise NotFoundError(f"no {self.noun} with id {row_id}")
        return row

    def record(self, session: Session, row: Any, action: str, user: str, before: dict | None) -> None:
        """Write the history row of ``row``'s current version."""
        session.add(
            self.history_model(
                **{self.key: row.id},
                version=row.version,
                action=action,
                changed_by=user,
                changed_at=row.updated_at,
                before=before,
                after=row.values(),
            )
        )

    def add(self, session: Session, row: Any, *, user: str, action: str = "create", commit: bool = True) -> Any:
        """Store a new record as version 1, with its history row."""
        row.version, row.updated_at, row.updated_by = 1, utcnow(), user
        session.add(row)
        session.flush()
        self.record(session, row, action, user, None)
        if commit:
            session.commit()
        return row

    def stale_message(self, current: Any) -> str:
        if current is None or getattr(current, self.deleted):
            return f"the {self.noun} no longer exists"
        who = f" by {current.updated_by}" if current.updated_by else ""
        return (
            f"someone else saved this {self.noun}{who} meanwhile (it is now version {current.version}); "
            "reload it and make your change again"
        )

    def check(self, row: Any, expected: int) -> None:
        """`StaleVersionError` unless ``row`` is at version ``expected``."""
        if row.version != expected:
            raise StaleVersionError(self.stale_message(row), row)

    def update(
        self,
        session: Session,
        row: Any,
        expected: int,
        values: dict[str, Any],
        *,
        user: str,
        action: str = "update",
        commit: bool = True,
    ) -> Any:
        """Write ``values`` if ``row`` is still at version ``expected`` (else `StaleVersionError`)."""
        self.check(row, expected)
        before = row.values()
        model = self.model
        result = session.execute(
            update(model)
            .where(model.id == row.id, model.version == expected)
            .values(**values, **self.on_write, version=expected + 1, updated_at=utcnow(), updated_by=user)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            current = session.get(model, row.id, populate_existing=True)
            raise StaleVersionError(self.stale_message(current), current)
        session.refresh(row)
        self.record(session, row, action, user, before)
        if commit:
            session.commit()
        return row

    def remove(self, session: Session, row_id: int, expected: int, *, user: str) -> Any:
        """Mark a record deleted (kept with its history, so it can be restored)."""
        row = self.get(session, row_id)
        return self.update(session, row, expected, {self.deleted: True}, user=user, action="delete")

    def history(self, session: Session, row_id: int) -> list[Any]:
        h = self.history_model
        return list(session.scalars(select(h).where(getattr(h, self.key) == row_id).order_by(h.version)))

    def restore(self, session: Session, row_id: int, expected: int, to_version: int, *, user: str) -> Any:
        """Bring back the values a record had at ``to_version``, as a new version (also undeletes)."""
        row = self.get(session, row_id, include_deleted=True)
        self.check(row, expected)
        h = self.history_model
        snap = None
        if 0 < to_version < 2**62:  # larger numbers fit no database integer, and name no version
            snap = session.scalars(select(h).where(getattr(h, self.key) == row_id, h.version == to_version)).first()
        if snap is None or not snap.after or snap.after.get(self.deleted):
            raise NotFoundError(f"{self.noun} {row_id} has no version {to_version} to restore")
        values = {k: snap.after[k] for k in self.editable if k in snap.after}
        values[self.deleted] = False
        return self.update(session, row, expected, values, user=user, action="restore")

    def live_versions(self, session: Session, row_ids: Iterable[int]) -> dict[int, int]:
        """The newest version of each record that was not deleted: what `restore` brings back."""
        ids = list(row_ids)
        if not ids:
            return {}
        h = self.history_model
        found: dict[int, int] = {}
        for i in range(0, len(ids), 500):  # stay under a database's limit of bound parameters
            rows = session.execute(
                select(getattr(h, self.key), h.version, h.after)
                .where(getattr(h, self.key).in_(ids[i : i + 500]))
                .order_by(h.version)
            )
            for row_id, version, after in rows:
                if after and not after.get(self.deleted):
                    found[row_id] = version
        return found

    def changes(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        return [h.to_json() for h in items]
