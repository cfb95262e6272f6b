"""Marketer-written templates: filled in per contact, checked before publishing, and sandboxed."""
from __future__ import annotations

import time

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


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ range(100001) | length }}", "Range too big"),
        ("{{ 9 ** (9 ** 9) }}", "too large a number"),  # would take hours of CPU
        ("{{ (2 ** 4000) * (2 ** 4000) }}", "too large a number"),
        ("{% set ns = namespace(x=2) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x }}",
         "too large a number"),
        ("{{ 'x' * 10 ** 9 }}", "more than 100,000"),  # a gigabyte of text
        ("{{ [0] * 10 ** 9 }}", "more than 100,000"),
        ("{% for i in range(100000) %}{{ 'x' * 20 }}{% endfor %}", "more than 1,000,000 characters"),
        # ten billion parts of one character: stopped soon after the millionth, not at the end
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
         "more than 1,000,000 characters"),
        ("{% macro loop() %}{{ loop() }}{% endmacro %}{{ loop() }}", "RecursionError"),
        ("{{ name.upper(1, 2, 3) }}", "TypeError"),
        ("{{ 2.0 ** 100000 }}", "OverflowError"),
    ],
)
def test_a_template_that_fails_or_grows_too_large_is_a_personalisation_error(template: str, reason: str) -> None:
    """A failing template raised whatever Python raised (a 500 in a preview, a crashed job at a send); now every
    failure is a PersonalisationError, found in milliseconds, and arithmetic cannot run for hours."""
    started = time.monotonic()
    with pytest.raises(PersonalisationError, match=reason):
        render(template, VARIABLES)
    assert time.monotonic() - started < 2


def test_bounded_arithmetic_still_computes_what_a_template_needs() -> None:
    assert render("{{ 3 * 4 }} {{ 2 ** 10 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ 1290 * 0.9 }}", VARIABLES) == (
        "12 1024 ababab [1, 1] 1161.0"
    )
    assert render("{{ (event.total / 100) | round(1) }}", VARIABLES) == "12.9"
