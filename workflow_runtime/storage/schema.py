"""The schema's migrations, run with plain Alembic: `automap db upgrade`, the tests and the benches share it.

No Flask: `migrations/env.py` reads the models' metadata and the database URL it is given
(or `AUTOMAP_DATABASE_URL`), so `alembic -c workflow_runtime/storage/migrations/alembic.ini
upgrade head` works too.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for our migrations on `database_url`."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))  # the .ini's interpolation
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database's schema up to `revision` (the latest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the database's schema back to `revision`."""
    command.downgrade(alembic_config(database_url), revision)

