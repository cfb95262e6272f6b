"""A value the contact does not have never prints as "None": it prints as nothing, or as its declared fallback,
and validation warns about every contact value a message prints with no fallback."""
from __future__ import annotations

from typing import Any

import pytest

from flows.validation import ErrorCode, Severity, ensure_valid, flow_warnings, validate_flow
from nodes.personalisation import contact_variables, render, variables_without_fallback

NAMELESS = contact_variables({"name": None, "email": "anon@example.com"}, {"plan": "", "address": None}, {})


@pytest.mark.parametrize(("template", "shown"), [
    ("Hi {{ name }}!", "Hi !"),
    ("Hi {{ contact.name }}!", "Hi !"),
    ("Hi {{ nickname }}!", "Hi !"),
    ("From {{ address.city }}", "From "),
    ("From {{ contact.address.city.name }}", "From "),
    ("Hi {{ name | upper }}!", "Hi !"),
    ("{{ 'Hi ' ~ name }}!", "Hi !"),
])
def test_a_missing_or_none_value_prints_as_nothing(template: str, shown: str) -> None:
    assert render(template, NAMELESS) == shown


@pytest.mark.parametrize("template", [
    'Hi {{ name | default("there") }}!',
    'Hi {{ contact.name | default("there") }}!',
    'Hi {{ name | d("there") }}!',
    'Hi {{ nickname | default("there") }}!',
    'Hi {{ plan | default("there") }}!',  # empty text
    'Hi {{ contact.address.city | default("there") }}!',
])
def test_a_declared_fallback_covers_missing_none_and_empty_values(template: str) -> None:
    assert render(template, NAMELESS) == "Hi there!"


def test_a_fallback_leaves_a_value_the_contact_has() -> None:
    anna = contact_variables({"name": "Anna"}, {"visits": 0}, {})
    assert render('Hi {{ name | default("there") }}, {{ visits | default(1) }}', anna) == "Hi Anna, 0"
    assert render('{{ visits | default(1, true) }}', anna) == "1"  # Jinja's boolean mode still works


def test_a_property_shows_through_an_empty_field_of_the_same_name() -> None:
    assert render("Hi {{ name }}", contact_variables({"name": None}, {"name": "Bo"}, {})) == "Hi Bo"


def test_an_event_property_that_is_none_prints_as_nothing() -> None:
    variables = contact_variables({}, {}, {"properties": {"product": None}})
    assert render('{{ event.product }}|{{ event.product | default("it") }}', variables) == "|it"


@pytest.mark.parametrize(("template", "unguarded"), [
    ("Hi {{ name }}, {{ contact.email }} and {{ name }}", ["name", "contact.email"]),
    ('Hi {{ name | default("there") }} {{ contact.name | d("you") | title }}', []),
    ('Hi {{ name or "there" }}', []),
    ('Hi {{ name if name else "there" }}', []),
    ("{% if contact.name %}Hi {{ name }}{% else %}Hi {{ email }}{% endif %}", ["email"]),
    ("{{ name | default(email) }}", ["email"]),
    ('{{ address.city }} {{ contact["first_name"] }}', ["address.city", "contact.first_name"]),
    ("{{ event.product }} {% for item in items %}{{ item }}{% endfor %} {{ range(2) | list }}", []),
    ("{% if name == 'x' %}x{% endif %}", []),  # read in a test, never printed
    ("Hi {{ name ", []),  # broken: validation reports it as an error instead
])
def test_variables_without_fallback_are_the_contact_values_printed_bare(template: str, unguarded: list[str]) -> None:
    assert variables_without_fallback(template) == unguarded


def hello_flow(**sends: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A trigger, then each send node in turn, then an exit."""
    ids = list(sends)
    nodes = [{"id": "start", "type": "trigger", "config": {"event": "signed_up"}}]
    nodes += [{"id": node_id, "type": node_type, "config": config} for node_id, (node_type, config) in sends.items()]
    nodes.append({"id": "end", "type": "exit", "config": {}})
    path = ["start", *ids, "end"]
    edges = [{"from": source, "port": "next", "to": target} for source, target in zip(path, path[1:], strict=False)]
    return {"schema_version": 2, "name": "Hello", "nodes": nodes, "edges": edges}


def test_validation_warns_naming_the_node_and_the_pointer_of_each_text_without_a_fallback() -> None:
    flow = hello_flow(
        chat=("send_chat", {"body": "Hi {{ name }}!"}),
        mail=("send_email", {"subject": 'Hi {{ name | default("there") }}', "preheader": "For {{ contact.email }}",
                             "body": "<mjml><mj-body><mj-text>Code {{ promo_code }}, {{ name }}</mj-text></mj-body></mjml>"}),
        popup=("send_popup", {"size": "small", "title": "Hi {{ name or 'there' }}", "body": "Welcome",
                              "button": {"text": "Go, {{ first_name }}", "url": "https://shop.example/"}}),
    )
    warnings = flow_warnings(flow)
    assert [(warning.node_id, warning.pointer, warning.code, warning.severity) for warning in warnings] == [
        ("chat", "/nodes/1/config/body", ErrorCode.NO_FALLBACK, Severity.WARNING),
        ("mail", "/nodes/2/config/body", ErrorCode.NO_FALLBACK, Severity.WARNING),
        ("mail", "/nodes/2/config/preheader", ErrorCode.NO_FALLBACK, Severity.WARNING),
        ("popup", "/nodes/3/config/button/text", ErrorCode.NO_FALLBACK, Severity.WARNING),
    ]
    assert warnings[0].message == (
        "Node 'chat': the text at body prints {{ name }} with no fallback, so a contact without it sees nothing "
        'there: add one, like {{ name | default("there") }}.'
    )
    assert "prints {{ promo_code }} and {{ name }} with no fallback, so a contact without them" in warnings[1].message
    assert warnings[1].to_dict()["severity"] == "warning"
    # a warning does not stop the flow: it validates and its canonical form is what would be published
    assert validate_flow(flow) == []
    assert ensure_valid(flow)["nodes"][1]["config"] == {"body": "Hi {{ name }}!"}


def test_warnings_are_only_read_from_configs_that_pass_their_schema() -> None:
    flow = hello_flow(chat=("send_chat", {"body": "Hi {{ name }}!", "colour": "red"}),
                      other=("send_chat", {"body": "Hi {{ name | default('there') }}"}))
    assert [error.code for error in validate_flow(flow)] == [ErrorCode.CONFIG]
    assert flow_warnings(flow) == []
    assert flow_warnings("not a flow") == flow_warnings({"nodes": [None, {"type": 3}]}) == []
