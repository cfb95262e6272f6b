"""Who a tracking call is about: userId / anonymousId resolved to contacts, as Segment resolves identities.

A batch of calls is resolved in memory first (`Identities`), against the contacts and
anonymous ids read in one query; then the contacts it touches are locked and checked
against what was read (`lock`, which explains the lock modes). Rules:

- a call with only an anonymousId belongs to the contact that id is linked to; an
  unknown one gets a new anonymous contact;
- a call with a userId belongs to that user's contact. Its anonymousId, if new, is
  linked to it; if it belongs to an anonymous contact, that visitor *is* this user:
  when the user has no contact yet the visitor becomes it (its `user_id` is set),
  otherwise the visitor is merged into the user's contact. An anonymous id already
  linked to another known user stays there (a shared browser);
- alias(previousId, userId) joins two identities: the previous one (a user id or an
  anonymous id) is merged into the user's contact, or renamed to it if it has none.
  A user id that is merged or renamed away stays resolvable as an alias link.

Contacts created in the same batch are joined in memory and never written twice.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import literal, select, text, union_all
from sqlalchemy.orm import Session

from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.models import AnonymousId, Contact

# What ingestion reads of a locked contact and may write back.
CONTACT_FIELDS = ("user_id", "email", "phone", "name", "time_zone", "properties", "tags",
                  "first_seen_at", "last_seen_at", "unsubscribed_at")
# What it reads of every contact a batch names: enough to resolve identities and move seen times.
RESOLVED_FIELDS = ("user_id", "first_seen_at", "last_seen_at", "time_zone")


# One advisory lock per id, taken in key order (so two batches never wait on each other in a cycle).
_CLAIM_IDS = text(
    "SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtextextended(id, 0) AS key "
    "FROM unnest(CAST(:ids AS text[])) AS id) AS keys ORDER BY key"
)


# with_for_update() arguments; SQLite, one writer at a time, ignores them.
FOR_KEY_SHARE = {"read": True, "key_share": True}
FOR_NO_KEY_UPDATE = {"key_share": True}
FOR_UPDATE: dict[str, bool] = {}


class IdentityChanged(Exception):
    """A contact read for this batch was merged, renamed or deleted before it could be locked; retry the batch."""


class ClaimsNeeded(IdentityChanged):
    """The batch changes identities but did not claim all its ids before reading; retry it with them claimed."""


@dataclass(eq=False)
class ContactRef:
    """A contact as the batch sees it: stored (`id`) or to be created, possibly merged into another."""

    id: int | None
    user_id: str | None
    loaded_user_id: str | None = None
    merged_into: ContactRef | None = None
    # The stored fields: RESOLVED_FIELDS as read, or all CONTACT_FIELDS once `locked` (for rewriting).
    row: dict[str, Any] | None = None
    locked: bool = False

    def final(self) -> ContactRef:
        """The contact this one ends up as, after the batch's merges."""
        ref = self
        while ref.merged_into is not None:
            ref = ref.merged_into
        return ref


@dataclass(frozen=True)
class Merge:
    """Stored contact `source` is merged into stored contact `target` (both locked)."""

    source: ContactRef
    target: ContactRef


