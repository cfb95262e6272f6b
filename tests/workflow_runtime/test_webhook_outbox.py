"""Webhooks as an outbox: the batch records the call and commits without calling; the webhook deliverer calls
outside any transaction, retries with the same Idempotency-Key, and the run goes on by the outcome."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from nodes import outbound
from nodes.outbound import STRICT, OutboundPolicy
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
)
from tests.workflow_runtime.test_runtime_webhook import settle, webhook_flow
from tests.workflow_runtime.webhook_receiver import webhook_receiver
from workflow_runtime.audience import contact_card
from workflow_runtime.channels import delivery
from workflow_runtime.channels.delivery import LEASE
from workflow_runtime.channels.webhook import Request, WebhookDeliverer, call
from workflow_runtime.dispatch import jobs
from workflow_runtime.storage.models import Channel, DeliveryState, Message, MessageStatus, RunStatus


@pytest.fixture(autouse=True)
def _local_integrations_allowed() -> Iterator[None]:
    outbound.configure(OutboundPolicy.parse(["127.0.0.1/32"]))
    yield
    outbound.configure(STRICT)


def the_call(harness: Any, contact_id: int) -> Message:  # noqa: ANN401 - the Harness fixture
    [message] = [m for m in harness.messages(contact_id) if m.channel is Channel.WEBHOOK]
    return message


def test_the_batch_commits_without_calling_and_the_delivery_job_calls_once(harness) -> None:  # noqa: ANN001
    with webhook_receiver(200) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=3))
        ann = harness.contact()
        jobs.process_events([harness.record_event(ann, "signed_up")])  # the batch job, in this process

        assert crm.keys() == []  # committed, and nothing called
        run = run_of(harness, flow_id, ann)
        assert (run.status, run.node_id) == (RunStatus.WAITING, "crm")
        call_row = the_call(harness, ann)
        assert (call_row.delivery_state, call_row.content["timeout"], call_row.content["retries"]) == (
            DeliveryState.PENDING, 2.0, 3)

        harness.drain()  # the deliver_messages("webhook") job the batch queued
        assert crm.keys() == [f"run:{run.id}:node:crm:visit:1"]
        settle(harness)

    assert crm.keys() == [f"run:{run.id}:node:crm:visit:1"]
    run = run_of(harness, flow_id, ann)
    assert (run.status, run.path[1][:2], run.node_id) == (RunStatus.COMPLETED, ["crm", "next"], "synced")
    assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, "webhook:sent": 1,
                                                                        "webhook:delivered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_two_failures_then_success_are_three_calls_with_one_key(harness) -> None:  # noqa: ANN001
    with webhook_receiver(500, 500, 200) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=3))
        bob = harness.contact()
        harness.track(bob, "signed_up")
        settle(harness)
        settle(harness, timedelta(seconds=30))
        assert run_of(harness, flow_id, bob).node_id == "crm"
        settle(harness, timedelta(seconds=60))

    assert len(crm.keys()) == 3 and len(set(crm.keys())) == 1
    run = run_of(harness, flow_id, bob)
    assert (run.path[1][:2], run.node_id) == (["crm", "next"], "synced")
    assert (the_call(harness, bob).attempts, the_call(harness, bob).status.value) == (3, "delivered")
    assert_counters_balance(harness, flow_id)


def test_a_server_that_always_fails_is_left_by_failed_after_the_retries(harness) -> None:  # noqa: ANN001
    with webhook_receiver(500) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=1))
        cid = harness.contact()
        harness.track(cid, "signed_up")
        settle(harness)
        settle(harness, timedelta(seconds=30))
        settle(harness, timedelta(hours=3))

    assert len(crm.keys()) == 2
    run = run_of(harness, flow_id, cid)
    assert (run.status, run.path[1][:2], run.node_id) == (RunStatus.COMPLETED, ["crm", "failed"], "broken")
    assert counters(harness, live_version(harness, flow_id))["crm"] == {"entered": 1, "webhook:sent": 1,
                                                                        "webhook:failed": 1, "left:failed": 1}
    assert_counters_balance(harness, flow_id)


def visits_flow() -> dict[str, Any]:
    """viewed → exit: a batch of another contact's that must not wait for a webhook call."""
    return document("Visits", {"start": ("trigger", {"event": "viewed"}), "end": ("exit", {"reason": "seen"})},
                    [("start", "next", "end")])


