"""`/api/scenarios`: the gallery of scenarios, and importing one as a new draft flow.

Gallery imports are the marketer's own copies: they carry no `scenario_slug`, which
marks only the one copy `automap scenarios load` keeps of each scenario, so a
scenario can be imported any number of times, each copy numbered after the first
("Abandoned cart (2)"), and `scenarios load` still sees it once.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.flows import service
from builder_api.flows.schemas import FlowSchema
from builder_api.scenarios.schemas import ScenarioListSchema
from flows.scenarios import all_scenarios, find_scenario
from workflow_runtime.authoring import flow_store

blueprint = Blueprint("scenarios", __name__, description="Scenarios to start a flow from.")
blueprint.before_request(require_admin)


@blueprint.get("")
@blueprint.response(200, ScenarioListSchema)
def list_scenarios() -> dict[str, Any]:
    """Every scenario: slug, name, description, node count and a preview of its graph."""
    return {"scenarios": all_scenarios()}


@blueprint.post("/<slug>/import")
@blueprint.response(201, FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No scenario has this slug.")
def import_scenario(slug: str) -> dict[str, Any]:
    """A new draft flow holding a copy of the scenario, numbered when a flow has its name: "Abandoned cart (2)"."""
    scenario = find_scenario(slug)
    if scenario is None:
        raise ApiError(404, f"There is no scenario called {slug!r}: GET /api/scenarios lists them.")
    flow = flow_store.import_flow(db.session, scenario.document)
    db.session.commit()
    return service.detail(db.session, flow)
