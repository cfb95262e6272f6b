"""Every setting, read from `AUTOMAP_*` environment variables in one place.

Nothing here runs at import time: `load_settings()` reads the environment when the
app or a CLI command asks. These variable names are contracts that deployments and
other tools rely on.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import isodate

from nodes.outbound import OutboundPolicy

# Secrets generated for the embedded mode are kept here so a restart keeps them.
GENERATED_SECRETS_FILE = "secrets.json"
# The key of that file listing the secrets a banner has printed (each is printed once).
SHOWN_IN_BANNER = "shown_in_banner"
# Required in a real deployment; generated in the embedded mode.
GENERATED = ("secret_key", "admin_token", "write_key")
# Generated in the embedded mode (the seed of their row in the workspace_keys table); in a real deployment, unset
# leaves them to that table, which makes a random one on first use: nobody knows it until an admin reads it on the
# Settings page, so until then no server call is trusted and no browser may claim a known identity.
GENERATED_IF_EMBEDDED = ("server_key", "identity_secret")
MAX_SMTP_CONNECTIONS = 64
DEFAULT_INBOX_FORWARD_AFTER = timedelta(minutes=5)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    """The process configuration.

    Attributes:
        database_url: SQLAlchemy URL (AUTOMAP_DATABASE_URL); a SQLite file under the
            instance folder when unset.
        redis_url: AUTOMAP_REDIS_URL; unset means embedded mode (in-process queue).
        secret_key: AUTOMAP_SECRET_KEY, signs sessions and visitor tokens.
        admin_token: AUTOMAP_ADMIN_TOKEN, the bearer token for `/api`.
        write_key: AUTOMAP_WRITE_KEY, the public site key: it is in every page (the widget snippet), so a call
            made with it touches only its own anonymous contact unless `context.user_hash` vouches for its userId.
        server_key: AUTOMAP_SERVER_KEY, the secret key of the site's backend and server-side Segment libraries:
            calls made with it are trusted as they are.
        identity_secret: AUTOMAP_IDENTITY_SECRET, the HMAC-SHA256 key of `context.user_hash` (identity
            verification).
        (These three, when set, pin the key; generated or unset, the workspace_keys table holds it, where the
            Settings page rotates it: read the keys in force with builder_api.workspace.keys, not from here.)
        require_user_hash: AUTOMAP_REQUIRE_USER_HASH, true: a site-key call may name any userId only with a valid
            user_hash (otherwise only a userId no contact has yet).
        smtp_url: AUTOMAP_SMTP_URL, e.g. smtp://user:pass@host:587, or None.
        smtp_connections: AUTOMAP_SMTP_CONNECTIONS, SMTP sessions each worker process keeps open and sends over
            in parallel (1 to 64).
        smtp_rate: AUTOMAP_SMTP_RATE, emails per second each worker process sends at most (N workers: N times
            that); None: as fast as the server accepts them.
        public_url: AUTOMAP_PUBLIC_URL, how browsers and emails reach this server.
        widget_stream_url: AUTOMAP_WIDGET_STREAM_URL, where widgets open their event stream when it is served
            apart (`automap widget-stream`, e.g. https://stream.example.com/widget/stream); None: by this server.
        inbox_stream_url: AUTOMAP_INBOX_STREAM_URL, where the inbox opens its live stream when it is served apart
            (by `automap widget-stream`, e.g. https://stream.example.com/inbox/stream); None: by this server.
        mail_from: AUTOMAP_MAIL_FROM, the sender address of emails (noreply@ the public host).
        inbound_domain: AUTOMAP_INBOUND_DOMAIN, the domain of the `reply+…@` addresses forwarded chat
            messages are answered to (its MX points at `automap inbound-smtp` or at a provider whose
            inbound webhook calls `POST /inbound/email`); the sender address's domain when unset.
        inbound_secret: AUTOMAP_INBOUND_SECRET, the HTTP Basic password of `POST /inbound/email`;
            None turns the webhook off.
        link_domains: AUTOMAP_LINK_DOMAINS, comma-separated domains (with their subdomains) on which an email
            link that personalisation fills in is still click-tracked; a link the template writes always is.
        outbound_allow: AUTOMAP_OUTBOUND_ALLOW, comma-separated CIDRs and host names a webhook may call although
            they are internal (on-premise integrations); every loopback, private, link-local … address is
            refused otherwise (nodes.outbound). `outbound_policy` is the policy they make.
        inbox_forward_after: AUTOMAP_INBOX_FORWARD_AFTER, an ISO 8601 duration (default PT5M): an operator's
            answer the contact has not seen by then is emailed to them with a reply address; "off": never.
        instance_path: AUTOMAP_INSTANCE_PATH, where the embedded mode keeps its files.
        batch_size: AUTOMAP_BATCH_SIZE, runs advanced per RQ job.
        clock: AUTOMAP_CLOCK, "system", or "redis" for a virtual time shared through
            Redis by every process (simulations, benchmarks, chaos tests).
        generated: names of the secrets that were generated rather than configured.
    """

    database_url: str
    redis_url: str | None
    secret_key: str
    admin_token: str
    write_key: str
    smtp_url: str | None
    public_url: str
    instance_path: Path
    batch_size: int = 500
    clock: str = "system"
    mail_from: str = "noreply@localhost"
    inbound_domain: str = "localhost"
    inbound_secret: str | None = None
    link_domains: tuple[str, ...] = ()
    outbound_allow: tuple[str, ...] = ()
    server_key: str | None = None
    identity_secret: str | None = None
    require_user_hash: bool = False
    widget_stream_url: str | None = None
    inbox_stream_url: str | None = None
    smtp_connections: int = 4
    smtp_rate: float | None = None
    inbox_forward_after: timedelta | None = DEFAULT_INBOX_FORWARD_AFTER
    generated: tuple[str, ...] = ()

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: queue, worker and scheduler run in-process."""
        return self.redis_url is None

    @property
    def outbound_policy(self) -> OutboundPolicy:
        """The outbound address policy AUTOMAP_OUTBOUND_ALLOW makes, for nodes.outbound.configure."""
        return OutboundPolicy.parse(self.outbound_allow)

    @property
    def database_backend(self) -> str:
        """The database dialect name, e.g. 'sqlite' or 'postgresql'."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = _env(environ, name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _env_smtp_connections(environ: Mapping[str, str], name: str) -> int:
    """SMTP sessions per worker process: a whole number from 1 to MAX_SMTP_CONNECTIONS."""
    raw = _env(environ, name)
    if raw is None:
        return 4
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SMTP_CONNECTIONS:
        raise SettingsError(f"{name} must be a whole number of SMTP connections per worker from 1 to "
                            f"{MAX_SMTP_CONNECTIONS}, not {raw!r}")
    return int(raw)


def _env_rate(environ: Mapping[str, str], name: str) -> float | None:
    """A positive number of emails per second (decimals allowed), or None when unset."""
    raw = _env(environ, name)
    if raw is None:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = 0.0
    if not (rate > 0 and rate < float("inf")):
        raise SettingsError(f"{name} must be a number of emails per second above 0, such as 50 or 0.5 "
                            f"(or unset for no limit), not {raw!r}")
    return rate


def _env_forward_after(environ: Mapping[str, str], name: str) -> timedelta | None:
    """An exact ISO 8601 duration from a second to a week (PT5M, PT1H), or None for "off"."""
    raw = _env(environ, name)
    if raw is None:
        return DEFAULT_INBOX_FORWARD_AFTER
    if raw.lower() == "off":
        return None
    try:
        after = isodate.parse_duration(raw)
    except (ValueError, ArithmeticError):
        after = None
    if not isinstance(after, timedelta) or not timedelta(seconds=1) <= after <= timedelta(days=7):
        raise SettingsError(f"{name} must be a duration from PT1S to P7D such as PT5M, or off, not {raw!r}")
    return after


def _env_bool(environ: Mapping[str, str], name: str) -> bool:
    raw = (_env(environ, name) or "false").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    return raw in ("true", "1", "yes")


def _env_domains(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated domain names, lowercased; SettingsError for anything else (a URL, a wildcard)."""
    domains = tuple(domain.strip().lower() for domain in (_env(environ, name) or "").split(",") if domain.strip())
    for domain in domains:
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", domain):
            raise SettingsError(f"{name} lists domains such as shop.example, comma-separated, not {domain!r}")
    return domains


def _env_outbound_allow(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated CIDRs and host names; SettingsError for anything else."""
    entries = tuple(entry.strip().lower() for entry in (_env(environ, name) or "").split(",") if entry.strip())
    try:
        OutboundPolicy.parse(entries)
    except ValueError as error:
        raise SettingsError(str(error)) from error
    return entries


def _env_choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = _env(environ, name) or choices[0]
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgresql:// or postgres://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by this user only from its first byte on.

    The text goes to a new file created with mode 0600 (O_EXCL: never an existing file or a
    planted link) in the same folder, is flushed to disk, and then takes the place of `path` in
    one rename, so no reader ever sees the file half-written or with the umask's wider mode.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)  # O_CREAT's mode is already 0600 or narrower (the umask only removes)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _generated_secrets(instance_path: Path, missing: list[str]) -> dict[str, str]:
    """Read, or create and remember, the embedded mode's secrets (in a file only this user can read)."""
    path = instance_path / GENERATED_SECRETS_FILE
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if any(name not in stored for name in missing):
        for name in missing:
            stored.setdefault(name, secrets.token_urlsafe(32))
        instance_path.mkdir(parents=True, exist_ok=True)
        _write_private(path, json.dumps(stored, indent=2))
    return {name: stored[name] for name in missing}


def unshown_secrets(instance_path: Path, names: Iterable[str]) -> set[str]:
    """Of the generated secrets `names`, those no `automap serve` banner has printed yet, now marked as printed.

    The banner prints a generated secret once, on the first run after it was made, and on later runs only
    says where it is kept: a server's output ends up in logs. The names printed are kept in the secrets file.
    """
    path = instance_path / GENERATED_SECRETS_FILE
    if not path.exists():
        return set()
    stored = json.loads(path.read_text())
    shown = stored.get(SHOWN_IN_BANNER, [])
    new = {name for name in names if name in stored and name not in shown}
    if new:
        stored[SHOWN_IN_BANNER] = sorted({*shown, *new})
        _write_private(path, json.dumps(stored, indent=2))
    return new


def instance_secret(instance_path: Path, name: str) -> str:
    """A secret of the embedded mode by name (e.g. the demo user's password), generated once and kept."""
    return _generated_secrets(instance_path, [name])[name]


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build Settings from the environment, then apply `overrides` (field name → value).

    In embedded mode, missing secrets are generated once and kept in the instance
    folder; with a Redis URL (a real deployment) they must be configured.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = set(overrides) - {f.name for f in fields(Settings)}
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")

    instance_path = Path(
        overrides.pop("instance_path", None) or _env(environ, "AUTOMAP_INSTANCE_PATH") or "instance"
    ).resolve()
    values: dict[str, Any] = {
        "database_url": _env(environ, "AUTOMAP_DATABASE_URL")
        or f"sqlite:///{instance_path / 'automap.db'}",
        "redis_url": _env(environ, "AUTOMAP_REDIS_URL"),
        "secret_key": _env(environ, "AUTOMAP_SECRET_KEY"),
        "admin_token": _env(environ, "AUTOMAP_ADMIN_TOKEN"),
        "write_key": _env(environ, "AUTOMAP_WRITE_KEY"),
        "server_key": _env(environ, "AUTOMAP_SERVER_KEY"),
        "identity_secret": _env(environ, "AUTOMAP_IDENTITY_SECRET"),
        "require_user_hash": _env_bool(environ, "AUTOMAP_REQUIRE_USER_HASH"),
        "smtp_url": _env(environ, "AUTOMAP_SMTP_URL"),
        "smtp_connections": _env_smtp_connections(environ, "AUTOMAP_SMTP_CONNECTIONS"),
        "smtp_rate": _env_rate(environ, "AUTOMAP_SMTP_RATE"),
        "inbox_forward_after": _env_forward_after(environ, "AUTOMAP_INBOX_FORWARD_AFTER"),
        "public_url": (_env(environ, "AUTOMAP_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "widget_stream_url": _env(environ, "AUTOMAP_WIDGET_STREAM_URL"),
        "inbox_stream_url": _env(environ, "AUTOMAP_INBOX_STREAM_URL"),
        "batch_size": _env_int(environ, "AUTOMAP_BATCH_SIZE", 500),
        "clock": _env_choice(environ, "AUTOMAP_CLOCK", ("system", "redis")),
        "link_domains": _env_domains(environ, "AUTOMAP_LINK_DOMAINS"),
        "outbound_allow": _env_outbound_allow(environ, "AUTOMAP_OUTBOUND_ALLOW"),
    }
    values["mail_from"] = _env(environ, "AUTOMAP_MAIL_FROM") or f"noreply@{urlsplit(values['public_url']).hostname}"
    values.update(overrides)
    values.setdefault("inbound_domain", _env(environ, "AUTOMAP_INBOUND_DOMAIN")
                      or parseaddr(values["mail_from"])[1].rpartition("@")[2] or "localhost")
    values.setdefault("inbound_secret", _env(environ, "AUTOMAP_INBOUND_SECRET"))
    values["database_url"] = normalise_database_url(values["database_url"])

    missing = [name for name in GENERATED if not values[name]]
    if missing and values["redis_url"] is not None:
        names = ", ".join(f"AUTOMAP_{name.upper()}" for name in missing)
        raise SettingsError(f"{names} must be set when AUTOMAP_REDIS_URL is set (a real deployment)")
    if values["redis_url"] is None:
        missing += [name for name in GENERATED_IF_EMBEDDED if not values[name]]
    values.update(_generated_secrets(instance_path, missing) if missing else {})
    return Settings(instance_path=instance_path, generated=tuple(missing), **values)

