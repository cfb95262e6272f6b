"""The scratch database a forecast replays in: a temporary SQLite file with the app's schema, deleted afterwards.

Isolation is structural: the replay's engine gets sessions on this file only, and nothing that delivers
(SMTP, webhook calls, widget pushes, chat forwarding) is ever given a message of it, so nothing a
forecast does can leave this file or touch the live database.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Table, delete, event
from sqlalchemy.orm import Session

from workflow_runtime.authoring import flow_store
from workflow_runtime.storage import bulk
from workflow_runtime.storage.database import make_engine, session_factory
from workflow_runtime.storage.models import Base, Flow, FlowStatus, FlowVersion

# The forecast version's id is this plus the forecast's: the process caches definitions by version id
# (engine.definition), and a live version id never reaches 2**40.
SCRATCH_VERSION_BASE = 1 << 40


class ScratchDatabase:
    """A SQLite file of its own, in a temporary folder, holding the app's tables (Base.metadata)."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="automap-forecast-"))
        self.url = f"sqlite:///{self._folder / 'forecast.db'}"
        self.engine = make_engine(self.url)
        event.listen(self.engine, "connect", _disposable)
        Base.metadata.create_all(self.engine)
        self.sessions = session_factory(self.engine)

    def __enter__(self) -> ScratchDatabase:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close its connections and delete the file."""
        self.engine.dispose()
        shutil.rmtree(self._folder, ignore_errors=True)

    def publish(self, flow_id: int, name: str, document: Mapping[str, Any], forecast_id: int) -> int:
        """Store `document` as the draft of a flow with the live flow's id (the split rule hashes it) and publish
        it as the flow's live version, through the app's own publish; returns the version's id
        (SCRATCH_VERSION_BASE + forecast_id).

        Raises:
            FlowInvalid: the document does not validate, or names a segment or template that does not exist.
        """
        version_id = SCRATCH_VERSION_BASE + forecast_id
        with self.sessions.begin() as session:
            flow = Flow(id=flow_id, name=name, draft=dict(document), status=FlowStatus.DRAFT)
            session.add(flow)
            # SQLite gives a new row the largest id plus one: a placeholder just below makes the published
            # version take `version_id`, and goes once it has.
            session.add(FlowVersion(id=version_id - 1, flow_id=flow_id, number=0, document={}))
            session.flush()
            version = flow_store.publish_flow(session, flow)
            session.execute(delete(FlowVersion).where(FlowVersion.id == version_id - 1))
            if version.id != version_id:
                raise RuntimeError(f"the forecast's version took id {version.id}, not {version_id}")
        return version_id


def _disposable(dbapi_connection: Any, _record: Any) -> None:
    """The file is thrown away after the replay: no commit needs to wait for the disk."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def copy_rows(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """INSERT rows read from the live database's `table` as they are (their ids kept); returns how many."""
    rows = list(rows)
    bulk.insert_rows(session, table, rows)
    return len(rows)
