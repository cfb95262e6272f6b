"""`automap serve` in embedded mode takes tracking calls and its in-process worker applies them."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from tests.builder_api.test_serve import read_banner
from workflow_runtime.storage.models import Run

AUTOMAP = str(Path(sys.executable).with_name("automap"))
CART = Path(__file__).resolve().parents[2] / "flows" / "scenarios" / "abandoned_cart.json"


def test_a_tracked_event_reaches_the_embedded_worker(tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("AUTOMAP_")} | {
        "AUTOMAP_INSTANCE_PATH": str(tmp_path), "COLUMNS": "200"}
    subprocess.run([AUTOMAP, "db", "upgrade"], env=environ, check=True, capture_output=True, timeout=120)
    subprocess.run([AUTOMAP, "flows", "import", "--publish", str(CART)], env=environ, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([AUTOMAP, "serve", "--port", str(port)], env=environ, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    database = create_engine(f"sqlite:///{tmp_path / 'automap.db'}")
    try:
        write_key = re.search(r"Write key\s+(\S+)", read_banner(server)).group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/v1/track", auth=(write_key, ""), timeout=5,
                                    json={"anonymousId": "visitor-1", "event": "cart_updated",
                                          "properties": {"total": 42}})
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "automap serve did not answer"
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        while True:
            with database.connect() as connection:
                node = connection.execute(select(Run.node_id)).scalar()
            if node is not None:
                break
            assert time.monotonic() < deadline, "the embedded worker did not apply the tracked event within 30 s"
            time.sleep(0.2)
        assert node == "wait_for_payment"
    finally:
        server.terminate()
        server.wait(timeout=30)
        database.dispose()
