"""`/api/message-templates`: email (MJML), chat and popup templates — CRUD, preview, test send — and the preview
of a message written on a send node, for a real contact or sample data."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.mail import email_settings
from builder_api.message_templates.schemas import (
    MessagePreviewRequestSchema,
    MessagePreviewSchema,
    MessageTemplateListSchema,
    MessageTemplatePreviewSchema,
    MessageTemplateQuerySchema,
    MessageTemplateSchema,
    MessageTemplateUpdateSchema,
    PreviewRequestSchema,
    TestSendRequestSchema,
    TestSendSchema,
)
from builder_api.settings import SettingsError
from workflow_runtime.authoring import message_templates
from workflow_runtime.authoring.message_templates import SendTestFailed, TemplateInUse, TemplateInvalid
from workflow_runtime.storage.models import Channel, MessageTemplate

blueprint = Blueprint("message_templates", __name__,
                      description="Reusable email (MJML), chat and popup content for send nodes.")
blueprint.before_request(require_admin)


def _invalid(error: TemplateInvalid, under: str | None = None) -> ApiError:
    """A 422 naming the field; `under` is the payload field holding it ("content" for a send node's fields)."""
    pointer = f"/{under}/{error.field}" if under else f"/{error.field}"
    return ApiError(422, f"The {error.field} is not valid: {error.message}.",
                    [{"field": under or error.field, "pointer": pointer, "message": error.message}])


def _variables(request: dict[str, Any]) -> dict[str, Any]:
    """What the previewed message sees: the request's contact, or its sample."""
    try:
        return message_templates.preview_variables(db.session, request.get("sample"), request.get("contact_id"))
    except TemplateInvalid as error:
        raise _invalid(error) from error


def _template(template_id: int) -> MessageTemplate:
    template = db.session.get(MessageTemplate, template_id)
    if template is None:
        raise ApiError(404, f"There is no message template {template_id}.")
    return template


def _save(template: MessageTemplate, changes: dict[str, Any]) -> message_templates.LibraryEntry:
    try:
        message_templates.save(db.session, template, changes)
    except TemplateInvalid as error:
        db.session.rollback()
        raise _invalid(error) from error
    db.session.commit()
    return message_templates.library_entry(db.session, template)


@blueprint.route("")
class MessageTemplates(MethodView):
    @blueprint.arguments(MessageTemplateQuerySchema, location="query")
    @blueprint.response(200, MessageTemplateListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every template (or one channel's), oldest first, each with the flows that use it."""
        channel = Channel(query["channel"].value) if "channel" in query else None
        return {"message_templates": message_templates.library(db.session, channel)}

    @blueprint.arguments(MessageTemplateSchema)
    @blueprint.response(201, MessageTemplateSchema)
    def post(self, fields: dict[str, Any]) -> message_templates.LibraryEntry:
        """Create a template; an email body must be MJML that compiles (422 naming the field if not)."""
        return _save(MessageTemplate(), fields)


@blueprint.route("/<int:template_id>")
class MessageTemplateById(MethodView):
    @blueprint.response(200, MessageTemplateSchema)
    def get(self, template_id: int) -> message_templates.LibraryEntry:
        """One template, with the flows that use it."""
        return message_templates.library_entry(db.session, _template(template_id))

    @blueprint.arguments(MessageTemplateUpdateSchema)
    @blueprint.response(200, MessageTemplateSchema)
    def put(self, changes: dict[str, Any], template_id: int) -> message_templates.LibraryEntry:
        """Edit name, subject or body; the version grows, so caches and new sends pick the edit up."""
        return _save(_template(template_id), changes)

    @blueprint.response(204)
    def delete(self, template_id: int) -> None:
        """Delete a template no flow uses (409 naming the flows that do)."""
        try:
            message_templates.delete(db.session, _template(template_id))
        except TemplateInUse as error:
            db.session.rollback()
            raise ApiError(409, str(error)) from error
        db.session.commit()


@blueprint.route("/<int:template_id>/duplicate", methods=["POST"])
@blueprint.response(201, MessageTemplateSchema)
def duplicate(template_id: int) -> message_templates.LibraryEntry:
    """A copy of the template under a name no other template has: "Welcome" gives "Welcome (2)"."""
    copy = message_templates.duplicate(db.session, _template(template_id))
    db.session.commit()
    return message_templates.library_entry(db.session, copy)


@blueprint.route("/<int:template_id>/preview", methods=["POST"])
@blueprint.arguments(PreviewRequestSchema)
@blueprint.response(200, MessageTemplatePreviewSchema)
def preview(request: dict[str, Any], template_id: int) -> message_templates.Preview:
    """The template rendered for a real contact or sample data: subject, HTML and the plain-text part."""
    template, variables = _template(template_id), _variables(request)
    try:
        return message_templates.preview(template, variables)
    except TemplateInvalid as error:
        raise _invalid(error) from error


@blueprint.route("/preview", methods=["POST"])
@blueprint.arguments(MessagePreviewRequestSchema)
@blueprint.response(200, MessagePreviewSchema)
def preview_message(request: dict[str, Any]) -> message_templates.MessagePreview:
    """A message written on a send node rendered for a real contact or sample data, as that contact would get it."""
    variables = _variables(request)
    try:
        return message_templates.preview_message(Channel(request["channel"].value), request["content"], variables)
    except TemplateInvalid as error:
        raise _invalid(error, "content") from error


@blueprint.route("/<int:template_id>/test-send", methods=["POST"])
@blueprint.arguments(TestSendRequestSchema)
@blueprint.response(200, TestSendSchema)
def test_send(request: dict[str, Any], template_id: int) -> dict[str, str]:
    """Send the email template, rendered for sample data, to an address through the configured SMTP server."""
    try:
        settings = email_settings(current_app.config["AUTOMAP"])
    except SettingsError as error:
        raise ApiError(409, f"{error}.") from error
    try:
        message_templates.send_test_email(settings, _template(template_id), request["email"], request.get("sample"))
    except TemplateInvalid as error:
        raise _invalid(error) from error
    except SendTestFailed as error:
        raise ApiError(502 if settings.smtp else 409, f"{error}.") from error
    return {"sent_to": request["email"]}
