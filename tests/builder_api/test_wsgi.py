"""The gunicorn entry point: a real deployment's API, with a runtime to queue work for the workers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import create_engine, select

from builder_api.app import create_wsgi_app
from builder_api.settings import SettingsError
from tests.conftest import WRITE_KEY
from workflow_runtime.dispatch.job_queue import QUEUE_NAME
from workflow_runtime.dispatch.pending_events import PENDING_EVENTS_KEY
from workflow_runtime.storage.models import Event

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
REDIS_URL = os.environ.get("AUTOMAP_REDIS_URL", "")


def test_a_wsgi_server_refuses_the_embedded_mode_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AUTOMAP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOMAP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(SettingsError, match="automap serve"):
        create_wsgi_app()


@pytest.mark.skipif(not REDIS_URL, reason="a WSGI deployment needs Redis (AUTOMAP_REDIS_URL; CI sets it)")
def test_gunicorn_serves_tracking_and_queues_the_events(database_url: str, session, redis_connection: Redis) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {**os.environ, "AUTOMAP_DATABASE_URL": database_url, "AUTOMAP_REDIS_URL": REDIS_URL,
               "AUTOMAP_WRITE_KEY": WRITE_KEY, "AUTOMAP_ADMIN_TOKEN": "admin", "AUTOMAP_SECRET_KEY": "secret"}
    server = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "1", "builder_api.wsgi:app"],
                              env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # A retry after a timeout sends the same messageId: the event is still stored once.
                answer = httpx.post(f"http://127.0.0.1:{port}/v1/track", auth=(WRITE_KEY, ""), timeout=10,
                                    json={"userId": "u-1", "event": "order_paid", "messageId": "wsgi-1"})
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        database = create_engine(database_url)
        with database.connect() as connection:
            [event_id] = connection.execute(select(Event.id).where(Event.name == "order_paid")).scalars()
        database.dispose()
        jobs = Queue(QUEUE_NAME, connection=redis_connection).get_jobs()
        assert [(job.func_name, job.args) for job in jobs] == [("workflow_runtime.dispatch.jobs.process_pending_events", ())]
        assert redis_connection.lrange(PENDING_EVENTS_KEY, 0, -1) == [str(event_id).encode()]
    finally:
        server.terminate()
        server.wait(timeout=30)
