"""`/api/templates`: the gallery of template scenarios, and importing one as a new draft flow.

Gallery imports are the marketer's own copies: they carry no `template_slug`, which
marks only the one copy `automap templates load` keeps of each template, so a
template can be imported any number of times and `templates load` still sees it once.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.flows import service
from builder_api.flows.schemas import FlowSchema
from builder_api.templates.schemas import TemplateListSchema
from flows.templates import all_templates, find_template
from workflow_runtime.authoring import flow_store

blueprint = Blueprint("templates", __name__, description="Template scenarios to start a flow from.")
blueprint.before_request(require_admin)


@blueprint.get("")
@blueprint.response(200, TemplateListSchema)
def list_templates() -> dict[str, Any]:
    """Every template: slug, name, description, node count and a preview of its graph."""
    return {"templates": all_templates()}


@blueprint.post("/<slug>/import")
@blueprint.response(201, FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No template has this slug.")
def import_template(slug: str) -> dict[str, Any]:
    """A new draft flow holding a copy of the template."""
    template = find_template(slug)
    if template is None:
        raise ApiError(404, f"There is no template called {slug!r}: GET /api/templates lists them.")
    flow = flow_store.import_flow(db.session, template.document)
    db.session.commit()
    return service.detail(db.session, flow)
