"""Migration 0011 moves "not applied yet" from events.processed_at to the unapplied_events table, and back."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from workflow_runtime.storage.schema import downgrade, upgrade


def test_unprocessed_events_are_queued_on_upgrade_and_applied_ones_keep_a_time_on_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrating.db'}"
    engine = create_engine(url)
    upgrade(url, "0010")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO contacts (id, properties, tags, first_seen_at, last_seen_at) "
            "VALUES (1, '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for event_id, processed_at in ((1, "CURRENT_TIMESTAMP"), (2, "NULL"), (3, "NULL")):
            connection.execute(text(
                "INSERT INTO events (id, contact_id, name, properties, timestamp, received_at, processed_at, context) "
                f"VALUES ({event_id}, 1, 'page', '{{}}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, {processed_at}, '{{}}')"))

    upgrade(url, "0011")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT event_id FROM unapplied_events ORDER BY event_id")).scalars().all() == [2, 3]
        connection.execute(text("DELETE FROM unapplied_events WHERE event_id = 2"))  # a job applies event 2
        connection.commit()

    downgrade(url, "0010")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, processed_at IS NOT NULL FROM events ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, True), (2, True), (3, False)]
    engine.dispose()
