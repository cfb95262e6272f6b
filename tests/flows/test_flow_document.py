"""Upgrading old documents, the canonical form, and reading and writing flow files."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.document import canonical, dumps, load_file
from flows.schemas import SCHEMA_DIR
from flows.upgrade import CURRENT_VERSION, upgrade
from flows.validation import ErrorCode, FlowError, FlowInvalid, ensure_valid, validate_flow

Doc = dict[str, Any]
ToV1 = Callable[[Doc], Doc]
SCENARIOS = sorted((SCHEMA_DIR.parent / "scenarios").glob("*.json"))


def test_upgrade_names_the_only_port_and_leaves_ambiguous_ones(flow: Doc, as_version_1: ToV1) -> None:
    old = as_version_1(flow)
    before = copy.deepcopy(old)
    new = upgrade(old)
    assert old == before  # the input is not touched
    assert new["schema_version"] == CURRENT_VERSION
    ports = {(edge["from"], edge["to"]): edge.get("port") for edge in new["edges"]}
    assert ports["start", "tag"] == "next"
    assert ports["check", "ab"] is None and ports["ab", "email"] is None and ports["hook", "failed_exit"] is None
    assert list(new["edges"][0]) == ["from", "port", "to"]


def test_upgraded_v1_without_branches_is_valid(abandoned_cart: Doc, as_version_1: ToV1) -> None:
    old = as_version_1(abandoned_cart)
    old["nodes"] = [node for node in old["nodes"] if node["id"] in ("cart_updated", "promo_popup", "reminded")]
    old["edges"] = [{"from": "cart_updated", "to": "promo_popup"}, {"to": "reminded", "from": "promo_popup"}]
    assert validate_flow(old) == []
    assert canonical(old)["edges"] == [
        {"from": "cart_updated", "port": "next", "to": "promo_popup"},
        {"from": "promo_popup", "port": "next", "to": "reminded"},
    ]


def test_ambiguous_v1_port_is_reported_with_the_ports(abandoned_cart: Doc, as_version_1: ToV1) -> None:
    errors = validate_flow(as_version_1(abandoned_cart))
    assert errors[:2] == [
        FlowError("/edges/1/port", "wait_for_payment",
                  "Node 'wait_for_payment' has ports event, timeout: name the port of edge 2 (to 'paid').", ErrorCode.MISSING_PORT),
        FlowError("/edges/2/port", "wait_for_payment",
                  "Node 'wait_for_payment' has ports event, timeout: name the port of edge 3 (to 'give_promo_code').", ErrorCode.MISSING_PORT),
    ]


@pytest.mark.parametrize("doc", [None, 3, "flow", [], {"schema_version": 99, "edges": [{"from": "a"}]},
                                 {"schema_version": "1"}, {"schema_version": True}, {"nodes": "x", "edges": [1, {"from": 2}]}])
def test_upgrade_leaves_what_it_cannot_read(doc: Any) -> None:
    before = copy.deepcopy(doc)
    result = upgrade(doc)
    assert doc == before
    if isinstance(doc, dict):
        assert result is not doc
    if isinstance(doc, dict) and "schema_version" in doc:
        assert result == doc


def test_canonical_orders_keys_and_fills_defaults(flow: Doc) -> None:
    shuffled = {key: flow[key] for key in reversed(list(flow))}
    del shuffled["settings"]
    shuffled["nodes"][12] = {"type": "exit", "id": "done"}
    shuffled["edges"][0] = {"to": "tag", "from": "start", "port": "next"}
    result = canonical(shuffled)
    assert list(result) == ["schema_version", "name", "description", "settings", "nodes", "edges"]
    assert result["settings"] == {}
    assert result["nodes"][12] == {"id": "done", "type": "exit", "config": {}}
    assert list(result["nodes"][0]) == ["id", "type", "position", "config"]
    assert list(result["edges"][0]) == ["from", "port", "to"]
    assert [edge["to"] for edge in result["edges"]] == [edge["to"] for edge in flow["edges"]]


def test_canonical_is_idempotent_and_shares_nothing(flow: Doc) -> None:
    once = canonical(flow)
    assert dumps(canonical(once)) == dumps(once)
    once["nodes"][0]["config"]["event"] = "changed"
    assert flow["nodes"][0]["config"]["event"] == "signed_up"


@pytest.mark.parametrize("template", SCENARIOS, ids=lambda path: path.name)
def test_export_of_import_is_canonical(template: Path, tmp_path: Path) -> None:
    doc = load_file(template)
    exported = tmp_path / "export.json"
    exported.write_text(dumps(ensure_valid(doc)), encoding="utf-8")
    assert exported.read_text(encoding="utf-8") == dumps(canonical(doc)) == template.read_text(encoding="utf-8")
    assert load_file(exported) == canonical(doc)


def test_dumps_keeps_unicode_and_ends_with_a_newline() -> None:
    text = dumps({"name": "Корзина"})
    assert text == '{\n  "name": "Корзина"\n}\n'


@pytest.mark.parametrize(("content", "where"), [
    (b'{"name": "x",\n  "nodes": [}', "line 2, column 13"),
    (b"", "line 1, column 1"),
    (b'{"name": "x"} trailing', "line 1, column 15"),
])
def test_load_file_reports_json_syntax_errors_with_position(tmp_path: Path, content: bytes, where: str) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(FlowInvalid) as raised:
        load_file(path)
    (error,) = raised.value.errors
    assert (error.pointer, error.node_id, error.code) == ("", None, ErrorCode.JSON)
    assert where in error.message


def test_load_file_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(FlowInvalid) as raised:
        load_file(path)
    assert "UTF-8" in raised.value.errors[0].message


def test_load_file_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "x"}).encode())
    assert load_file(path) == {"name": "x"}
