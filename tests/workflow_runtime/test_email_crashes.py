"""A worker killed before or during the SMTP hand-over never duplicates an email; a lapsed claim is taken over once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask

from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import only_message, settings_for, sweep_and_drain, welcome_flow
from tests.workflow_runtime.runtime_support import counters, live_version
from workflow_runtime.channels import delivery
from workflow_runtime.channels.delivery import INTERRUPTED, LEASE
from workflow_runtime.dispatch import jobs
from workflow_runtime.storage.models import Channel, DeliveryState

ROOT = Path(__file__).resolve().parents[2]


def deliver_in_a_process_killed_when(harness, app: Flask, mail_server: MailServer,  # noqa: ANN001
                                     hook: str) -> int:
    """Run a delivery worker process and SIGKILL it when the SMTP server reaches `hook` (rcpt or data)."""
    worker: list[subprocess.Popen[bytes]] = []

    def kill() -> None:
        os.kill(worker[0].pid, signal.SIGKILL)
        worker[0].wait()

    setattr(mail_server, f"on_{hook}", kill)
    command = [sys.executable, "-m", "tests.workflow_runtime.email_worker", app.config["AUTOMAP"].database_url,
               mail_server.url, harness.clock.now().isoformat()]
    worker.append(subprocess.Popen(command, cwd=ROOT))
    code = worker[0].wait(timeout=120)
    setattr(mail_server, f"on_{hook}", None)
    return code


def recorded_welcome(harness) -> tuple[int, int]:  # noqa: ANN001
    """A welcome email recorded in the ledger (no deliverer in this process yet): (flow id, contact id)."""
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(email="ann@example.com", name="Ann")
    harness.track(ann, "signed_up", {"plan": "pro"})
    assert only_message(harness, ann).delivery_state is DeliveryState.PENDING
    return flow_id, ann


def test_a_worker_killed_while_the_server_receives_the_email_never_causes_a_second_copy(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    flow_id, ann = recorded_welcome(harness)
    assert deliver_in_a_process_killed_when(harness, app, mail_server, "data") == -signal.SIGKILL
    assert len(mail_server.messages) == 1  # the server kept it; the worker died before it heard so
    assert only_message(harness, ann).delivery_state is DeliveryState.SUBMITTING

    harness.runtime.email = settings_for(app, mail_server)
    assert sweep_and_drain(harness) == 0  # the dead worker's lease still runs
    harness.clock.advance(LEASE)
    assert sweep_and_drain(harness) == 1
    message = only_message(harness, ann)
    assert (message.delivery_state, message.last_error) == (DeliveryState.FAILED, INTERRUPTED)
    harness.clock.advance(timedelta(hours=1))
    sweep_and_drain(harness)
    assert len(mail_server.messages) == 1  # erring on the side of never twice: not resent
    assert counters(harness, live_version(harness, flow_id))["welcome"]["email:failed"] == 1


def test_a_worker_killed_before_the_hand_over_leaves_the_email_to_the_next_one_which_sends_it_once(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    flow_id, ann = recorded_welcome(harness)
    assert deliver_in_a_process_killed_when(harness, app, mail_server, "rcpt") == -signal.SIGKILL
    assert mail_server.messages == []
    assert (only_message(harness, ann).delivery_state, only_message(harness, ann).attempts) == (DeliveryState.SENDING, 1)

    harness.runtime.email = settings_for(app, mail_server)
    harness.clock.advance(LEASE)
    sweep_and_drain(harness)
    assert len(mail_server.messages) == 1
    message = only_message(harness, ann)
    assert (message.delivery_state, message.attempts) == (DeliveryState.DELIVERED, 2)
    assert jobs.deliver_messages("email") == 0  # a repeated job finds nothing to send
    assert len(mail_server.messages) == 1
    stats = counters(harness, live_version(harness, flow_id))["welcome"]
    assert (stats["email:delivered"], stats.get("email:failed", 0)) == (1, 0)


def test_a_worker_whose_claim_lapsed_and_was_taken_over_does_not_send(harness) -> None:  # noqa: ANN001
    _flow_id, ann = recorded_welcome(harness)
    now = harness.clock.now
    with harness.runtime.sessions.begin() as session:
        [slow] = delivery.claim(session, Channel.EMAIL, now(), limit=10)
    with harness.runtime.sessions.begin() as session:
        assert delivery.claim(session, Channel.EMAIL, now(), limit=10) == []  # held under the lease
    harness.clock.advance(LEASE)
    with harness.runtime.sessions.begin() as session:
        [fresh] = delivery.claim(session, Channel.EMAIL, now(), limit=10)
    assert (fresh.message_id, fresh.attempt) == (slow.message_id, slow.attempt + 1)
    with harness.runtime.sessions.begin() as session:
        assert delivery.start_submitting(session, slow, now()) is False  # its claim is gone: it sends nothing
    with harness.runtime.sessions.begin() as session:
        assert delivery.start_submitting(session, fresh, now()) is True
    assert only_message(harness, ann).delivery_state is DeliveryState.SUBMITTING
