"""bulk.any_of: a batch's ids matched with one parameter, whatever characters its strings hold."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.storage.bulk import Prepared, any_of
from workflow_runtime.storage.models import Contact

AWKWARD = ['with "quotes"', "back\\slash", "comma, {braces}", " spaced ", "NULL", "", "ünïcödé", "it's", "\\\"", "{}"]


def test_any_of_matches_exactly_the_given_strings_and_ids(session: Session) -> None:
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    contacts = [Contact(user_id=user_id, first_seen_at=now, last_seen_at=now) for user_id in [*AWKWARD, "other"]]
    session.add_all(contacts)
    session.flush()

    by_user_id = session.scalars(select(Contact.user_id).where(any_of(session, Contact.user_id, AWKWARD)))
    assert sorted(by_user_id) == sorted(AWKWARD)
    ids = [contact.id for contact in contacts[:3]]
    assert sorted(session.scalars(select(Contact.id).where(any_of(session, Contact.id, ids)))) == ids
    assert list(session.scalars(select(Contact.id).where(any_of(session, Contact.id, [])))) == []


def test_a_prepared_statement_matches_what_any_of_matches_batch_after_batch(session: Session) -> None:
    """Built once per database, with each list one parameter: the same rows as any_of for every list, empty included."""
    now = datetime(2026, 12, 7, tzinfo=timezone.utc)
    contacts = [Contact(user_id=user_id, first_seen_at=now, last_seen_at=now) for user_id in [*AWKWARD, "other"]]
    session.add_all(contacts)
    session.flush()
    ids = [contact.id for contact in contacts]
    by_both = Prepared(lambda in_list: select(Contact.id).where(in_list(Contact.id, "ids"),
                                                                 in_list(Contact.user_id, "user_ids")))

    for some_ids, user_ids, matching in [(ids, AWKWARD, ids[:-1]), ([ids[0], ids[-1]], ["other", AWKWARD[0]], [ids[0], ids[-1]]),
                                         ([], AWKWARD, []), ([ids[1]], [], [])]:
        expected = session.scalars(select(Contact.id).where(any_of(session, Contact.id, some_ids),
                                                            any_of(session, Contact.user_id, user_ids))).all()
        found = session.connection().scalars(*by_both.bound(session, ids=some_ids, user_ids=user_ids)).all()
        assert sorted(found) == sorted(expected) == matching
