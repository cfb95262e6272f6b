"""Settings come from AUTOMAP_* variables; embedded mode generates and keeps its secrets."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder_api.settings import SettingsError, instance_secret, load_settings


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


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 0: a file created without an explicit mode would be readable and writable by everyone."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_the_secrets_file_is_never_readable_by_others_not_even_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    """The file was written first and chmod-ed after: for a moment, under a permissive umask, anyone could read it."""
    seen: list[tuple[int, dict[str, str]]] = []
    real_replace = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        # The moment before the secrets take the file's name: the new file is already private and complete.
        seen.append((os.stat(source).st_mode & 0o777, json.loads(Path(source).read_text())))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})
    secrets_file = tmp_path / "secrets.json"

    assert [mode for mode, _ in seen] == [0o600]
    assert seen[0][1]["admin_token"] == settings.admin_token
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["secrets.json"]  # no temporary file left behind


def test_a_secrets_file_left_readable_by_an_older_version_is_replaced_by_a_private_one(
    tmp_path: Path, open_umask: None
) -> None:
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"secret_key": "s", "admin_token": "a", "write_key": "w"}))
    secrets_file.chmod(0o644)
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})  # generates the server key, identity secret
    assert (settings.admin_token, settings.write_key) == ("a", "w")
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(secrets_file.read_text())) >= {"admin_token", "server_key", "identity_secret"}


def test_a_failed_write_leaves_the_secrets_file_as_it_was_and_no_stray_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)})
    before = (tmp_path / "secrets.json").read_bytes()

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        instance_secret(tmp_path, "demo_password")
    assert (tmp_path / "secrets.json").read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["secrets.json"]
    assert load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)}).admin_token == first.admin_token
