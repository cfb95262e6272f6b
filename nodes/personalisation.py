"""Personalisation: marketer-written `{{ … }}` templates rendered in a sandbox.

Jinja2's SandboxedEnvironment refuses attribute tricks that reach Python internals, so
a template can read the contact and the trigger event but cannot run code. Ours also
refuses arithmetic that would make a number or a text too large to hold (`9 ** 9 ** 9`
would keep a CPU busy for hours), stops a text that renders past MAX_OUTPUT characters,
and turns every failure of a template (`{{ 1 / 0 }}`, a range past Jinja's 100,000 items)
into a PersonalisationError, so a caller reports it instead of crashing.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from functools import lru_cache
from numbers import Integral, Number
from typing import Any

from jinja2 import Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

# The most characters one template renders to (an email's HTML is tens of KB).
MAX_OUTPUT = 1_000_000
# The largest whole number arithmetic may make (about 1,200 digits) and the longest repeated text or list.
MAX_INTEGER_BITS = 4096
MAX_REPEATED = 100_000


class PersonalisationError(ValueError):
    """A template could not be rendered (broken, or refused by the sandbox)."""


def _integer_bits(value: Any) -> int:
    return abs(int(value)).bit_length() if isinstance(value, Integral) else 0


def _checked_power(base: Any, exponent: Any) -> Any:
    if isinstance(base, Integral) and isinstance(exponent, Integral) and exponent > 0 and abs(int(base)) > 1:
        if math.log2(abs(int(base))) * int(exponent) > MAX_INTEGER_BITS:
            raise SecurityError(f"{base} ** {exponent} is too large a number to compute")
    return operator.pow(base, exponent)


def _checked_product(left: Any, right: Any) -> Any:
    if isinstance(left, Integral) and isinstance(right, Integral):
        if _integer_bits(left) + _integer_bits(right) > MAX_INTEGER_BITS:
            raise SecurityError("the product is too large a number to compute")
    else:
        times, repeated = (left, right) if isinstance(left, Integral) else (right, left)
        if isinstance(times, Integral) and not isinstance(repeated, Number) and hasattr(repeated, "__len__"):
            if len(repeated) * int(times) > MAX_REPEATED:
                raise SecurityError(f"repeating a text or list of {len(repeated)} items {times} times makes "
                                    f"more than {MAX_REPEATED:,}")
    return operator.mul(left, right)


class PersonalisationSandbox(SandboxedEnvironment):
    """Jinja's sandbox with bounded `*` and `**`: what every personalised text (and email) is rendered in."""

    # Intercepted operators are also never folded into constants when a template is compiled.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            return _checked_power(left, right)
        if operator == "*":
            return _checked_product(left, right)
        return super().call_binop(context, operator, left, right)


_environment = PersonalisationSandbox(autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Template:
    return _environment.from_string(text)


def syntax_error(text: str) -> str | None:
    """Why `text` is not a valid template, or None if it is."""
    try:
        _compiled(text)
    except TemplateSyntaxError as error:
        return f"line {error.lineno}: {error.message}"
    except RecursionError:
        return "it is nested too deeply to read"
    return None


def render_template(template: Template, variables: Mapping[str, Any]) -> str:
    """`template` filled in, at most MAX_OUTPUT characters long.

    Raises:
        PersonalisationError: anything the template does fails (a division by zero, an undefined
            filter's call, a range past the sandbox's bounds, recursion) or its text grows too long.
    """
    parts: list[str] = []
    size = 0
    try:
        for part in template.generate(variables):
            size += len(part)
            if size > MAX_OUTPUT:
                raise PersonalisationError(f"it renders to more than {MAX_OUTPUT:,} characters")
            parts.append(part)
    except PersonalisationError:
        raise
    except Exception as error:  # a marketer's template may fail in any way Python can
        raise PersonalisationError(f"{type(error).__name__}: {error}") from error
    return "".join(parts)


def render(text: str, variables: Mapping[str, Any]) -> str:
    """`text` with its placeholders filled in; unknown names render as nothing."""
    if "{" not in text:
        return text
    try:
        return render_template(_compiled(text), variables)
    except (PersonalisationError, TemplateSyntaxError, RecursionError) as error:
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
