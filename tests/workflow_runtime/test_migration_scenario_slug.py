"""Migration 0014 renames flows.template_slug to scenario_slug, keeping each flow's slug, and back."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from workflow_runtime.storage.schema import downgrade, upgrade


def test_a_loaded_scenario_keeps_its_slug_through_the_rename_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrating.db'}"
    engine = create_engine(url)
    upgrade(url, "0013")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO flows (id, name, description, status, draft, template_slug, created_at, updated_at) "
            "VALUES (1, 'Abandoned cart', '', 'draft', '{}', 'abandoned_cart', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))

    upgrade(url, "0014")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT scenario_slug FROM flows")).scalar_one() == "abandoned_cart"

    downgrade(url, "0013")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT template_slug FROM flows")).scalar_one() == "abandoned_cart"
    engine.dispose()
