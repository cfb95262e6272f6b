"""Checking the `{{ … }}` personalisation in a node's config before a flow goes live: broken templates (errors)
and contact values printed with no fallback (warnings)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nodes.base import ConfigProblem
from nodes.personalisation import syntax_error, variables_without_fallback


def template_problems(config: Mapping[str, Any], fields: Sequence[str]) -> list[ConfigProblem]:
    """A problem for every string under `fields` that is not a valid template."""
    return [
        ConfigProblem(path, "config", f"the template at {'/'.join(map(str, path))} is broken ({error}): fix the {{{{ … }}}}")
        for path, text in _texts(config, fields)
        if (error := syntax_error(text))
    ]


def fallback_problems(config: Mapping[str, Any], fields: Sequence[str]) -> list[ConfigProblem]:
    """A warning for every string under `fields` that prints a contact value with no fallback: a contact
    without it sees nothing where the marketer meant a name ("Hi !")."""
    return [
        ConfigProblem(path, "no_fallback", _no_fallback_message(path, unguarded))
        for path, text in _texts(config, fields)
        if (unguarded := variables_without_fallback(text))
    ]


def _no_fallback_message(path: tuple[str | int, ...], variables: list[str]) -> str:
    printed = " and ".join(f"{{{{ {variable} }}}}" for variable in variables)
    instead = "there" if variables[0].endswith("name") else "…"  # "Hi there!" for a missing name
    example = f'{{{{ {variables[0]} | default("{instead}") }}}}'
    return (f"the text at {'/'.join(map(str, path))} prints {printed} with no fallback, so a contact without "
            f"{'it' if len(variables) == 1 else 'them'} sees nothing there: add one, like {example}.")


def _texts(config: Mapping[str, Any], fields: Sequence[str]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string under the config's `fields`, with its path."""
    for field in fields:
        if field in config:
            yield from _strings(config[field], (field,))


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
