"""Personalisation: marketer-written `{{ … }}` templates rendered in a sandbox.

Jinja2's SandboxedEnvironment refuses attribute tricks that reach Python internals, so
a template can read the contact and the trigger event but cannot run code.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_environment = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Template:
    return _environment.from_string(text)


class PersonalisationError(ValueError):
    """A template could not be rendered (broken, or refused by the sandbox)."""


def syntax_error(text: str) -> str | None:
    """Why `text` is not a valid template, or None if it is."""
    try:
        _compiled(text)
    except TemplateSyntaxError as error:
        return f"line {error.lineno}: {error.message}"
    return None


def render(text: str, variables: Mapping[str, Any]) -> str:
    """`text` with its placeholders filled in; unknown names render as nothing."""
    if "{" not in text:
        return text
    try:
        return _compiled(text).render(variables)
    except TemplateError as error:
        raise PersonalisationError(f"cannot render {text[:80]!r}: {error}") from error


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON value (a webhook body, a message's fields)."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, Mapping):
        return {key: render_value(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    return value


def contact_variables(fields: Mapping[str, Any], properties: Mapping[str, Any],
                      trigger: Mapping[str, Any]) -> dict[str, Any]:
    """What a template sees: `{{ name }}` and other contact fields and properties at the top level,
    the same under `contact`, and the trigger event's properties under `event`."""
    contact = {**properties, **fields}
    return {**contact, "contact": contact, "event": dict(trigger.get("properties", {}))}
