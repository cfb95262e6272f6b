"""Personalisation: marketer-written `{{ … }}` templates rendered in a sandbox.

Jinja2's SandboxedEnvironment refuses attribute tricks that reach Python internals, so
a template can read the contact and the trigger event but cannot run code. Ours also
refuses arithmetic that would make a number or a text too large to hold (`9 ** 9 ** 9`
would keep a CPU busy for hours), stops a text that renders past MAX_OUTPUT characters,
and turns every failure of a template (`{{ 1 / 0 }}`, a range past Jinja's 100,000 items)
into a PersonalisationError, so a caller reports it instead of crashing.

A value the contact does not have never prints as "None": an unknown name, a field that is None
and anything read from them (`{{ address.city }}`) print as nothing, and `default` (alias `d`)
falls back for a value that is missing, None or empty text, where Jinja's own only does for a
missing one: `{{ name | default("there") }}` greets a contact without a name with "there".
`variables_without_fallback` finds the contact values a text prints with no such fallback.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from numbers import Integral, Number
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
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


def _is_blank(value: Any) -> bool:
    """True for what a contact does not really have: a missing value, None, or text with nothing but spaces."""
    return value is None or isinstance(value, Undefined) or (isinstance(value, str) and not value.strip())


def default_when_blank(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """The `default` filter: `default_value` in place of a missing, None or empty value (with `boolean`, of any
    false one, as Jinja's own does), so a declared fallback covers a contact whose field is empty, not only unknown."""
    return default_value if _is_blank(value) or (boolean and not value) else value


def _printable(value: Any) -> Any:
    """What `{{ … }}` prints for `value`: nothing for None (Jinja would print "None")."""
    return "" if value is None else value


_DICT_ATTRIBUTES = frozenset(dir(dict))  # what `value.name` finds on a dict before its items


class PersonalisationSandbox(SandboxedEnvironment):
    """Jinja's sandbox with bounded `*` and `**`, where a missing or None value prints as nothing and `default`
    covers None and empty text: what every personalised text (and email) is rendered in."""

    # Intercepted operators are also never folded into constants when a template is compiled.
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=ChainableUndefined, finalize=_printable, **options)
        self.filters["default"] = self.filters["d"] = default_when_blank

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict rather than Jinja's ChainMap over the environment's: every render
        copies them into its context, and copying a ChainMap runs in Python (a sixth of rendering an email).
        No global is added once templates are compiled, so the copy misses nothing."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`contact.name`, `event.total`: the sandbox's lookup, without first failing to find a dict attribute of that
        name (a raised and caught AttributeError for every value an email prints)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

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
    the same under `contact`, and the trigger event's properties under `event`.

    A field the contact has no value for (None) is left out, so it is undefined like any unknown name
    and a property of the same name shows through."""
    contact = {**properties, **{name: value for name, value in fields.items() if value is not None}}
    return {**contact, "contact": contact, "event": dict(trigger.get("properties", {}))}


# The contact values a config form offers to insert into a personalised text, each with the words it is listed by
# and the fallback it starts with: the contact's own fields, and first_name, which many sites send as a property.
INSERTABLE_VARIABLES = (
    {"variable": "contact.name", "label": "Name", "fallback": "there"},
    {"variable": "contact.first_name", "label": "First name", "fallback": "there"},
    {"variable": "contact.email", "label": "Email address", "fallback": ""},
    {"variable": "contact.phone", "label": "Phone", "fallback": ""},
    {"variable": "contact.user_id", "label": "User id", "fallback": ""},
)


def personalised_text(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` of a text filled in per contact, annotated (`personalisation`) with the contact values its form
    offers to insert, so the canvas learns which fields are personalised from the node type."""
    return {**schema, "personalisation": [dict(variable) for variable in INSERTABLE_VARIABLES]}


# The filters that give a value a fallback, and the names a template reads that are not one contact value.
_FALLBACK_FILTERS = frozenset({"default", "d"})
_NOT_CONTACT_VALUES = frozenset({"contact", "event"})

Guarded = frozenset[str]


def variables_without_fallback(text: str) -> list[str]:
    """The contact values `text` prints with nothing to fall back on, as written (`name`, `contact.email`,
    `address.city`), in order; [] for a text that is not a valid template (validation reports that).

    A value has a fallback when it is printed through `default` (`{{ name | default("there") }}`), before
    `or` (`{{ name or "there" }}`), or only where an `{% if name %}` or `… if name else …` tested it.
    The trigger event's properties (`event.…`) are not the contact's, so they are left out."""
    try:
        tree = _environment.parse(text)
    except (TemplateSyntaxError, RecursionError):
        return []
    readable = meta.find_undeclared_variables(tree) - _environment.globals.keys()
    found: dict[str, None] = {}  # an ordered set
    _statements(tree, frozenset(), readable, found)
    return list(found)


def _statements(node: nodes.Node, guarded: Guarded, readable: set[str], found: dict[str, None]) -> None:
    """Collect from the `{{ … }}` under a statement node; an `if` guards the values its test reads in its body."""
    if isinstance(node, nodes.Output):
        for part in node.nodes:
            _printed(part, guarded, readable, found)
        return
    if isinstance(node, nodes.If):
        for child in node.body:
            _statements(child, guarded | _tested(node.test, readable), readable, found)
        for child in (*node.elif_, *node.else_):
            _statements(child, guarded, readable, found)
        return
    for child in node.iter_child_nodes():
        _statements(child, guarded, readable, found)


def _printed(expression: nodes.Node, guarded: Guarded, readable: set[str], found: dict[str, None]) -> None:
    """Collect the contact values `expression` prints without a fallback."""
    if isinstance(expression, nodes.Filter) and expression.name in _FALLBACK_FILTERS:
        parts: list[nodes.Node] = [*expression.args, *(keyword.value for keyword in expression.kwargs)]
    elif isinstance(expression, nodes.Or):
        parts = [expression.right]
    elif isinstance(expression, nodes.CondExpr):
        _printed(expression.expr1, guarded | _tested(expression.test, readable), readable, found)
        parts = [expression.expr2] if expression.expr2 is not None else []
    elif (reference := _reference(expression, readable)) is not None:
        if _field(reference) not in guarded:
            found[reference] = None
        return
    else:
        parts = list(expression.iter_child_nodes())
    for part in parts:
        _printed(part, guarded, readable, found)


def _tested(test: nodes.Node, readable: set[str]) -> Guarded:
    """The contact fields a test reads, which the branch it guards may print safely."""
    return frozenset(_field(reference) for node in [test, *test.find_all(nodes.Expr)]
                     if (reference := _reference(node, readable)) is not None)


def _reference(expression: nodes.Node, readable: set[str]) -> str | None:
    """`name`, `contact.email` or `address.city` if `expression` reads a contact value, else None."""
    path: list[str] = []
    while isinstance(expression, nodes.Getattr | nodes.Getitem):
        key = expression.attr if isinstance(expression, nodes.Getattr) else getattr(expression.arg, "value", None)
        if not isinstance(key, str):
            return None
        path.insert(0, key)
        expression = expression.node
    if not isinstance(expression, nodes.Name) or expression.name not in readable:
        return None
    if expression.name == "contact" and path:
        return ".".join(["contact", *path])
    return None if expression.name in _NOT_CONTACT_VALUES else ".".join([expression.name, *path])


def _field(reference: str) -> str:
    """The contact field a reference reads: `contact.name` and `name` read the same one."""
    return reference.removeprefix("contact.")
