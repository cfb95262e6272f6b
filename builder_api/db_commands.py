"""`automap db …`: the schema's migrations (plain Alembic, `workflow_runtime.storage.schema`) on the configured database."""
from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import with_appcontext

from workflow_runtime.storage import schema


def _database_url() -> str:
    return current_app.config["AUTOMAP"].database_url


@click.group()
def db() -> None:
    """The database schema: upgrade, downgrade, current, history, revision."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Migrate the schema up to REVISION (the latest by default)."""
    schema.upgrade(_database_url(), revision)


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def downgrade(revision: str) -> None:
    """Migrate the schema back to REVISION (e.g. 0012, or -1 for one step)."""
    schema.downgrade(_database_url(), revision)


@db.command("current")
@with_appcontext
def current() -> None:
    """Print the revision the database is at."""
    command.current(schema.alembic_config(_database_url()))


@db.command("history")
@with_appcontext
def history() -> None:
    """List the migrations, newest first."""
    command.history(schema.alembic_config(_database_url()))


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes, in a few words.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models with the database (default).")
@with_appcontext
def revision(message: str, autogenerate: bool) -> None:
    """Write a new migration under workflow_runtime/storage/migrations/versions/ (for developers)."""
    command.revision(schema.alembic_config(_database_url()), message=message, autogenerate=autogenerate)
