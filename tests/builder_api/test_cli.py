"""The `automap` command, run as a user would run it."""
from __future__ import annotations

import json
import operator
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from redis import Redis
from rq import Queue

from builder_api.app import create_app
from builder_api.cli import main
from flows.document import canonical
from flows.scenarios import SCENARIOS_DIR, all_scenarios

CART = SCENARIOS_DIR / "abandoned_cart.json"


def test_help_lists_every_command(cli: Callable[..., Result]) -> None:
    output = cli("--help").output
    for command in ("serve", "worker", "scheduler", "flows", "scenarios", "db"):
        assert command in output


def test_validate_passes_every_template(cli: Callable[..., Result]) -> None:
    result = cli("flows", "validate", *map(str, sorted(SCENARIOS_DIR.glob("*.json"))))
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") == len(all_scenarios())


def test_validate_lists_errors_per_node_and_exits_1(cli: Callable[..., Result], tmp_path: Path) -> None:
    broken = json.loads(CART.read_text())
    broken["nodes"][1]["config"]["timeout"] = "soon"
    broken["nodes"].append({"id": "orphan", "type": "exit"})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = cli("flows", "validate", str(CART), str(path))
    assert result.exit_code == 1
    assert "✓" in result.output and "✗" in result.output
    assert "orphan" in result.output
    assert broken["nodes"][1]["id"] in result.output
    assert "1 of 2 file(s) invalid" in result.output


def test_validate_lists_warnings_apart_without_failing(cli: Callable[..., Result], tmp_path: Path) -> None:
    document = json.loads(CART.read_text())
    popup = next(node for node in document["nodes"] if node["type"] == "send_popup")
    popup["config"]["title"] = "Hi {{ name }}!"
    path = tmp_path / "unguarded.json"
    path.write_text(json.dumps(document))
    result = cli("flows", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert f"✓ {path}" in result.output
    assert "warning(s), which do not stop publishing" in result.output
    assert popup["id"] in result.output
    assert "invalid" not in result.output


def test_validate_reports_json_syntax_errors(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "syntax.json"
    path.write_text('{"name": "x",')
    result = cli("flows", "validate", str(path))
    assert result.exit_code == 1
    assert "line 1" in result.output


def test_import_then_export_round_trips(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("flows", "import", str(CART))
    assert result.exit_code == 0, result.output
    assert "imported flow 1" in result.output
    out = tmp_path / "out.json"
    assert cli("flows", "export", "1", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == canonical(json.loads(CART.read_text()))
    assert json.loads(cli("flows", "export", "1").output) == json.loads(out.read_text())


def test_import_publish_and_export_a_version(cli: Callable[..., Result]) -> None:
    result = cli("flows", "import", "--publish", str(CART))
    assert "as live" in result.output
    exported = json.loads(cli("flows", "export", "1", "--version", "1").output)
    assert exported["name"] == json.loads(CART.read_text())["name"]
    listing = cli("flows", "list").output
    assert "live" in listing and "v1" in listing


def test_import_refuses_an_invalid_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"schema_version": 2, "name": "Nothing", "nodes": [], "edges": []}))
    result = cli("flows", "import", str(path))
    assert result.exit_code == 1
    assert "not imported" in result.output
    assert "Nothing" not in cli("flows", "list").output


def test_export_of_a_missing_flow_says_so(cli: Callable[..., Result]) -> None:
    result = cli("flows", "export", "99")
    assert result.exit_code == 1
    assert "no flow with id 99" in result.output


def test_scenarios_load_is_idempotent(cli: Callable[..., Result]) -> None:
    first = cli("scenarios", "load").output
    assert f"loaded {len(all_scenarios())} scenario(s)" in first
    assert "all present" in cli("scenarios", "load").output


@pytest.mark.parametrize("command", [["worker", "--burst"], ["scheduler"]])
def test_separate_processes_explain_the_embedded_mode(tmp_path: Path, command: list[str]) -> None:
    embedded = create_app({"instance_path": tmp_path, "redis_url": None})
    result = CliRunner().invoke(main, command, obj=ScriptInfo(create_app=lambda: embedded))
    assert result.exit_code == 2
    assert "AUTOMAP_REDIS_URL is not set" in result.output
    assert f"the {command[0]} runs inside `automap serve`" in result.output


def test_a_burst_worker_drains_the_real_queue(tmp_path: Path) -> None:
    redis_url = os.environ.get("AUTOMAP_REDIS_URL")
    if not redis_url:
        pytest.skip("needs AUTOMAP_REDIS_URL (CI sets it)")
    queue = Queue("automap", connection=Redis.from_url(redis_url))
    queue.empty()
    job = queue.enqueue(operator.add, 2, 3)
    app = create_app({"instance_path": tmp_path, "redis_url": redis_url, "admin_token": "a", "write_key": "w", "secret_key": "s"})
    result = CliRunner().invoke(
        main, ["worker", "--burst", "--without-scheduler"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
    job.refresh()
    assert job.return_value() == 5
