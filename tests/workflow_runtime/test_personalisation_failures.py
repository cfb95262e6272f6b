"""A template that fails for one contact fails that contact's message (or webhook call), never the batch.

Each test runs one batch of five contacts: one whose event makes the template fail
(`'%.2f'|format("abc")`, `100 / 0`) and four it renders for, who are all processed.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from nodes import outbound
from nodes.outbound import STRICT, OutboundPolicy
from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import settings_for
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    assert_no_failed_jobs,
    counters,
    document,
    live_version,
    run_of,
    track_all,
)
from tests.workflow_runtime.test_runtime_webhook import integration, settle
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import DeliveryState, MessageStatus, RunStatus

TOTAL = "{{ '%.2f'|format(event.total) }}"  # TypeError for a total that is not a number
SHARE = "{{ 100 / event.n }}"  # ZeroDivisionError for n = 0
BAD = {"total": "abc", "n": 0}
GOOD = {"total": 12.5, "n": 4}


def one_step(node: tuple[str, dict[str, Any]], failed_port: bool = False) -> dict[str, Any]:
    """signed_up → the node under test → exit (and its `failed` port → another exit)."""
    nodes = {"start": ("trigger", {"event": "signed_up"}), "send": node, "end": ("exit", {"reason": "done"})}
    edges = [("start", "next", "send"), ("send", "next", "end")]
    if failed_port:
        nodes["broken"] = ("exit", {"reason": "call failed"})
        edges.append(("send", "failed", "broken"))
    return document("Personalisation under test", nodes, edges)


def five_contacts(harness: Any, **fields: Any) -> tuple[int, list[int]]:
    """The contact the template fails for, and four it renders for, all sent signed_up in one batch."""
    bad, *good = [harness.contact(name=f"Contact {number}", **fields) for number in range(5)]
    track_all(harness, [bad, *good], "signed_up", [BAD] + [GOOD] * 4)
    assert_no_failed_jobs(harness)
    return bad, good


def test_an_email_that_cannot_be_personalised_fails_alone_with_the_reason(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(one_step(("send_email", {
        "subject": "Your order of {{ event.total }}",
        "body": f"<mjml><mj-body><mj-text>Total: {TOTAL}, share {SHARE}</mj-text></mj-body></mjml>"})))
    bad, good = five_contacts(harness)

    assert len(mail_server.messages) == 4 and sorted(mail_server.recipients) == sorted(
        [[f"contact{number}@example.com"] for number in range(2, 6)])
    [failed] = harness.messages(bad)
    assert (failed.status, failed.delivery_state) == (MessageStatus.FAILED, DeliveryState.FAILED)
    assert failed.last_error.startswith("cannot personalise the email's body:") and "TypeError" in failed.last_error
    for contact in good:
        [message] = harness.messages(contact)
        assert message.status is MessageStatus.DELIVERED
    for contact in (bad, *good):
        assert run_of(harness, flow_id, contact).status is RunStatus.COMPLETED
    stats = counters(harness, live_version(harness, flow_id))["send"]
    assert stats == {"entered": 5, "email:sent": 5, "email:delivered": 4, "email:failed": 1, "left:next": 5}
    assert_counters_balance(harness, flow_id)


@pytest.mark.parametrize(("node", "shown"), [
    (("send_chat", {"body": f"Your total is {TOTAL}"}), {"body": "Your total is 12.50"}),
    (("send_popup", {"size": "small", "title": f"{SHARE}% off", "body": f"On {TOTAL}"}),
     {"title": "25.0% off", "body": "On 12.50"}),
], ids=["chat", "popup"])
def test_an_on_site_message_that_cannot_be_personalised_fails_alone_with_the_reason(
        harness, node: tuple[str, dict[str, Any]], shown: dict[str, str]) -> None:  # noqa: ANN001
    flow_id = harness.publish(one_step(node))
    bad, good = five_contacts(harness)

    with harness.session() as session:
        assert onsite.pending(session, bad) == []  # never shown
        for contact in good:
            [view] = onsite.pending(session, contact)
            assert {key: view[key] for key in shown} == shown
    [bad_message] = harness.messages(bad)
    assert (bad_message.status, bad_message.statuses) == (MessageStatus.FAILED, ["sent", "failed"])
    assert bad_message.last_error.startswith(f"cannot personalise the {bad_message.channel.value} message:")
    for contact in (bad, *good):
        assert run_of(harness, flow_id, contact).status is RunStatus.COMPLETED
    channel = node[0].removeprefix("send_")
    # The four good messages wait on the site to be shown; the failed one never entered the queue.
    assert counters(harness, live_version(harness, flow_id))["send"] == {
        "entered": 5, f"{channel}:sent": 5, f"{channel}:failed": 1, f"{channel}:queued": 4, "left:next": 5}
    assert_counters_balance(harness, flow_id)


@pytest.fixture
def local_integrations_allowed() -> Iterator[None]:
    outbound.configure(OutboundPolicy.parse(["127.0.0.1/32"]))
    yield
    outbound.configure(STRICT)


@pytest.mark.usefixtures("local_integrations_allowed")
@pytest.mark.parametrize(("config", "reason"), [
    ({"body": {"share": SHARE, "total": TOTAL}}, "ZeroDivisionError"),
    ({"body": f"total={TOTAL}"}, "TypeError"),
    ({"headers": {"X-Share": SHARE}}, "ZeroDivisionError"),
], ids=["json body", "text body", "header"])
def test_a_webhook_whose_personalisation_fails_leaves_by_failed_at_once(
        harness, caplog: pytest.LogCaptureFixture, config: dict[str, Any], reason: str) -> None:  # noqa: ANN001
    caplog.set_level(logging.WARNING, logger="nodes.webhook")
    with integration(200) as crm:
        flow_id = harness.publish(one_step(("webhook", {"url": crm.url, "retries": 3, **config}), failed_port=True))
        bad, good = five_contacts(harness)
        settle(harness)  # the calls are made after the batch, by the webhook deliverer

    assert len(crm.requests) == 4, "the four it renders for are called, the fifth is not"
    bad_run = run_of(harness, flow_id, bad)
    assert (bad_run.status, bad_run.node_id, bad_run.path[1][:2]) == (RunStatus.COMPLETED, "broken", ["send", "failed"])
    assert f"webhook run:{bad_run.id}:node:send:visit:1 not called: cannot render" in caplog.text
    assert reason in caplog.text
    for contact in good:
        assert run_of(harness, flow_id, contact).node_id == "end"
    stats = counters(harness, live_version(harness, flow_id))["send"]
    assert (stats["entered"], stats["left:next"], stats["left:failed"]) == (5, 4, 1)
    assert_counters_balance(harness, flow_id)


@pytest.mark.usefixtures("local_integrations_allowed")
def test_a_header_value_http_cannot_carry_fails_the_call_at_once(harness, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.WARNING, logger="nodes.webhook")
    with integration(200) as crm:
        flow_id = harness.publish(one_step(("webhook", {"url": crm.url, "headers": {"X-Contact": "{{ name }}"}}),
                                           failed_port=True))
        josé, *others = [harness.contact(name=name) for name in ("José", "Ann", "Bob", "Cem", "Dee")]
        track_all(harness, [josé, *others], "signed_up")
        settle(harness)

    assert_no_failed_jobs(harness)
    assert sorted(request.headers["X-Contact"] for request in crm.requests) == ["Ann", "Bob", "Cem", "Dee"]
    assert run_of(harness, flow_id, josé).path[1][:2] == ["send", "failed"]
    assert "the header X-Contact renders to 'José', which an HTTP header cannot carry" in caplog.text
    assert_counters_balance(harness, flow_id)
