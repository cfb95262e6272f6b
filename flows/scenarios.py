"""The scenarios shipped in flows/scenarios/, one JSON document per file."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIOS_DIR = Path(__file__).parent / "scenarios"


@dataclass(frozen=True)
class Scenario:
    """A scenario to start a flow from: its slug is its file name without `.json`."""

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


def find_scenario(slug: str) -> Scenario | None:
    """The scenario called `slug`, or None."""
    return next((scenario for scenario in all_scenarios() if scenario.slug == slug), None)


def all_scenarios() -> list[Scenario]:
    """Every scenario, sorted by slug."""
    return [
        Scenario(path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(SCENARIOS_DIR.glob("*.json"))
    ]
