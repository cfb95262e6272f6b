"""The scenario gallery as a whole: every scenario loads and publishes on an empty database, writes its
emails inline as well-formed MJML, draws no validation warning, and is run end to end by a scenario test
of this package."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from flows.scenarios import all_scenarios
from flows.validation import flow_warnings
from nodes.personalisation import contact_variables, render
from workflow_runtime.authoring import flow_store

SCENARIOS = all_scenarios()
SAMPLE = contact_variables({"name": "Anna", "email": "anna@example.com"}, {"promo_code": "CART10"}, {})


def inline_emails(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(node id, {subject, body}) for every email a scenario sends: send_email nodes and popup fallbacks."""
    for node in document["nodes"]:
        if node["type"] == "send_email":
            yield node["id"], node["config"]
        elif node["type"] == "send_popup" and "email_fallback" in node["config"]:
            yield node["id"], node["config"]["email_fallback"]


def test_the_gallery_holds_the_ten_scenarios_of_the_source_material() -> None:
    assert [scenario.slug for scenario in SCENARIOS] == [
        "ab_subscription_popup", "ab_welcome_email", "abandoned_cart", "activation_lessons", "cancellation_survey",
        "lesson_chat_hint", "unfinished_registration", "webinar_invite", "welcome_series", "win_back",
    ]
    assert len({scenario.name for scenario in SCENARIOS}) == len(SCENARIOS)
    assert all(len(scenario.description) > 100 for scenario in SCENARIOS)


def test_every_scenario_loads_and_publishes_on_an_empty_database(session: Session) -> None:
    flows = flow_store.load_scenarios(session)
    assert sorted(flow.scenario_slug for flow in flows) == [scenario.slug for scenario in SCENARIOS]
    for flow in flows:  # nothing refers to a segment or a saved message scenario that would have to exist
        assert flow_store.publish_flow(session, flow).number == 1
    assert flow_store.load_scenarios(session) == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.slug)
def test_emails_are_inline_well_formed_mjml(scenario: Any) -> None:
    for node_id, email in inline_emails(scenario.document):
        assert "template_id" not in email, node_id
        assert render(email["subject"], SAMPLE).strip(), node_id
        root = ElementTree.fromstring(render(email["body"], SAMPLE))  # raises on unbalanced tags or a bare &
        assert root.tag == "mjml" and root.find("mj-body/mj-section/mj-column/mj-text") is not None, node_id
        assert "None" not in render(email["body"], contact_variables({"name": None}, {"promo_code": "X"}, {}))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.slug)
def test_every_scenario_is_run_by_a_scenario_test(scenario: Any) -> None:
    tests = Path(__file__).parent.glob("test_*.py")
    assert any(f'publish_scenario(harness, "{scenario.slug}")' in path.read_text(encoding="utf-8") for path in tests)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.slug)
def test_every_scenario_gives_each_contact_value_it_prints_a_fallback(scenario: Any) -> None:
    """A marketer copies what the gallery does: no shipped scenario draws a validation warning."""
    assert [warning.message for warning in flow_warnings(scenario.document)] == []
