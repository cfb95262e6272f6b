"""`automap serve`'s banner prints a generated secret once, on the first run after it was made, and never a
configured one: a server's output ends up in logs (journald, docker logs, CI), where anyone who reads them
would find the admin token, the demo login's password and the server key."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder_api.cli import DEMO_EMAIL, _banner
from builder_api.settings import instance_secret, load_settings


def banner(capsys: pytest.CaptureFixture[str], environ: dict[str, str], embedded: bool = True) -> tuple[str, object]:
    settings = load_settings(environ)
    login = (DEMO_EMAIL, instance_secret(settings.instance_path, "demo_password")) if embedded else None
    _banner(settings, "http://127.0.0.1:5000", login)
    return capsys.readouterr().out, settings


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per entry, whatever the terminal


def test_generated_secrets_are_printed_on_the_first_run_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"AUTOMAP_INSTANCE_PATH": str(tmp_path)}
    first, settings = banner(capsys, environ)
    password = json.loads((tmp_path / "secrets.json").read_text())["demo_password"]
    for secret in (settings.admin_token, settings.server_key, password, settings.write_key):
        assert secret in first
    assert "later runs do not print them" in first

    for _ in range(2):  # every later run, e.g. each restart of `make run`
        later, _settings = banner(capsys, environ)
        for secret in (settings.admin_token, settings.server_key, password, settings.identity_secret,
                       settings.secret_key):
            assert secret not in later
        assert settings.write_key in later  # the public site key, in every page anyway
        assert f'"admin_token" in {tmp_path / "secrets.json"}' in later
        assert f'password "demo_password" in {tmp_path / "secrets.json"}' in later


def test_configured_secrets_are_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_ADMIN_TOKEN": "configured-admin-token",
               "AUTOMAP_SERVER_KEY": "configured-server-key"}
    first, _settings = banner(capsys, environ)
    assert "configured-admin-token" not in first and "configured-server-key" not in first
    assert "Admin token  set by AUTOMAP_ADMIN_TOKEN" in first
    assert "Server key   set by AUTOMAP_SERVER_KEY" in first


def test_a_deployment_prints_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_REDIS_URL": "redis://127.0.0.1:6379/0",
               "AUTOMAP_SECRET_KEY": "deployment-secret-key", "AUTOMAP_ADMIN_TOKEN": "deployment-admin-token",
               "AUTOMAP_WRITE_KEY": "deployment-write-key", "AUTOMAP_SERVER_KEY": "deployment-server-key"}
    output, _settings = banner(capsys, environ, embedded=False)
    for secret in ("deployment-secret-key", "deployment-admin-token", "deployment-server-key"):
        assert secret not in output
    assert "Write key    deployment-write-key" in output
    assert not (tmp_path / "secrets.json").exists()
