"""/api/templates: the gallery, and importing a template as the marketer's own draft."""
from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.document import canonical
from flows.templates import all_templates, find_template
from workflow_runtime.storage.models import Flow


def test_the_gallery_lists_every_template_with_a_preview(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/templates", headers=admin_headers)
    assert response.status_code == 200
    served = {template["slug"]: template for template in response.json["templates"]}
    assert list(served) == [template.slug for template in all_templates()]
    cart = served["abandoned_cart"]
    document = next(t.document for t in all_templates() if t.slug == "abandoned_cart")
    assert (cart["name"], cart["description"]) == (document["name"], document["description"])
    assert cart["node_count"] == len(document["nodes"]) == len(cart["preview"]["nodes"])
    assert cart["preview"]["nodes"][0] == {"id": "cart_updated", "type": "trigger", "position": {"x": 0, "y": 120}}
    assert cart["preview"]["edges"] == document["edges"]


def test_importing_a_template_makes_a_new_draft_each_time_and_templates_load_still_keeps_its_own(
    client: FlaskClient, admin_headers: dict[str, str], cli: Callable[..., Result], session: Session
) -> None:
    first = client.post("/api/templates/abandoned_cart/import", headers=admin_headers)
    second = client.post("/api/templates/abandoned_cart/import", headers=admin_headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] != second.json["id"]
    assert first.json["status"] == "draft" and first.json["validation"] == []
    assert first.json["document"] == canonical(find_template("abandoned_cart").document)

    assert f"loaded {len(all_templates())}" in cli("templates", "load").output
    assert "all present" in cli("templates", "load").output
    slugs = list(session.scalars(select(Flow.template_slug).order_by(Flow.id)))
    assert slugs == [None, None, *(template.slug for template in all_templates())]


def test_an_unknown_template_is_404(client: FlaskClient, admin_headers: dict[str, str], session: Session) -> None:
    response = client.post("/api/templates/no_such_thing/import", headers=admin_headers)
    assert response.status_code == 404
    assert "no_such_thing" in response.json["message"]
    assert session.scalars(select(Flow)).all() == []
