"""Migration 0029 rebuilds SQLite's runs table with AUTOINCREMENT: the rows and the partial wake-up index stay, and
a deleted run's id is never given again (the ledger's message keys name it)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from workflow_runtime.storage.schema import downgrade, upgrade

RUN = ("INSERT INTO runs ({id}flow_id, flow_version_id, contact_id, status, node_id, path, node_state, context, "
       "wake_at, entered_at) VALUES ({value}1, 1, 1, 'waiting', 'day', '[]', '{{}}', '{{}}', {wake_at}, "
       "'2026-12-07 09:00:00')")


def run_sql(run_id: int | None, wake_at: str = "NULL") -> str:
    return RUN.format(id="" if run_id is None else "id, ", value="" if run_id is None else f"{run_id}, ",
                      wake_at=wake_at)


def table_sql(connection) -> str:  # noqa: ANN001 - a Connection
    return connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'runs'")).scalar_one()


def test_sqlite_runs_keep_rows_and_index_and_never_reuse_a_deleted_runs_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrating.db'}"
    engine = create_engine(url)
    upgrade(url, "0028")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO flows (id, name, description, status, draft, created_at, updated_at) "
                                "VALUES (1, 'Cart', '', 'live', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO flow_versions (id, flow_id, number, document, published_at) "
                                "VALUES (1, 1, 1, '{}', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO contacts (id, properties, tags, first_seen_at, last_seen_at) "
                                "VALUES (1, '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(run_sql(1, "'2026-12-08 09:00:00'")))
        connection.execute(text(run_sql(2)))
        assert "AUTOINCREMENT" not in table_sql(connection)

    upgrade(url, "0029")
    with engine.begin() as connection:
        assert "AUTOINCREMENT" in table_sql(connection)
        assert connection.execute(text("SELECT id, wake_at FROM runs ORDER BY id")).all() == [
            (1, "2026-12-08 09:00:00"), (2, None)]
        assert "wake_at IS NOT NULL" in connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_runs_wake_at'")).scalar_one()
        connection.execute(text("DELETE FROM runs WHERE id = 2"))
        connection.execute(text(run_sql(None)))
        assert connection.execute(text("SELECT max(id) FROM runs")).scalar_one() == 3

    downgrade(url, "0028")
    with engine.connect() as connection:
        assert "AUTOINCREMENT" not in table_sql(connection)
        assert connection.execute(text("SELECT id FROM runs ORDER BY id")).scalars().all() == [1, 3]
        assert "wake_at IS NOT NULL" in connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_runs_wake_at'")).scalar_one()
    engine.dispose()
