"""The workspace's keys as every check reads them: the site key, the server key and the identity secret.

A key set by its environment variable (AUTOMAP_WRITE_KEY, AUTOMAP_SERVER_KEY, AUTOMAP_IDENTITY_SECRET) is
*pinned*: it is read from the environment on every start and cannot be rotated from the builder (the
Settings page says "set by AUTOMAP_SERVER_KEY; rotate it in your deployment"). The other choice — the
variable seeds the database once and the database wins from then on — would let a deployment keep a key
its operator had changed in the environment and believed gone, and silently drop a key an operator sets
later: a variable that is sometimes ignored surprises whoever reads the deployment. Pinning never does:
what the deployment says is what is in force.

A key no variable sets lives in the `workspace_keys` table: seeded on first use (from the embedded mode's
generated value in instance/secrets.json, else a new random one), rotated by an admin, its predecessor
still accepted for GRACE_PERIOD so the site can deploy the new one. Every process reads the table, so a
rotation reaches every server at its next request; a request reads the keys once (`request_keys`).
Keys are compared with hmac.compare_digest and never logged.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder_api.extensions import db
from builder_api.runtime_access import now
from builder_api.settings import Settings
from workflow_runtime.storage.bulk import insert_rows
from workflow_runtime.storage.models import KeyName, WorkspaceKey

# How long a rotated key's predecessor still works: time enough for a site to deploy the new one.
GRACE_PERIOD = timedelta(hours=24)
ENVIRONMENT_VARIABLES = {name: f"AUTOMAP_{name.value.upper()}" for name in KeyName}


class KeyPinned(RuntimeError):
    """The key is set by its environment variable: only the deployment can change it."""


@dataclass(frozen=True)
class Key:
    """A key as it is in force now: its value, its predecessor while that is still accepted, and where it is set."""

    name: KeyName
    value: str
    previous: str | None = None
    previous_valid_until: datetime | None = None
    rotated_at: datetime | None = None
    pinned_by: str | None = None  # the environment variable that sets it, if one does

    def matches(self, sent: str) -> bool:
        """Whether `sent` is this key or its predecessor still in its grace period (in constant time)."""
        candidates = [self.value] if self.previous is None else [self.value, self.previous]
        found = False
        for candidate in candidates:  # every candidate is compared, so the time taken tells nothing
            found |= hmac.compare_digest(sent.encode(), candidate.encode())
        return found

    @property
    def accepted(self) -> tuple[str, ...]:
        """The values accepted now, the current one first."""
        return (self.value,) if self.previous is None else (self.value, self.previous)


Keys = Mapping[KeyName, Key]


def pinned_value(settings: Settings, name: KeyName) -> str | None:
    """The value the environment (or a test's override) sets for `name`; None when it is generated or unset."""
    value: str | None = getattr(settings, name.value)
    return value if value is not None and name.value not in settings.generated else None


def load_keys(session: Session, settings: Settings, moment: datetime) -> dict[KeyName, Key]:
    """Every key in force at `moment`, seeding the table with the ones it lacks (in a transaction of its own)."""
    keys = {name: Key(name, value, pinned_by=ENVIRONMENT_VARIABLES[name])
            for name in KeyName if (value := pinned_value(settings, name)) is not None}
    stored = [name for name in KeyName if name not in keys]
    if not stored:
        return keys
    rows = _rows(session, stored)
    if len(rows) < len(stored):
        _seed(session, settings, [name for name in stored if name not in rows], moment)
        rows = _rows(session, stored)
    for name in stored:
        keys[name] = _in_force(rows[name], moment)
    return keys


def _rows(session: Session, names: list[KeyName]) -> dict[KeyName, WorkspaceKey]:
    return {row.name: row for row in session.scalars(select(WorkspaceKey).where(WorkspaceKey.name.in_(names)))}


def _seed(session: Session, settings: Settings, names: list[KeyName], moment: datetime) -> None:
    """Insert the missing keys, committed at once in a session of their own (another process seeding at the
    same moment keeps its value: the first insert wins)."""
    seeds = [{"name": name.value, "value": getattr(settings, name.value) or _new_key(),
              "created_at": moment} for name in names]
    bind = session.get_bind()
    with Session(bind) as own:
        insert_rows(own, WorkspaceKey.__table__, seeds, skip_conflicts_on="name")
        own.commit()


def _in_force(row: WorkspaceKey, moment: datetime) -> Key:
    in_grace = row.previous_value is not None and row.previous_valid_until is not None \
        and moment < row.previous_valid_until
    return Key(row.name, row.value, row.previous_value if in_grace else None,
               row.previous_valid_until if in_grace else None, row.rotated_at)


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def rotate(session: Session, settings: Settings, name: KeyName, moment: datetime) -> Key:
    """Give `name` a new random value; the old one stays accepted for GRACE_PERIOD (a predecessor still in its
    grace period is dropped at once: only one key back is accepted). The caller commits.

    Raises:
        KeyPinned: an environment variable sets the key.
    """
    variable = ENVIRONMENT_VARIABLES[name]
    if pinned_value(settings, name) is not None:
        raise KeyPinned(f"The {name.value.replace('_', ' ')} is set by {variable}: rotate it in your deployment "
                        f"(change {variable} and restart), not here.")
    load_keys(session, settings, moment)  # seeds it if this is its first use
    row = session.scalars(select(WorkspaceKey).where(WorkspaceKey.name == name).with_for_update()).one()
    row.previous_value = row.value
    row.previous_valid_until = moment + GRACE_PERIOD
    row.value = _new_key()
    row.rotated_at = moment
    session.flush()
    return _in_force(row, moment)


def request_keys() -> Keys:
    """The keys in force for this request, read once per request."""
    if "workspace_keys" not in g:
        g.workspace_keys = load_keys(db.session, current_app.config["AUTOMAP"], now())
    keys: Keys = g.workspace_keys
    return keys


def forget_request_keys() -> None:
    """Drop this request's keys, so a rotation made in it is what the rest of the request reads."""
    g.pop("workspace_keys", None)
