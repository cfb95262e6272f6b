"""Every node type's declaration: palette metadata, ports and the config schema it accepts."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flows.schemas import validator
from nodes import registry
from nodes.base import Category, ConfigProblem, NodeType
from nodes.split import Split
from nodes.trigger import Trigger

MJML = "<mjml><mj-body><mj-text>Hi {{ name }}</mj-text></mj-body></mjml>"
GOAL = {"event": "order_paid", "where": [{"property": "amount", "op": "gt", "value": 0}], "within": "P7D"}

EXPECTED = {
    "trigger": (Category.TRIGGER, ["next"]),
    "wait": (Category.TIMING, ["next"]),
    "wait_for_event": (Category.TIMING, ["event", "timeout"]),
    "condition": (Category.LOGIC, ["yes", "no"]),
    "split": (Category.LOGIC, []),
    "send_email": (Category.MESSAGE, ["next"]),
    "send_chat": (Category.MESSAGE, ["next"]),
    "send_popup": (Category.MESSAGE, ["next"]),
    "webhook": (Category.ACTION, ["next", "failed"]),
    "update_contact": (Category.ACTION, ["next"]),
    "update_conversation": (Category.ACTION, ["next"]),
    "goal": (Category.OUTCOME, ["next"]),
    "exit": (Category.OUTCOME, []),
}

VALID: dict[str, list[dict[str, Any]]] = {
    "trigger": [
        {"event": "cart_updated"},
        {"on": "event", "event": "cart_updated", "where": [{"property": "total", "op": "gt", "value": 0}]},
        {"on": "segment_entered", "segment": 4},
        {"on": "manual"},
    ],
    "wait": [
        {"duration": "P1D"},
        {"until": {"time": "09:00"}},
        {"until": {"weekdays": ["monday", "friday"], "time": "18:30"}},
    ],
    "wait_for_event": [
        {"event": "order_paid", "timeout": "PT1H"},
        {"event": "order_paid", "where": [{"property": "amount", "op": "gte", "value": 10}], "timeout": "P1D"},
    ],
    "condition": [
        {"filter": {"property": "plan", "op": "eq", "value": "trial"}},
        {"filter": {"any": [{"segment": 3}, {"not": {"message": "welcome", "status": "read"}}]}},
    ],
    "split": [
        {"variants": [{"id": "a", "label": "Plain link", "weight": 50}, {"id": "b", "label": "Button", "weight": 50}]},
        {"variants": [{"id": "small", "weight": 33.3}, {"id": "large", "weight": 33.3}, {"id": "none", "weight": 33.4}]},
    ],
    "send_email": [
        {"template_id": 7},
        {"template_id": 7, "preheader": "Open me", "from_name": "Anna", "reply_to": "anna@example.com", "goal": GOAL},
        {"subject": "Welcome, {{ name }}", "body": MJML},
    ],
    "send_chat": [
        {"body": "Hi {{ name }}!"},
        {"body": "Hi!", "sender_name": "Anna", "forward_by_email_after": "P1D", "goal": {"event": "trigger_message_created"}},
    ],
    "send_popup": [
        {"size": "small", "title": "Forgot something?", "body": "Use CART10."},
        {
            "size": "large",
            "title": "Why are you leaving?",
            "body": "Tell us.",
            "button": {"text": "Answer", "url": "https://example.com/survey"},
            "email_fallback_after": "PT30M",
            "email_fallback": {"subject": "Why are you leaving?", "body": MJML},
            "goal": GOAL,
        },
    ],
    "webhook": [
        {"url": "https://crm.example.com/hook"},
        {
            "url": "http://crm.example.com/hook",
            "method": "PUT",
            "headers": {"Authorization": "Bearer x"},
            "body": {"email": "{{ email }}"},
            "timeout": "PT5S",
            "retries": 0,
        },
        {"url": "https://crm.example.com/hook", "method": "GET", "body": "plain"},
    ],
    "update_contact": [
        {"set": {"plan": "pro", "address.city": "Berlin"}},
        {"unset": ["promo_code"], "add_tags": ["customer"], "remove_tags": ["lead"]},
    ],
    "update_conversation": [{"assign_to": "anna@example.com"}, {"status": "closed"},
                            {"assign_to": "anna@example.com", "status": "open"}],
    "goal": [{"name": "Order paid"}, {"name": "Order paid", "revenue": 49.9}],
    "exit": [{}, {"reason": "Already a customer"}],
}

INVALID: dict[str, list[dict[str, Any]]] = {
    "trigger": [
        {},
        {"on": "segment_entered"},
        {"on": "segment_entered", "segment": 4, "event": "signed_up"},
        {"on": "manual", "event": "signed_up"},
        {"on": "cron"},
        {"event": "cart_updated", "where": [{"property": "total", "op": "bigger", "value": 0}]},
    ],
    "wait": [
        {},
        {"duration": "P1D", "until": {"time": "09:00"}},
        {"duration": "PT0S"},
        {"until": {"weekdays": ["funday"], "time": "09:00"}},
        {"until": {"time": "25:00"}},
    ],
    "wait_for_event": [{"event": "order_paid"}, {"timeout": "PT1H"}, {"event": "", "timeout": "PT1H"}],
    "condition": [{}, {"filter": {"property": "plan", "op": "eq"}}, {"filter": {"colour": "red"}}],
    "split": [
        {"variants": [{"id": "a", "weight": 100}]},
        {"variants": [{"id": "a", "weight": 0}, {"id": "b", "weight": 100}]},
        {"variants": [{"id": "a b", "weight": 50}, {"id": "b", "weight": 50}]},
        {"variants": [{"id": f"v{i}", "weight": 9} for i in range(11)]},
    ],
    "send_email": [
        {},
        {"subject": "Hi"},
        {"template_id": 7, "subject": "Hi"},
        {"template_id": 7, "reply_to": "not an address"},
        {"template_id": 7, "goal": {"within": "P7D"}},
    ],
    "send_chat": [{}, {"body": ""}, {"body": "Hi", "forward_by_email_after": "tomorrow"}],
    "send_popup": [
        {"title": "Hi", "body": "Hi"},
        {"size": "medium", "title": "Hi", "body": "Hi"},
        {"size": "small", "title": "Hi", "body": "Hi", "email_fallback_after": "PT30M"},
        {"size": "small", "title": "Hi", "body": "Hi", "email_fallback": {"subject": "Hi", "body": MJML}},
        {"size": "small", "title": "Hi", "body": "Hi", "button": {"text": "Go", "url": "ftp://example.com"}},
    ],
    "webhook": [
        {},
        {"url": "ftp://example.com/file"},
        {"url": "https://example.com", "method": "HEAD"},
        {"url": "https://example.com", "retries": 11},
        {"url": "https://example.com", "headers": {"X-Count": 3}},
    ],
    "update_contact": [{}, {"set": {}}, {"unset": []}, {"add_tags": [""]}, {"set": {" bad": 1}}],
    "update_conversation": [{}, {"status": "snoozed"}, {"assign_to": ""}, {"assignee": "anna@example.com"}],
    "goal": [{}, {"name": ""}, {"name": "Paid", "revenue": -1}],
    "exit": [{"reason": 3}, {"why": "done"}],
}


def _errors(type_name: str, config: dict[str, Any]) -> list[str]:
    node_type = registry.get(type_name)
    assert node_type is not None
    return [error.message for error in validator(node_type.config_schema).iter_errors(config)]


def test_registry_holds_the_thirteen_types_in_palette_order() -> None:
    assert [node_type.type for node_type in registry.all_types()] == list(EXPECTED)
    assert registry.get("no_such_type") is None


@pytest.mark.parametrize("node_type", registry.all_types(), ids=lambda t: t.type)
def test_declaration_is_complete(node_type: type[NodeType]) -> None:
    category, ports = EXPECTED[node_type.type]
    assert node_type.category is category
    assert list(node_type.ports) == ports
    assert node_type.label.strip() and node_type.description.strip()
    schema = node_type.config_schema
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("title") or prop.get("$ref"), f"{node_type.type}.{name} has no title"
    described = json.loads(json.dumps(node_type.describe()))
    assert described["type"] == node_type.type
    assert described["category"] == category.value
    assert (described["port_source"] is not None) is (node_type is Split)
    assert set(described["port_labels"]) == set(node_type.ports)


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _subschemas(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _subschemas(item)


@pytest.mark.parametrize("node_type", registry.all_types(), ids=lambda t: t.type)
def test_every_choice_a_marketer_reads_has_a_label(node_type: type[NodeType]) -> None:
    """The form shows `enumNames` in place of the values ("When an event happens", not `event`): one per value."""
    for schema in _subschemas(node_type.config_schema):
        if "enumNames" in schema:
            assert len(schema["enumNames"]) == len(schema["enum"]) and all(schema["enumNames"]), schema


def test_the_trigger_offers_its_sources_by_their_labels() -> None:
    on = Trigger.config_schema["properties"]["on"]
    assert dict(zip(on["enum"], on["enumNames"], strict=True)) == {
        "event": "When an event happens",
        "segment_entered": "When a contact enters a segment",
        "manual": "When added by hand, through the API or a broadcast",
    }


def test_entry_and_waiting_flags() -> None:
    assert [t.type for t in registry.all_types() if t.is_entry] == ["trigger"]
    assert [t.type for t in registry.all_types() if t.waits] == ["wait", "wait_for_event"]


@pytest.mark.parametrize("node_type", registry.all_types(), ids=lambda t: t.type)
def test_schema_examples_are_valid(node_type: type[NodeType]) -> None:
    for example in node_type.config_schema.get("examples", []):
        assert _errors(node_type.type, example) == []


@pytest.mark.parametrize(
    ("type_name", "config"), [(name, config) for name, configs in VALID.items() for config in configs]
)
def test_valid_config_is_accepted(type_name: str, config: dict[str, Any]) -> None:
    assert _errors(type_name, config) == []


@pytest.mark.parametrize(
    ("type_name", "config"), [(name, config) for name, configs in INVALID.items() for config in configs]
)
def test_invalid_config_is_rejected(type_name: str, config: dict[str, Any]) -> None:
    assert _errors(type_name, config)


def test_every_type_has_valid_and_invalid_cases() -> None:
    assert all(len(VALID[name]) >= 1 and len(INVALID[name]) >= 2 for name in EXPECTED)


def test_trigger_errors_name_the_missing_field() -> None:
    assert _errors("trigger", {"on": "segment_entered"}) == ["'segment' is a required property"]
    assert _errors("trigger", {}) == ["'event' is a required property"]


def test_trigger_rejects_fields_of_another_source_by_name() -> None:
    assert _errors("trigger", {"on": "manual", "event": "signed_up"}) == [
        "Additional properties are not allowed ('event' was unexpected)"
    ]
    assert _errors("trigger", {"on": "segment_entered", "segment": 4, "where": []}) == [
        "Additional properties are not allowed ('where' was unexpected)"
    ]


def test_send_email_template_excludes_inline_content() -> None:
    assert _errors("send_email", {"template_id": 7, "body": "x"}) == [
        "Additional properties are not allowed ('body' was unexpected)"
    ]


def test_send_email_needs_subject_and_body_without_template() -> None:
    assert sorted(_errors("send_email", {"preheader": "x"})) == [
        "'body' is a required property",
        "'subject' is a required property",
    ]


def test_popup_fallback_fields_come_together() -> None:
    errors = _errors("send_popup", {"size": "small", "title": "Hi", "body": "Hi", "email_fallback_after": "PT30M"})
    assert errors == ["'email_fallback' is a dependency of 'email_fallback_after'"]


def test_split_ports_follow_the_variants() -> None:
    config = VALID["split"][1]
    assert Split.output_ports(config) == ["small", "large", "none"]
    assert registry.get("split").output_ports(config) == ["small", "large", "none"]


@pytest.mark.parametrize(
    "config",
    [{}, {"variants": None}, {"variants": "ab"}, {"variants": [{"id": "a"}, "b"]}, {"variants": [{"id": 3}]}, {"variants": [{}]}],
)
def test_split_ports_are_empty_for_malformed_config(config: dict[str, Any]) -> None:
    assert Split.output_ports(config) == []


@pytest.mark.parametrize(
    ("type_name", "config"), [(name, config) for name, configs in VALID.items() for config in configs]
)
def test_valid_config_passes_check_config(type_name: str, config: dict[str, Any]) -> None:
    node_type = registry.get(type_name)
    assert node_type is not None
    assert node_type.check_config(config) == []


def test_split_check_config_finds_weights_off_and_repeated_ids() -> None:
    config = {"variants": [{"id": "a", "weight": 60}, {"id": "b", "weight": 20}, {"id": "a", "weight": 10}]}
    assert Split.check_config(config) == [
        ConfigProblem(("variants",), "split_weights", "The variant weights add up to 90, not 100: change them so they do."),
        ConfigProblem(("variants", 2, "id"), "duplicate_variant", "Two variants are called 'a': give each variant its own id."),
    ]


def test_fixed_ports_ignore_config() -> None:
    assert registry.get("condition").output_ports({"filter": {"segment": 1}}) == ["yes", "no"]
    assert registry.get("exit").output_ports({}) == []
