"""Alembic's environment: our models' metadata on the database URL it was given, without Flask.

`workflow_runtime.storage.schema` sets `sqlalchemy.url`; run by hand with `alembic -c …/alembic.ini`,
the URL comes from AUTOMAP_DATABASE_URL.
"""
import logging
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from workflow_runtime.storage.database import configure_engine, engine_options
from workflow_runtime.storage.models import Base
from workflow_runtime.storage.models.base import UTCDateTime

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("AUTOMAP_DATABASE_URL")
    if not url:
        raise SystemExit("no database to migrate: set AUTOMAP_DATABASE_URL or run `automap db upgrade`")
    return url


def render_item(type_, obj, autogen_context):
    """Write the models' custom column types as plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def process_revision_directives(context, revision, directives):
    """Write no empty migration when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


# SQLite alters tables by copying them ("batch" mode); PostgreSQL alters them in place.
OPTIONS = {"target_metadata": Base.metadata, "render_as_batch": True, "render_item": render_item,
           "process_revision_directives": process_revision_directives}


def run_migrations_offline():
    """Write the SQL instead of running it (`--sql`)."""
    context.configure(url=database_url(), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a connection of an engine configured as the app's (SQLite pragmas, UTC)."""
    url = database_url()
    connectable = configure_engine(create_engine(url, poolclass=pool.NullPool, **engine_options(url)))
    with connectable.connect() as connection:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
