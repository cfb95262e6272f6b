"""Migration 0011 moves "not applied yet" from events.processed_at to the unapplied_events table, and back."""
from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from builder_api.app import MIGRATIONS_DIR, create_app
from builder_api.extensions import db


def test_unprocessed_events_are_queued_on_upgrade_and_applied_ones_keep_a_time_on_downgrade(tmp_path: Path) -> None:
    app = create_app({"instance_path": tmp_path, "database_url": f"sqlite:///{tmp_path / 'migrating.db'}",
                      "admin_token": "token", "write_key": "key", "secret_key": "secret"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0010")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO contacts (id, properties, tags, first_seen_at, last_seen_at) "
                "VALUES (1, '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for event_id, processed_at in ((1, "CURRENT_TIMESTAMP"), (2, "NULL"), (3, "NULL")):
                connection.execute(text(
                    "INSERT INTO events (id, contact_id, name, properties, timestamp, received_at, processed_at, context) "
                    f"VALUES ({event_id}, 1, 'page', '{{}}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, {processed_at}, '{{}}')"))

        upgrade(directory=str(MIGRATIONS_DIR), revision="0011")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT event_id FROM unapplied_events ORDER BY event_id")).scalars().all() == [2, 3]
            connection.execute(text("DELETE FROM unapplied_events WHERE event_id = 2"))  # a job applies event 2
            connection.commit()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0010")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, processed_at IS NOT NULL FROM events ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, True), (2, True), (3, False)]
        db.engine.dispose()
