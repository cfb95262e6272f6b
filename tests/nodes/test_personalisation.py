"""Marketer-written templates: filled in per contact, checked before publishing, and sandboxed."""
from __future__ import annotations

import pytest

from flows.validation import ErrorCode, validate_flow
from nodes.personalisation import PersonalisationError, contact_variables, render, render_value

VARIABLES = contact_variables(
    {"name": "Anna", "email": "anna@example.com"}, {"plan": "trial", "address": {"city": "Kazan"}},
    {"properties": {"total": 1290, "promo_code": "CART10"}},
)


def test_contact_fields_properties_and_the_trigger_event_are_there() -> None:
    assert render("Hi {{ name }} from {{ address.city }}", VARIABLES) == "Hi Anna from Kazan"
    assert render("{{ contact.email }} on {{ plan }}", VARIABLES) == "anna@example.com on trial"
    assert render("Use {{ event.promo_code }} for {{ event.total }}", VARIABLES) == "Use CART10 for 1290"
    assert render("{{ nickname }}!", VARIABLES) == "!"
    assert render_value({"to": ["{{ email }}"], "n": 3}, VARIABLES) == {"to": ["anna@example.com"], "n": 3}


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ contact.__class__.__init__.__globals__ }}",
        "{{ name.format.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.system('id') }}",
    ],
)
def test_the_sandbox_refuses_to_reach_python_internals(attack: str) -> None:
    try:
        leaked = render(attack, VARIABLES)
    except PersonalisationError:
        return
    assert leaked.strip() == "", f"the sandbox let {attack!r} through: {leaked[:80]!r}"


def test_a_broken_template_is_refused_at_validation_with_its_pointer() -> None:
    document = {
        "schema_version": 2,
        "name": "Broken hello",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"event": "signed_up"}},
            {"id": "hello", "type": "send_chat", "config": {"body": "Hi {{ name "}},
            {"id": "crm", "type": "webhook", "config": {"url": "https://crm.example.com/h", "body": {"who": "{% if %}"}}},
            {"id": "end", "type": "exit", "config": {}},
        ],
        "edges": [
            {"from": "start", "port": "next", "to": "hello"},
            {"from": "hello", "port": "next", "to": "crm"},
            {"from": "crm", "port": "next", "to": "end"},
            {"from": "crm", "port": "failed", "to": "end"},
        ],
    }
    errors = {(error.node_id, error.pointer, error.code) for error in validate_flow(document)}
    assert errors == {
        ("hello", "/nodes/1/config/body", ErrorCode.CONFIG),
        ("crm", "/nodes/2/config/body/who", ErrorCode.CONFIG),
    }
