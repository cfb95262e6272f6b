"""The product's server processes, started for a benchmark the way a deployment runs them.

- `start_servers`: real PostgreSQL and Redis. One API server process (gunicorn, one gthread
  worker process), one `automap widget-stream` and one `automap worker`, as docker-compose.yml runs them.
- `start_embedded`: the embedded default. One `automap serve` process holds the API, the
  worker and the scheduler, over a SQLite file and an in-process Redis stand-in.

The bench process stays the client. It shares the machine's cores with these processes,
but not their interpreter lock.
"""
from __future__ import annotations

import base64
import http.client
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.process_cpu import cpu_seconds
from tests.mail_server import free_port

BIN = Path(sys.executable).parent


@dataclass
class Servers:
    """The processes serving the API (`api`), the widgets' streams (`stream`) and working the jobs (`worker`);
    `stream` and `worker` are None where `api` does it all."""

    api: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes] | None
    url: str
    write_key: str  # the public site key: what browsers send
    server_key: str  # the backend's key: its calls are trusted (identity verification)
    admin_token: str
    stream: subprocess.Popen[bytes] | None = None
    stream_url: str | None = None  # where widgets open their stream when `stream` serves them

    def api_worker_pid(self) -> int:
        """The gunicorn worker process (the API's `api` is its arbiter)."""
        children = Path(f"/proc/{self.api.pid}/task/{self.api.pid}/children").read_text().split()
        return int(children[0])

    def cpu(self) -> tuple[float, float]:
        """CPU seconds of the gunicorn worker and of the `automap worker`."""
        assert self.worker is not None, "the embedded server does both in one process"
        return cpu_seconds(self.api_worker_pid()), cpu_seconds(self.worker.pid)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [process for process in (self.api, self.stream, self.worker) if process is not None]

    def stop(self) -> None:
        for process in self.processes():
            process.terminate()
        for process in self.processes():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class TrackingClient:
    """POSTs tracking calls with `key` (the site key for visitors, the server key for a backend), on one keep-alive `http.client` connection per thread: the
    client shares the cores with the servers it measures, and this takes a fraction of the CPU a
    full-featured client does."""

    def __init__(self, servers: Servers, key: str) -> None:
        self._address = urlsplit(servers.url)
        self._headers = {"Content-Type": "application/json",
                         "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        self._local = threading.local()

    def post(self, path: str, body: bytes | str) -> tuple[int, bytes]:
        """The answer's status and body."""
        if not hasattr(self._local, "connection"):
            self._local.connection = http.client.HTTPConnection(self._address.hostname, self._address.port,
                                                                timeout=60)
        self._local.connection.request("POST", path, body=body, headers=self._headers)
        answer = self._local.connection.getresponse()
        return answer.status, answer.read()


def _environment(database_url: str, **settings: str) -> tuple[dict[str, str], dict[str, str]]:
    """The servers' environment, and the keys in it (write_key, server_key, admin_token)."""
    keys = {"write_key": secrets.token_urlsafe(16), "server_key": secrets.token_urlsafe(16),
            "admin_token": secrets.token_urlsafe(16)}
    environ = {**os.environ, "AUTOMAP_DATABASE_URL": database_url, "AUTOMAP_WRITE_KEY": keys["write_key"],
               "AUTOMAP_SERVER_KEY": keys["server_key"], "AUTOMAP_ADMIN_TOKEN": keys["admin_token"],
               "AUTOMAP_SECRET_KEY": secrets.token_urlsafe(16), **settings}
    return environ, keys


def start_servers(database_url: str, redis_url: str, threads: int, job_batch_size: int = 500,
                  **settings: str) -> Servers:
    """gunicorn (one process of `threads` threads), one `automap widget-stream` and one `automap worker`, on
    PostgreSQL and Redis; `settings` are more environment variables."""
    stream_port, port = free_port(), free_port()
    environ, keys = _environment(database_url, AUTOMAP_REDIS_URL=redis_url, AUTOMAP_BATCH_SIZE=str(job_batch_size),
                                 AUTOMAP_WIDGET_STREAM_URL=f"http://127.0.0.1:{stream_port}/widget/stream",
                                 AUTOMAP_INBOX_STREAM_URL=f"http://127.0.0.1:{stream_port}/inbox/stream",
                                 **settings)
    api = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                            "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning",
                            "builder_api.wsgi:app"], env=environ, stdout=subprocess.DEVNULL)
    stream = subprocess.Popen([str(BIN / "automap"), "widget-stream", "--port", str(stream_port)], env=environ,
                              stdout=subprocess.DEVNULL)
    worker = subprocess.Popen([str(BIN / "automap"), "worker", "--without-scheduler"], env=environ,
                              stdout=subprocess.DEVNULL)
    return _ready(Servers(api, worker, f"http://127.0.0.1:{port}", stream=stream,
                          stream_url=environ["AUTOMAP_WIDGET_STREAM_URL"], **keys))


def start_embedded(database_url: str, instance_path: Path, **settings: str) -> Servers:
    """`automap serve` in embedded mode: API, widget streams, worker and scheduler in one process."""
    environ, keys = _environment(database_url, AUTOMAP_INSTANCE_PATH=str(instance_path), **settings)
    environ.pop("AUTOMAP_REDIS_URL", None)
    port = free_port()
    api = subprocess.Popen([str(BIN / "automap"), "serve", "--port", str(port)], env=environ,
                           stdout=subprocess.DEVNULL)
    return _ready(Servers(api, None, f"http://127.0.0.1:{port}", **keys))


def _ready(servers: Servers) -> Servers:
    """The servers, once the API answers /healthz and the stream server (if apart) refuses a stream without token."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{servers.url}/healthz", timeout=2).status_code == 200 and (
                    servers.stream_url is None or httpx.get(servers.stream_url, timeout=2).status_code == 403):
                return servers
        except httpx.TransportError:
            pass
        if any(process.poll() is not None for process in servers.processes()) or time.monotonic() > deadline:
            servers.stop()
            raise SystemExit("the servers did not start (see their output above)")
        time.sleep(0.2)