@dataclass
class Identities:
    """The identity graph of one batch: user ids and anonymous ids to contacts, with the changes it decides."""

    by_user: dict[str, ContactRef] = field(default_factory=dict)
    by_link: dict[str, ContactRef] = field(default_factory=dict)
    new_links: dict[str, ContactRef] = field(default_factory=dict)
    created: list[ContactRef] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    stored: dict[int, ContactRef] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, identifiers: Iterable[str], *, claim_all: bool = False) -> Identities:
        """Read the contacts these ids name, as user ids and as anonymous (or alias) ids.

        On PostgreSQL ids are claimed first (transaction-scoped advisory locks, in one
        ordered statement): ids nobody has yet, so concurrent batches about the same new
        person take turns and the second reads what the first created instead of
        colliding with it; with `claim_all`, every id, which a batch that merges or
        renames contacts needs (see `changes_identities`). SQLite has a single writer
        anyway (a stale reader's write fails and is retried).
        """
        ids = sorted(set(identifiers))
        postgresql = session.get_bind().dialect.name == "postgresql"
        if claim_all and postgresql and ids:
            session.execute(_CLAIM_IDS, {"ids": ids})
            return cls._read(session, ids)
        identities = cls._read(session, ids)
        unknown = [i for i in ids if i not in identities.by_user and i not in identities.by_link]
        if unknown and postgresql:
            session.execute(_CLAIM_IDS, {"ids": unknown})
            identities = cls._read(session, ids)
        return identities

    def changes_identities(self) -> bool:
        """Whether the batch merges stored contacts or gives one another user id.

        Such a batch runs with every id it names claimed (`load(claim_all=True)`), so two
        of them about the same people take turns, and a batch retried after losing a race
        to one of them reads what it did instead of losing again.
        """
        return bool(self.merges) or any(ref.user_id != ref.loaded_user_id for ref in self.stored.values())

    @classmethod
    def _read(cls, session: Session, ids: list[str]) -> Identities:
        """One query: the contacts these ids name as user ids, and as anonymous (or alias) ids, with their seen times."""
        identities = cls()
        if not ids:
            return identities
        columns = [getattr(Contact, name) for name in RESOLVED_FIELDS]
        by_user = select(Contact.user_id.label("key"), literal(True).label("own"), Contact.id, *columns).where(
            any_of(session, Contact.user_id, ids))
        by_link = (select(AnonymousId.anonymous_id, literal(False), Contact.id, *columns)
                   .join(Contact, Contact.id == AnonymousId.contact_id)
                   .where(any_of(session, AnonymousId.anonymous_id, ids)))
        for key, own, contact_id, *values in session.execute(union_all(by_user, by_link)).all():
            ref = identities._stored(contact_id, dict(zip(RESOLVED_FIELDS, values, strict=True)))
            (identities.by_user if own else identities.by_link)[key] = ref
        return identities

    def known_user(self, identifier: str) -> bool:
        """Whether `identifier` (a user id, an alias or an anonymous id) names a contact that had a user id
        when the batch read it: a known person, as opposed to an anonymous visitor or someone new."""
        ref = self.by_user.get(identifier) or self.by_link.get(identifier)
        return ref is not None and ref.loaded_user_id is not None

    def _stored(self, contact_id: int, row: dict[str, Any]) -> ContactRef:
        ref = self.stored.get(contact_id)
        if ref is None:
            user_id = row["user_id"]
            ref = self.stored[contact_id] = ContactRef(contact_id, user_id, loaded_user_id=user_id, row=row)
        return ref

    def _user(self, user_id: str) -> ContactRef | None:
        """The contact of a user id: its own, or the one an alias links the id to."""
        ref = self.by_user.get(user_id) or self.by_link.get(user_id)
        return ref.final() if ref is not None else None

    def _linked(self, anonymous_id: str) -> ContactRef | None:
        ref = self.by_link.get(anonymous_id)
        return ref.final() if ref is not None else None

    def _new(self, user_id: str | None) -> ContactRef:
        ref = ContactRef(None, user_id)
        self.created.append(ref)
        if user_id is not None:
            self.by_user[user_id] = ref
        return ref

    def _link(self, anonymous_id: str, ref: ContactRef) -> None:
        """Link an id to `ref`; a stored link keeps its contact (a merge moves it along)."""
        if anonymous_id in self.by_link and anonymous_id not in self.new_links:
            return
        self.by_link[anonymous_id] = ref
        self.new_links[anonymous_id] = ref

    def _rename(self, ref: ContactRef, user_id: str) -> None:
        """Give `ref` this user id; a user id it had stays resolvable as an alias link."""
        if ref.user_id is not None and ref.user_id != user_id:
            self.by_user.pop(ref.user_id, None)
            self._link(ref.user_id, ref)
        ref.user_id = user_id
        self.by_user[user_id] = ref

    def _unite(self, target: ContactRef, source: ContactRef) -> None:
        """Make `source` and `target` one contact; a contact new in this batch is folded into a stored one."""
        if source.id is None:
            source.merged_into = target
        elif target.id is None:
            target.merged_into = source
            if target.user_id is not None:
                self._rename(source, target.user_id)
        else:
            source.merged_into = target
            if source.user_id is not None:
                self.by_user.pop(source.user_id, None)
                self._link(source.user_id, target)
            self.merges.append(Merge(source, target))

    def resolve(self, user_id: str | None, anonymous_id: str | None) -> ContactRef:
        """The contact a call with these ids is about (see the module docstring for the rules)."""
        if user_id is None:
            assert anonymous_id is not None, "a call names a userId or an anonymousId"
            visitor = self._linked(anonymous_id)
            if visitor is None:
                visitor = self._new(None)
                self._link(anonymous_id, visitor)
            return visitor
        known = self._user(user_id)
        visitor = self._linked(anonymous_id) if anonymous_id is not None else None
        if known is None and visitor is not None and visitor.user_id is None:
            self._rename(visitor, user_id)
            return visitor
        if known is None:
            known = self._new(user_id)
        if anonymous_id is not None:
            if visitor is None:
                self._link(anonymous_id, known)
            elif visitor is not known and visitor.user_id is None:
                self._unite(known, visitor)
        return known.final()

    def alias(self, previous_id: str, user_id: str) -> ContactRef:
        """Segment's alias: the identity `previous_id` names becomes the user `user_id`."""
        previous = self._user(previous_id) or self._linked(previous_id)
        known = self._user(user_id)
        if previous is None:
            target = known or self._new(user_id)
            self._link(previous_id, target)
            return target
        if known is None:
            self._rename(previous, user_id)
            return previous
        if previous is not known:
            self._unite(known, previous)
        return known.final()

    def lock(self, session: Session, rewritten: Iterable[ContactRef]) -> None:
        """Lock every stored contact the batch touches, and read all fields of those it rewrites into `row`.

        Lock modes, so that batches, merges and the event jobs (which hold their contacts
        FOR NO KEY UPDATE, `ContactRows.load`) never wait on each other in a cycle:

        - a batch without merges takes FOR KEY SHARE on every contact it touches (one
          statement, id order): what its new events' foreign keys need, so no merge can
          delete one under it, while jobs and other batches go on; then FOR NO KEY UPDATE
          on the ones it rewrites (one statement, id order). Once it holds the first, no
          merge holds any of its contacts, so the second waits only for jobs and batches
          taking the same mode in the same order;
        - a batch that merges or renames (`changes_identities`) takes FOR UPDATE on every
          contact it touches (one statement, id order): a merged contact is deleted, and
          events must not be inserted for it meanwhile; a new user id changes a unique
          key, which takes FOR UPDATE anyway (upgrading to it later could deadlock).

        Raises:
            IdentityChanged: if one was deleted (merged) or got another user id since it was read.
        """
        if not self.stored:
            return
        if self.changes_identities():
            self._lock(session, self.stored.values(), FOR_UPDATE, full=True)
            return
        self._lock(session, self.stored.values(), FOR_KEY_SHARE, full=False)
        self._lock(session, rewritten, FOR_NO_KEY_UPDATE, full=True)

    def _lock(self, session: Session, refs: Iterable[ContactRef], mode: dict[str, bool], *, full: bool) -> None:
        """One ordered locking statement; with `full`, every field is read into the refs' rows."""
        refs = {ref.id: ref for ref in refs}
        if not refs:
            return
        names = CONTACT_FIELDS if full else ("user_id",)
        query = (select(Contact.id, *(getattr(Contact, name) for name in names))
                 .where(any_of(session, Contact.id, refs)).order_by(Contact.id).with_for_update(**mode))
        rows = {contact_id: dict(zip(names, values, strict=True)) for contact_id, *values in session.execute(query)}
        for contact_id, ref in refs.items():
            row = rows.get(contact_id)
            if row is None or row["user_id"] != ref.loaded_user_id:
                raise IdentityChanged(f"contact {contact_id} changed while this batch was being resolved")
            if full:
                ref.row, ref.locked = row, True

    def links(self) -> list[dict[str, Any]]:
        """The new anonymous-id links, as rows (their contacts must have ids by now)."""
        return [{"anonymous_id": anonymous_id, "contact_id": ref.final().id}
                for anonymous_id, ref in self.new_links.items()]
