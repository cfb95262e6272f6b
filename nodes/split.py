"""Split: a random A/B/n split by weights, with one output port per variant."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register


@register
class Split(NodeType):
    """Sends each contact down one variant, at random by weight but always the same for a contact."""

    type = "split"
    label = "A/B split"
    category = Category.LOGIC
    description = "Splits contacts at random between variants by weight, to test which path works better."
    ports = ()
    port_source = {"list": "variants", "id": "id", "label": "label"}
    compares_ports = True
    config_schema = {
        "type": "object",
        "required": ["variants"],
        "additionalProperties": False,
        "properties": {
            "variants": {
                "title": "Variants",
                "description": "Between 2 and 10 paths; their weights add up to 100.",
                "type": "array",
                "minItems": 2,
                "maxItems": 10,
                "items": {
                    "title": "Variant",
                    "type": "object",
                    "required": ["id", "weight"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {**ref("common.schema.json", "node_id"), "title": "Id",
                               "description": "Letters, digits, _ or -: what the arrows from this variant are stored by.",
                               "examples": ["a", "b"]},
                        "label": {"title": "Port name", "description": "What the canvas and the statistics call this path.",
                                  "type": "string", "maxLength": 100, "examples": ["Plain link", "Button"]},
                        "weight": {"title": "Share (%)", "type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    },
                },
                "default": [{"id": "a", "label": "A", "weight": 50}, {"id": "b", "label": "B", "weight": 50}],
            },
        },
    }

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """What the schema cannot say: the weights add up to 100 and no two variants share an id."""
        variants = config["variants"]
        problems = []
        total = math.fsum(variant["weight"] for variant in variants)
        if abs(total - 100) > 1e-9:
            problems.append(ConfigProblem(
                ("variants",), "split_weights",
                f"The variant weights add up to {total:g}, not 100: change them so they do.",
            ))
        seen: set[str] = set()
        for position, variant in enumerate(variants):
            if variant["id"] in seen:
                problems.append(ConfigProblem(
                    ("variants", position, "id"), "duplicate_variant",
                    f"Two variants are called '{variant['id']}': give each variant its own id.",
                ))
            seen.add(variant["id"])
        return problems

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """The variant whose share of 0–100 holds this contact's fixed split point."""
        point = ctx.split_point() * 100
        reached = 0.0
        for variant in config["variants"]:
            reached += variant["weight"]
            if point < reached:
                return Go(variant["id"])
        return Go(config["variants"][-1]["id"])  # weights add up to 100; this only absorbs rounding
