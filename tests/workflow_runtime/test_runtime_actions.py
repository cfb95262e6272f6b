"""Nodes that act: send_email / send_chat (the ledger), update_contact, goal and exit."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    revenue,
    run_of,
    track_all,
)
from workflow_runtime.storage.models import Contact, MessageStatus, RunStatus


def chain(name: str, steps: dict[str, tuple[str, dict[str, Any]]], **settings: Any) -> dict[str, Any]:
    """A straight line: signed_up → each step by its `next` port → an exit ("end", reason "done")."""
    nodes = {"start": ("trigger", {"event": "signed_up"}), **steps, "end": ("exit", {"reason": "done"})}
    ids = list(nodes)
    return document(name, nodes, [(a, "next", b) for a, b in zip(ids, ids[1:])], **settings)


def test_sends_are_recorded_in_the_ledger_and_counted(harness) -> None:  # noqa: ANN001 - the Harness fixture
    flow_id = harness.publish(chain("Welcome", {
        "hello": ("send_chat", {"body": "Hi {{ name }}!", "sender_name": "Anna"}),
        "pause": ("wait", {"duration": "P1D"}),
        "mail": ("send_email", {"subject": "Welcome", "body": "<mjml>hi</mjml>", "preheader": "Glad you came",
                                "goal": {"event": "order_paid", "within": "P7D"}}),
    }))
    ann = harness.contact(email="ann@example.com", name="Ann")
    harness.track(ann, "signed_up")
    [chat] = harness.messages(ann)
    run = run_of(harness, flow_id, ann)
    assert (chat.channel.value, chat.node_id, chat.run_id, chat.status) == ("chat", "hello", run.id, MessageStatus.SENT)
    assert chat.content == {"body": "Hi {{ name }}!", "sender_name": "Anna"}
    assert chat.flow_version_id == live_version(harness, flow_id)
    assert chat.idempotency_key == f"run:{run.id}:node:hello:visit:1:chat"

    harness.advance(timedelta(days=1))
    chat, mail = harness.messages(ann)
    assert (mail.channel.value, mail.node_id, mail.status, mail.statuses) == ("email", "mail", MessageStatus.SENT, ["sent"])
    assert mail.content == {"subject": "Welcome", "body": "<mjml>hi</mjml>", "preheader": "Glad you came"}
    assert mail.created_at == chat.created_at + timedelta(days=1)
    run = run_of(harness, flow_id, ann)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "end", "done")
    stats = counters(harness, live_version(harness, flow_id))
    # No channel delivered them here (no SMTP server, no visitor on the site): both are still queued.
    assert stats["hello"] == {"entered": 1, "chat:sent": 1, "chat:queued": 1, "left:next": 1}
    assert stats["mail"] == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert stats["end"] == {"entered": 1, "completed": 1}
    assert_counters_balance(harness, flow_id)


def test_update_contact_sets_unsets_and_tags(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(
        "Tagging",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "promote": ("update_contact", {"set": {"plan": "pro", "seats": 5}, "unset": ["trial_ends"],
                                           "add_tags": ["paid", "vip"], "remove_tags": ["trial"]}),
            "check": ("condition", {"filter": {"all": [{"property": "plan", "op": "eq", "value": "pro"},
                                                        {"property": "tags", "op": "contains", "value": "vip"}]}}),
            "end": ("exit", {"reason": "done"}),
            "unchanged": ("exit", {"reason": "the change was not visible"}),
        },
        [("start", "next", "promote"), ("promote", "next", "check"), ("check", "yes", "end"), ("check", "no", "unchanged")],
    ))
    ben = harness.contact(properties={"plan": "trial", "trial_ends": "2026-03-16", "company": "Acme"}, tags=["trial", "newsletter"])
    harness.track(ben, "signed_up")

    with harness.session() as session:
        contact = session.get(Contact, ben)
        assert contact.properties == {"plan": "pro", "seats": 5, "company": "Acme"}
        assert contact.tags == ["newsletter", "paid", "vip"]
    run = run_of(harness, flow_id, ben)
    assert run.path[2][:2] == ["check", "yes"]  # the next node sees the change in the same step
    assert run.end_reason == "done"
    assert counters(harness, live_version(harness, flow_id))["promote"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_update_contact_writes_dotted_paths_into_nested_properties(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(chain("Move", {
        "move": ("update_contact", {"set": {"address.city": "Berlin"}, "unset": ["address.zip"]}),
    }))
    cleo = harness.contact(properties={"address": {"city": "Paris", "zip": "75001", "street": "Rue X"}})
    harness.track(cleo, "signed_up")
    with harness.session() as session:
        assert session.get(Contact, cleo).properties == {"address": {"city": "Berlin", "street": "Rue X"}}
    assert run_of(harness, flow_id, cleo).status is RunStatus.COMPLETED


def test_a_goal_node_credits_every_node_before_it_once_with_its_revenue(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(chain("Checkpoint", {
        "mail": ("send_email", {"subject": "Offer", "body": "<mjml></mjml>"}),
        "won": ("goal", {"name": "Clicked through", "revenue": 49.9}),
        "pause": ("wait", {"duration": "PT1H"}),
        "won_again": ("goal", {"name": "Still here", "revenue": 10}),
    }, goal={"event": "order_paid", "within": "P7D", "revenue_property": "amount", "exit_on_goal": True}))
    dora = harness.contact()
    harness.track(dora, "signed_up")
    version = live_version(harness, flow_id)
    stats = counters(harness, version)
    for node in ("start", "mail", "won"):
        assert stats[node]["converted"] == 1, node
        assert revenue(harness, version, node) == Decimal("49.90"), node
    assert "converted" not in stats["pause"]

    harness.advance(timedelta(hours=1))  # passes the second goal node
    harness.track(dora, "order_paid", {"amount": 300})  # and then does the flow's goal event
    run = run_of(harness, flow_id, dora)
    assert (run.status, run.end_reason, run.revenue) == (RunStatus.COMPLETED, "done", Decimal("49.90"))
    stats = counters(harness, version)
    assert {node: metrics.get("converted", 0) for node, metrics in stats.items()} == {
        "start": 1, "mail": 1, "won": 1, "pause": 0, "won_again": 0, "end": 0,
    }
    assert revenue(harness, version, "start") == Decimal("49.90")
    assert stats["won_again"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_an_exit_node_completes_the_run_with_its_reason(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(
        "Exits",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "check": ("condition", {"filter": {"property": "vip", "op": "eq", "value": True}}),
            "vip_exit": ("exit", {"reason": "Already a customer"}),
            "plain_exit": ("exit", {}),
        },
        [("start", "next", "check"), ("check", "yes", "vip_exit"), ("check", "no", "plain_exit")],
    ))
    vip, plain = harness.contact(properties={"vip": True}), harness.contact()
    track_all(harness, [vip, plain], "signed_up")

    vip_run, plain_run = run_of(harness, flow_id, vip), run_of(harness, flow_id, plain)
    assert (vip_run.status, vip_run.node_id, vip_run.end_reason) == (RunStatus.COMPLETED, "vip_exit", "Already a customer")
    assert (plain_run.status, plain_run.node_id, plain_run.end_reason) == (RunStatus.COMPLETED, "plain_exit", "exit node")
    assert vip_run.ended_at == harness.clock.now() and vip_run.wake_at is None
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["vip_exit"] == {"entered": 1, "completed": 1}
    assert stats["plain_exit"] == {"entered": 1, "completed": 1}
    assert_counters_balance(harness, flow_id)
