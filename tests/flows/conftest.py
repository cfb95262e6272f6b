"""Fixtures for the flow document tests: a valid map that uses every node type."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flows.document import load_file
from flows.schemas import SCHEMA_DIR

CART_SCENARIO = SCHEMA_DIR.parent / "scenarios" / "abandoned_cart.json"


def every_node_type_flow() -> dict[str, Any]:
    """A valid map using each node type once or more, but update_conversation (its own tests:
    tests/workflow_runtime/test_conversation_automation.py; the pointers here are counted on these nodes).

    start → tag → check; check yes → ab (split), no → await (wait_for_event);
    ab a → email → pause → popup → hook; ab b → chat → reached (goal);
    hook next → reached, failed → failed_exit; await event → reached, timeout → done;
    reached → done. `done` has two ways in, so removing one edge leaves it reachable.
    """
    nodes = [
        ("start", "trigger", {"event": "signed_up", "where": [{"property": "plan", "op": "eq", "value": "trial"}]}),
        ("tag", "update_contact", {"add_tags": ["trial"], "set": {"lifecycle": "trial"}}),
        ("check", "condition", {"filter": {"any": [
            {"property": "business_type", "op": "in", "value": ["shop", "saas"]},
            {"event": "page_viewed", "op": "did", "within": "P14D"},
        ]}}),
        ("ab", "split", {"variants": [{"id": "a", "label": "Plain link", "weight": 50}, {"id": "b", "label": "Button", "weight": 50}]}),
        ("email", "send_email", {"subject": "Welcome, {{ name }}", "body": "<mjml><mj-body><mj-text>Hi!</mj-text></mj-body></mjml>",
                                 "goal": {"event": "trigger_message_created", "within": "P3D"}}),
        ("pause", "wait", {"until": {"weekdays": ["monday", "thursday"], "time": "10:00"}}),
        ("popup", "send_popup", {"size": "large", "title": "Need help?", "body": "Book a demo with us."}),
        ("hook", "webhook", {"url": "https://crm.example.com/hooks/lead", "method": "POST", "timeout": "PT10S", "retries": 2}),
        ("chat", "send_chat", {"body": "Hi {{ name }}, can I help?", "forward_by_email_after": "P1D"}),
        ("await", "wait_for_event", {"event": "trigger_message_created", "timeout": "P3D"}),
        ("reached", "goal", {"name": "Activated"}),
        ("failed_exit", "exit", {"reason": "CRM unreachable"}),
        ("done", "exit", {}),
    ]
    edges = [
        ("start", "next", "tag"), ("tag", "next", "check"),
        ("check", "yes", "ab"), ("check", "no", "await"),
        ("ab", "a", "email"), ("ab", "b", "chat"),
        ("email", "next", "pause"), ("pause", "next", "popup"), ("popup", "next", "hook"),
        ("hook", "next", "reached"), ("hook", "failed", "failed_exit"),
        ("chat", "next", "reached"),
        ("await", "event", "reached"), ("await", "timeout", "done"),
        ("reached", "next", "done"),
    ]
    return {
        "schema_version": 2,
        "name": "Trial activation",
        "description": "Uses every node type.",
        "settings": {
            "goal": {"event": "order_paid", "where": [{"property": "amount", "op": "gt", "value": 0}],
                     "within": "P14D", "revenue_property": "amount", "exit_on_goal": True},
            "exit_when": [{"event": "unsubscribed"}, {"event": "account_deleted", "where": [{"property": "by_admin", "op": "exists"}]}],
            "reentry": {"mode": "after_exit", "cooldown": "P30D"},
            "frequency_cap": {"max_messages": 3, "per": "P1D"},
            "quiet_hours": {"from": "21:00", "to": "09:00", "time_zone": "Europe/Berlin"},
        },
        "nodes": [
            {"id": node_id, "type": node_type, "position": {"x": 200 * index, "y": 0}, "config": config}
            for index, (node_id, node_type, config) in enumerate(nodes)
        ],
        "edges": [{"from": source, "port": port, "to": target} for source, port, target in edges],
    }


def _as_version_1(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` as DESIGN.md's version 1 sketch: no schema_version, edges without ports."""
    old = {key: value for key, value in doc.items() if key != "schema_version"}
    old["edges"] = [{"from": edge["from"], "to": edge["to"]} for edge in doc["edges"]]
    return old


@pytest.fixture
def as_version_1() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turns a current document into its version 1 form."""
    return _as_version_1


@pytest.fixture(scope="session")
def flow_factory() -> Callable[[], dict[str, Any]]:
    """Builds a fresh valid flow using every node type (session-scoped, so Hypothesis tests can use it)."""
    return every_node_type_flow


@pytest.fixture
def flow(flow_factory: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A fresh valid flow using every node type, free to mutate."""
    return flow_factory()


@pytest.fixture
def abandoned_cart() -> Any:
    """The shipped abandoned-cart template, parsed."""
    return load_file(CART_SCENARIO)