def test_a_slow_server_holds_no_batch_and_is_retried_then_failed(harness) -> None:  # noqa: ANN001
    with webhook_receiver(200, delay=1.5) as crm:  # answers after the 1 s time-out
        flow_id = harness.publish(webhook_flow(crm.url, retries=1, timeout="PT1S"))
        visits = harness.publish(visits_flow())
        slow, other = harness.contact(), harness.contact()
        jobs.process_events([harness.record_event(slow, "signed_up")])
        deliverer = WebhookDeliverer(harness.runtime.sessions, harness.clock.now, harness.runtime.wakeups.mirror)
        delivering = threading.Thread(target=deliverer.deliver_due)
        delivering.start()
        assert crm.called.wait(5)
        harness.track(other, "viewed")  # its batch commits while the call is in flight
        assert run_of(harness, visits, other).status is RunStatus.COMPLETED
        assert delivering.is_alive()
        delivering.join(10)
        assert the_call(harness, slow).delivery_state is DeliveryState.PENDING  # timed out: retried later
        settle(harness, timedelta(seconds=30))

    assert len(crm.keys()) == 2 and len(set(crm.keys())) == 1
    run = run_of(harness, flow_id, slow)
    assert (run.path[1][:2], run.node_id) == (["crm", "failed"], "broken")
    assert "ReadTimeout" in the_call(harness, slow).last_error
    assert_counters_balance(harness, flow_id)


def test_a_call_whose_worker_died_mid_call_is_made_again_with_the_same_key(harness) -> None:  # noqa: ANN001
    with webhook_receiver(200) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=3))
        dan = harness.contact()
        jobs.process_events([harness.record_event(dan, "signed_up")])
        with harness.runtime.sessions.begin() as session:  # a worker claims it, starts the call …
            [held] = delivery.claim(session, Channel.WEBHOOK, harness.clock.now(), limit=5, resubmit_lapsed=True)
            assert delivery.start_submitting(session, held, harness.clock.now())
            message = session.get(Message, held.message_id)
            request, key = Request.of(message.content), message.idempotency_key.removesuffix(":webhook")
        assert call(request, key).ok  # … and dies before recording the answer
        assert the_call(harness, dan).delivery_state is DeliveryState.SUBMITTING
        settle(harness, LEASE - timedelta(seconds=1))
        assert len(crm.keys()) == 1  # the lease holds
        settle(harness, timedelta(seconds=1))

    assert crm.keys() == [key, key]
    assert (the_call(harness, dan).attempts, the_call(harness, dan).status.value) == (2, "delivered")
    run = run_of(harness, flow_id, dan)
    assert (run.path[1][:2], run.node_id) == (["crm", "next"], "synced")
    assert_counters_balance(harness, flow_id)


def test_a_call_whose_run_left_by_its_deadline_is_not_made(harness) -> None:  # noqa: ANN001
    with webhook_receiver(200) as crm:
        flow_id = harness.publish(webhook_flow(crm.url, retries=0))
        eve = harness.contact()
        jobs.process_events([harness.record_event(eve, "signed_up")])
        harness.runtime.jobs.queue.empty()  # its delivery job is lost (its flag lapses), no sweep runs for two hours
        harness.runtime.jobs.delivery_flags.release(Channel.WEBHOOK.value)
        harness.advance(timedelta(hours=2))  # the run leaves by failed at its deadline
        assert run_of(harness, flow_id, eve).node_id == "broken"
        settle(harness)

    assert crm.keys() == []
    assert (the_call(harness, eve).delivery_state, the_call(harness, eve).last_error) == (
        DeliveryState.FAILED, "the run no longer waits at its webhook node")
    assert_counters_balance(harness, flow_id)


def test_the_contact_card_shows_a_call_but_not_its_headers(harness) -> None:  # noqa: ANN001
    """Headers may carry an integration's credentials: they stay in the ledger for the deliverer."""
    contact_id = harness.contact()
    with harness.runtime.sessions.begin() as session:
        session.add(Message(idempotency_key="run:1:node:crm:visit:1:webhook", contact_id=contact_id, node_id="crm",
                            channel=Channel.WEBHOOK, status=MessageStatus.SENT, statuses=["sent"],
                            content={"url": "https://crm.example/hook", "headers": {"Authorization": "Bearer s3cret"}},
                            created_at=harness.clock.now(), updated_at=harness.clock.now()))
    with harness.session() as session:
        [shown] = contact_card.contact_card(session, contact_id)["messages"]
    assert shown["content"] == {"url": "https://crm.example/hook"}
