"""/api/scenarios: the gallery, and importing a scenario as the marketer's own draft."""
from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.document import canonical
from flows.scenarios import all_scenarios, find_scenario
from workflow_runtime.storage.models import Flow


def test_the_gallery_lists_every_scenario_with_a_preview(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/scenarios", headers=admin_headers)
    assert response.status_code == 200
    served = {scenario["slug"]: scenario for scenario in response.json["scenarios"]}
    assert list(served) == [scenario.slug for scenario in all_scenarios()]
    cart = served["abandoned_cart"]
    document = next(t.document for t in all_scenarios() if t.slug == "abandoned_cart")
    assert (cart["name"], cart["description"]) == (document["name"], document["description"])
    assert cart["node_count"] == len(document["nodes"]) == len(cart["preview"]["nodes"])
    assert cart["preview"]["nodes"][0] == {"id": "cart_updated", "type": "trigger", "position": {"x": 0, "y": 120}}
    assert cart["preview"]["edges"] == document["edges"]


def test_importing_a_scenario_makes_a_new_draft_each_time_and_scenarios_load_still_keeps_its_own(
    client: FlaskClient, admin_headers: dict[str, str], cli: Callable[..., Result], session: Session
) -> None:
    first = client.post("/api/scenarios/abandoned_cart/import", headers=admin_headers)
    second = client.post("/api/scenarios/abandoned_cart/import", headers=admin_headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] != second.json["id"]
    assert first.json["status"] == "draft" and first.json["validation"] == []
    assert first.json["document"] == canonical(find_scenario("abandoned_cart").document)
    # The second copy gets a name of its own, in the flow and its document alike.
    assert (first.json["name"], second.json["name"]) == ("Abandoned cart", "Abandoned cart (2)")
    assert second.json["document"] == {**first.json["document"], "name": "Abandoned cart (2)"}

    assert f"loaded {len(all_scenarios())}" in cli("scenarios", "load").output
    assert "all present" in cli("scenarios", "load").output
    slugs = list(session.scalars(select(Flow.scenario_slug).order_by(Flow.id)))
    assert slugs == [None, None, *(scenario.slug for scenario in all_scenarios())]
    names = list(session.scalars(select(Flow.name).where(Flow.scenario_slug == "abandoned_cart")))
    assert names == ["Abandoned cart (3)"]


def test_an_unknown_scenario_is_404(client: FlaskClient, admin_headers: dict[str, str], session: Session) -> None:
    response = client.post("/api/scenarios/no_such_thing/import", headers=admin_headers)
    assert response.status_code == 404
    assert "no_such_thing" in response.json["message"]
    assert session.scalars(select(Flow)).all() == []
