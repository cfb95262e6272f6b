"""docker-compose.yml cannot run here (no Docker engine), so a test reads it for correctness."""
from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml

from builder_api.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
CONTRACT_VARIABLES = {
    "AUTOMAP_DATABASE_URL",
    "AUTOMAP_REDIS_URL",
    "AUTOMAP_SECRET_KEY",
    "AUTOMAP_ADMIN_TOKEN",
    "AUTOMAP_WRITE_KEY",
    "AUTOMAP_SERVER_KEY",
    "AUTOMAP_IDENTITY_SECRET",
    "AUTOMAP_SMTP_URL",
    "AUTOMAP_PUBLIC_URL",
    "AUTOMAP_INBOUND_DOMAIN",
    "AUTOMAP_INBOUND_SECRET",
    "AUTOMAP_WIDGET_STREAM_URL",
    "AUTOMAP_INBOX_STREAM_URL",
    "AUTOMAP_OUTBOUND_ALLOW",
}
AUTOMAP_SERVICES = ("migrate", "api", "widget-stream", "worker", "scheduler", "inbound-smtp")


def test_the_production_shape_is_all_there() -> None:
    assert set(SERVICES) >= {*AUTOMAP_SERVICES, "postgres", "redis", "mailcatcher"}
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert SERVICES["api"]["command"][0] == "gunicorn"
    assert "builder_api.wsgi:app" in SERVICES["api"]["command"]


def test_widget_streams_have_a_server_of_their_own_that_widgets_are_pointed_at() -> None:
    """Open pages hold streams for minutes: served apart, on asyncio, they never take the API's threads."""
    stream = SERVICES["widget-stream"]
    port = stream["command"][stream["command"].index("--port") + 1]
    assert stream["command"][:2] == ["automap", "widget-stream"] and f"{port}:{port}" in stream["ports"]
    stream_url = SERVICES["api"]["environment"]["AUTOMAP_WIDGET_STREAM_URL"]
    assert stream_url.endswith(f":{port}/widget/stream}}")
    # The inboxes' streams too: the API tells the inbox where (POST /api/conversations/stream-token).
    assert SERVICES["api"]["environment"]["AUTOMAP_INBOX_STREAM_URL"].endswith(f":{port}/inbox/stream}}")


@pytest.mark.parametrize("service", AUTOMAP_SERVICES)
def test_automap_services_get_every_setting_and_wait_for_their_servers(service: str) -> None:
    spec = SERVICES[service]
    assert set(spec["environment"]) == CONTRACT_VARIABLES
    assert spec["environment"]["AUTOMAP_DATABASE_URL"].startswith("postgresql://")
    assert spec["environment"]["AUTOMAP_REDIS_URL"].startswith("redis://redis:")
    assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert spec["depends_on"]["redis"]["condition"] == "service_healthy"
    if service != "migrate":
        assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", [s for s in AUTOMAP_SERVICES if s != "api"])
def test_service_commands_exist_in_the_cli(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[0] == "automap"
    group: click.Command = main
    context = click.Context(main)
    for word in command[1:]:
        if word.startswith("-"):  # the command's options follow
            break
        assert isinstance(group, click.Group), f"{command}: {group.name} takes no sub-command"
        found = group.get_command(context, word)
        assert found is not None, f"`{' '.join(command)}`: no command {word!r}"
        group = found


def test_the_wsgi_module_the_api_runs_exists() -> None:
    assert (ROOT / "builder_api" / "wsgi.py").exists()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("builder_api", "workflow_runtime", "nodes", "flows"):
        assert f"COPY {package} {package}" in dockerfile
