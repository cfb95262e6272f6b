"""The template scenarios shipped in flows/templates/, one JSON document per file."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Template:
    """A template scenario: its slug is its file name without `.json`."""

    slug: str
    document: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.document.get("name", self.slug))

    @property
    def description(self) -> str:
        return str(self.document.get("description", ""))

    @property
    def node_count(self) -> int:
        return len(self.document.get("nodes", []))

    @property
    def preview(self) -> dict[str, Any]:
        """The graph without configs, enough for a gallery thumbnail."""
        return {
            "nodes": [{key: node.get(key) for key in ("id", "type", "position")} for node in self.document["nodes"]],
            "edges": self.document["edges"],
        }


def find_template(slug: str) -> Template | None:
    """The template called `slug`, or None."""
    return next((template for template in all_templates() if template.slug == slug), None)


def all_templates() -> list[Template]:
    """Every template, sorted by slug."""
    return [
        Template(path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(TEMPLATES_DIR.glob("*.json"))
    ]
