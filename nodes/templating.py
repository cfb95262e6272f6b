"""Checking the `{{ … }}` personalisation in a node's config before a flow goes live."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nodes.base import ConfigProblem
from nodes.personalisation import syntax_error


def template_problems(config: Mapping[str, Any], fields: Sequence[str]) -> list[ConfigProblem]:
    """A problem for every string under `fields` that is not a valid template."""
    return [
        ConfigProblem(path, "config", f"the template at {'/'.join(map(str, path))} is broken ({error}): fix the {{{{ … }}}}")
        for field in fields
        if field in config
        for path, text in _strings(config[field], (field,))
        if (error := syntax_error(text))
    ]


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
