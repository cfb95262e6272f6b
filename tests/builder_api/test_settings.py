"""Settings come from AUTOMAP_* variables; embedded mode generates and keeps its secrets."""
from __future__ import annotations

from pathlib import Path

import pytest

from builder_api.settings import SettingsError, load_settings


def test_embedded_defaults_use_sqlite_under_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})
    assert settings.embedded
    assert settings.database_url == f"sqlite:///{tmp_path / 'automap.db'}"
    assert settings.database_backend == "sqlite"
    assert settings.public_url == "http://127.0.0.1:5000"
    assert set(settings.generated) == {"secret_key", "admin_token", "write_key", "server_key", "identity_secret"}


def test_generated_secrets_survive_a_restart(tmp_path: Path) -> None:
    first = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})
    second = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})
    assert (first.admin_token, first.write_key, first.secret_key) == (
        second.admin_token,
        second.write_key,
        second.secret_key,
    )
    assert len(first.admin_token) >= 32
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_configured_values_win_and_are_not_reported_as_generated(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "AUTOMAP_INSTANCE_PATH": str(tmp_path),
            "AUTOMAP_ADMIN_TOKEN": "admin",
            "AUTOMAP_WRITE_KEY": "write",
            "AUTOMAP_SERVER_KEY": "server",
            "AUTOMAP_IDENTITY_SECRET": "identity",
            "AUTOMAP_SMTP_URL": "smtp://localhost:1025",
            "AUTOMAP_PUBLIC_URL": "https://automap.example.com/",
        }
    )
    assert settings.admin_token == "admin"
    assert settings.write_key == "write"
    assert (settings.server_key, settings.identity_secret, settings.require_user_hash) == ("server", "identity", False)
    assert settings.smtp_url == "smtp://localhost:1025"
    assert settings.public_url == "https://automap.example.com"
    assert settings.generated == ("secret_key",)


def test_postgres_urls_use_psycopg3(tmp_path: Path) -> None:
    for written in ("postgres://u@db/automap", "postgresql://u@db/automap"):
        settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_DATABASE_URL": written})
        assert settings.database_url == "postgresql+psycopg://u@db/automap"
        assert settings.database_backend == "postgresql"


def test_a_deployment_with_redis_must_configure_its_secrets(tmp_path: Path) -> None:
    environ = {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_REDIS_URL": "redis://localhost:6379/0"}
    with pytest.raises(SettingsError, match="AUTOMAP_SECRET_KEY, AUTOMAP_ADMIN_TOKEN, AUTOMAP_WRITE_KEY"):
        load_settings(environ)
    assert not (tmp_path / "secrets.json").exists()


def test_a_deployment_without_server_key_or_identity_secret_trusts_no_call(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_REDIS_URL": "redis://localhost:6379/0",
                              "AUTOMAP_SECRET_KEY": "s", "AUTOMAP_ADMIN_TOKEN": "a", "AUTOMAP_WRITE_KEY": "w",
                              "AUTOMAP_REQUIRE_USER_HASH": "true"})
    assert (settings.server_key, settings.identity_secret, settings.require_user_hash) == (None, None, True)
    assert settings.generated == ()


def test_overrides_must_name_real_settings(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)}, overrides={"databse_url": "sqlite://"})


def test_blank_variables_count_as_unset(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_REDIS_URL": "  "})
    assert settings.embedded
