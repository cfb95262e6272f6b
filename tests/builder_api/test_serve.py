"""`automap serve` as `make run` starts it: embedded defaults, one process, URL, a login and secrets printed once."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select

from flows.scenarios import all_scenarios
from tests.mail_server import free_port
from workflow_runtime.storage.models import Contact, Event, Run, UnappliedEvent

AUTOMAP = str(Path(sys.executable).with_name("automap"))


def test_embedded_serve_prints_how_to_use_it_and_answers(tmp_path: Path) -> None:
    environ = {
        key: value for key, value in os.environ.items()
        if not key.startswith("AUTOMAP_")
    } | {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "COLUMNS": "200"}
    subprocess.run([AUTOMAP, "db", "upgrade"], env=environ, check=True, capture_output=True, timeout=120)
    loaded = subprocess.run([AUTOMAP, "scenarios", "load"], env=environ, check=True, capture_output=True, text=True)
    assert "loaded" in loaded.stdout

    port = free_port()
    server = subprocess.Popen(
        [AUTOMAP, "serve", "--port", str(port)], env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "automap serve did not answer within 30 s"
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "sqlite", "queue": "embedded"}
        banner = read_banner(server)
        token = re.search(r"Admin token\s+(\S+)", banner).group(1)
        answer = httpx.get(f"http://127.0.0.1:{port}/api/node-types", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200

        email, password = re.search(r"Login\s+(\S+)\s+password\s+(\S+)", banner).groups()
        assert json.loads((tmp_path / "secrets.json").read_text())["demo_password"] == password
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            login = browser.post("/api/session", json={"email": email, "password": password})
            assert login.status_code == 200
            flows = browser.get("/api/flows").json()["flows"]
            # loaded by `scenarios load`
            assert sorted(flow["name"] for flow in flows) == sorted(template.name for template in all_scenarios())
        assert (tmp_path / "automap.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)

    # A restart prints none of those secrets, only where they are kept: a server's output ends up in logs.
    server = subprocess.Popen([AUTOMAP, "serve", "--port", str(free_port())], env=environ, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        again = read_banner(server)
        assert token not in again and password not in again
        assert f'"admin_token" in {tmp_path / "secrets.json"}' in again
    finally:
        server.terminate()
        server.wait(timeout=30)


def read_banner(server: subprocess.Popen[str]) -> str:
    """`automap serve`'s banner, up to its write key line; fails, instead of waiting for ever, if the
    process ends or its output ends first."""
    lines: list[str] = []
    while not any(line.startswith("Write key") for line in lines):
        line = server.stdout.readline()
        assert line, f"automap serve ended its output before printing its write key:\n{''.join(lines)}"
        lines.append(line)
    banner = "".join(lines)
    assert "http://127.0.0.1:" in banner
    return banner


def test_the_embedded_worker_and_scheduler_run_the_flows(tmp_path: Path) -> None:
    """An event recorded before start is queued by the scheduler's start-up reconcile and
    applied by the in-process worker: the run shows up in the SQLite file."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("AUTOMAP_")} | {
        "AUTOMAP_INSTANCE_PATH": str(tmp_path)
    }
    subprocess.run([AUTOMAP, "db", "upgrade"], env=environ, check=True, capture_output=True, timeout=120)
    cart = Path(__file__).resolve().parents[2] / "flows" / "scenarios" / "abandoned_cart.json"
    subprocess.run([AUTOMAP, "flows", "import", "--publish", str(cart)], env=environ, check=True, capture_output=True)
    database = create_engine(f"sqlite:///{tmp_path / 'automap.db'}")
    now = datetime.now(UTC)
    with database.begin() as connection:
        contact_id = connection.execute(
            insert(Contact).values(email="anna@example.com", properties={}, tags=[], first_seen_at=now, last_seen_at=now)
        ).inserted_primary_key[0]
        event_id = connection.execute(
            insert(Event).values(contact_id=contact_id, name="cart_updated", properties={"total": 42}, timestamp=now,
                                 received_at=now, context={})
        ).inserted_primary_key[0]
        connection.execute(insert(UnappliedEvent).values(event_id=event_id))  # as ingestion stores it

    server = subprocess.Popen([AUTOMAP, "serve", "--port", str(free_port())], env=environ,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with database.connect() as connection:
                node = connection.execute(select(Run.node_id).where(Run.contact_id == contact_id)).scalar()
            if node is not None:
                break
            assert time.monotonic() < deadline, "the embedded worker did not apply the event within 30 s"
            assert server.poll() is None
            time.sleep(0.2)
        assert node == "wait_for_payment"
    finally:
        server.terminate()
        server.wait(timeout=30)
        database.dispose()
