"""The webhook node against a real HTTP server on 127.0.0.1: success, retries with backoff, failure; the server is
allow-listed (AUTOMAP_OUTBOUND_ALLOW=127.0.0.1/32), and without that the outbound policy lets nothing reach it.

The node records the call in the ledger and the webhook deliverer makes it after the batch (channels.webhook);
`settle` does what the scheduler does meanwhile: queue due deliveries and re-add the runs a delivery woke."""
from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from nodes import outbound
from nodes.outbound import STRICT, OutboundPolicy
from tests.http_servers import serving
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
)
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.storage.models import RunStatus

SERVER_LIFETIME = 10.0  # seconds: a server a failing test forgets still stops itself


@pytest.fixture(autouse=True)
def _local_integrations_allowed() -> Iterator[None]:
    """The servers here listen on 127.0.0.1, which the outbound policy refuses unless an operator allows it."""
    outbound.configure(OutboundPolicy.parse(["127.0.0.1/32"]))
    yield
    outbound.configure(STRICT)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Integration:
    """A local HTTP endpoint answering `status` to every request, and what it received."""

    status: int
    requests: list[Received] = field(default_factory=list)
    url: str = ""


@contextmanager
def integration(status: int) -> Iterator[Integration]:
    """An HTTP server on an ephemeral 127.0.0.1 port, shut down on exit or after SERVER_LIFETIME."""
    endpoint = Integration(status)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw and self.headers.get("Content-Type") == "application/json" else raw.decode()
            endpoint.requests.append(Received(self.command, self.path, dict(self.headers), body))
            self.send_response(endpoint.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_PUT = do_GET = _answer  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler, lifetime=SERVER_LIFETIME) as server:
        endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/lead"
        yield endpoint


def settle(harness: Any, delta: timedelta = timedelta()) -> None:  # noqa: ANN401 - the Harness fixture
    """Move virtual time by `delta`, then do what the scheduler does: queue the deliveries due (a retry's time
    came), and re-add the runs a delivery woke (its reconcile of overdue wake-ups, until deliver_messages
    mirrors them itself), and let the workers run."""
    harness.advance(delta)
    scheduler = Scheduler(harness.runtime)
    for _ in range(2):
        scheduler.sweep_deliveries()
        harness.drain()
        scheduler.reconcile_all()
        harness.drain()


@contextmanager
def closed_port() -> Iterator[str]:
    """A URL on a 127.0.0.1 port that is bound but not listening, so connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/lead"
    finally:
        sock.close()


def webhook_flow(url: str, retries: int, body: dict[str, Any] | None = None, timeout: str = "PT2S") -> dict[str, Any]:
    """signed_up → webhook → next: chat then exit / failed: exit."""
    return document(
        "CRM sync",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "crm": ("webhook", {"url": url, "method": "POST", "headers": {"X-Source": "automap"},
                                "body": body or {"plan": "trial"}, "timeout": timeout,
                                "retries": retries}),
            "welcome": ("send_chat", {"body": "You are in our CRM now"}),
            "synced": ("exit", {"reason": "synced"}),
            "broken": ("exit", {"reason": "CRM unreachable"}),
        },
        [("start", "next", "crm"), ("crm", "next", "welcome"), ("welcome", "next", "synced"), ("crm", "failed", "broken")],
    )


def test_a_2xx_answer_goes_on_by_next_with_an_idempotency_key(harness) -> None:  # noqa: ANN001 - the Harness fixture
    with integration(201) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=3))
        ann = harness.contact(email="ann@example.com")
        harness.track(ann, "signed_up")
        settle(harness)

    [request] = crm.requests
    run = run_of(harness, flow_id, ann)
    assert (request.method, request.path) == ("POST", "/hooks/lead")
    assert request.headers["Idempotency-Key"] == f"run:{run.id}:node:crm:visit:1"
    assert request.headers["X-Source"] == "automap"
    assert request.body == {"plan": "trial"}
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "synced", "synced")
    assert [(m.node_id, m.channel.value, m.status.value) for m in harness.messages(ann)] == [
        ("crm", "webhook", "delivered"), ("welcome", "chat", "sent")]
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["crm"] == {"entered": 1, "webhook:sent": 1, "webhook:delivered": 1, "left:next": 1}
    assert "broken" not in stats
    assert_counters_balance(harness, flow_id)


def test_a_failing_server_is_retried_with_backoff_then_failed(harness) -> None:  # noqa: ANN001
    with integration(500) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=2))
        bob = harness.contact()
        harness.track(bob, "signed_up")
        settle(harness)
        assert len(crm.requests) == 1
        run = run_of(harness, flow_id, bob)
        assert (run.status, run.node_id) == (RunStatus.WAITING, "crm")
        assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, "webhook:sent": 1,
                                                                            "webhook:queued": 1, "waiting": 1}

        settle(harness, timedelta(seconds=29))
        assert len(crm.requests) == 1
        settle(harness, timedelta(seconds=1))  # retry 1 after 30 s
        assert len(crm.requests) == 2
        settle(harness, timedelta(seconds=59))
        assert len(crm.requests) == 2
        settle(harness, timedelta(seconds=1))  # retry 2 after another 60 s: the last one
        assert len(crm.requests) == 3
        settle(harness, timedelta(hours=1))
        assert len(crm.requests) == 3

    assert len({r.headers["Idempotency-Key"] for r in crm.requests}) == 1  # one logical call, retried
    run = run_of(harness, flow_id, bob)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "broken", "CRM unreachable")
    assert run.path[1][:2] == ["crm", "failed"]
    [call] = harness.messages(bob)
    assert (call.status.value, call.attempts, call.last_error) == ("failed", 3, "gave up after 3 attempts: answered "
                                                                  "500 Internal Server Error")
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["crm"] == {"entered": 1, "webhook:sent": 1, "webhook:failed": 1, "left:failed": 1}
    assert_counters_balance(harness, flow_id)


def test_a_server_that_recovers_during_the_retries_goes_on_by_next(harness) -> None:  # noqa: ANN001
    with integration(503) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=3))
        cid = harness.contact()
        harness.track(cid, "signed_up")
        crm.status = 200
        settle(harness, timedelta(seconds=30))
    assert len(crm.requests) == 2
    run = run_of(harness, flow_id, cid)
    assert (run.node_id, run.path[1][:2]) == ("synced", ["crm", "next"])
    assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, "webhook:sent": 1,
                                                                        "webhook:delivered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_a_closed_port_fails_too(harness) -> None:  # noqa: ANN001
    with closed_port() as url:
        flow_id = harness.publish(webhook_flow(url, retries=1))
        dan = harness.contact()
        harness.track(dan, "signed_up")
        settle(harness)
        assert run_of(harness, flow_id, dan).status is RunStatus.WAITING
        settle(harness, timedelta(seconds=30))

    run = run_of(harness, flow_id, dan)
    assert (run.status, run.node_id, run.path[1][:2]) == (RunStatus.COMPLETED, "broken", ["crm", "failed"])
    assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, "webhook:sent": 1,
                                                                        "webhook:failed": 1, "left:failed": 1}
    assert_counters_balance(harness, flow_id)


def test_the_webhook_body_is_filled_in_for_the_contact(harness) -> None:  # noqa: ANN001
    with integration(200) as crm:
        harness.publish(webhook_flow(crm.url, retries=0, body={"email": "{{ email }}"}))
        eva = harness.contact(email="eva@example.com")
        harness.track(eva, "signed_up")
        settle(harness)
    assert [request.body for request in crm.requests] == [{"email": "eva@example.com"}]


def test_an_internal_address_is_refused_at_once_and_the_server_gets_nothing(
        harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    """Published while the allow-list let it, or under a name only a look-up shows to be internal: the run
    leaves by `failed` with no retry, and the server never sees a request."""
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs:
                        real("127.0.0.1" if host == "crm.example.com" else host, *args, **kwargs))
    caplog.set_level(logging.WARNING, logger="nodes.webhook")
    with integration(200) as crm:
        allowed_then = harness.publish(webhook_flow(crm.url, retries=3))
        by_name = harness.publish(webhook_flow(crm.url.replace("127.0.0.1", "crm.example.com"), retries=3))
        outbound.configure(STRICT)  # the operator took 127.0.0.1 off the allow-list
        ann = harness.contact()
        harness.track(ann, "signed_up")  # enters both flows
        settle(harness)
        settle(harness, timedelta(hours=2))  # no retry falls due

    assert crm.requests == []
    # 127.0.0.1 is refused by the node, nothing recorded; the name only by the deliverer, once it resolved it.
    for flow_id, recorded in ((allowed_then, {}), (by_name, {"webhook:sent": 1, "webhook:failed": 1})):
        run = run_of(harness, flow_id, ann)
        assert (run.status, run.node_id, run.path[1][:2]) == (RunStatus.COMPLETED, "broken", ["crm", "failed"])
        assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, **recorded, "left:failed": 1}
        assert_counters_balance(harness, flow_id)
    [refused] = harness.messages(ann)
    assert refused.attempts == 1 and "crm.example.com resolves to 127.0.0.1, a loopback address" in refused.last_error
    assert "127.0.0.1 is a loopback address, this server itself" in caplog.text
