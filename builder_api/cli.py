"""The `automap` command: serve, widget-stream, worker, scheduler, inbound-smtp, flows, broadcasts, scenarios, demo,
node-types, db, failures, tokens and users."""
from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import uvicorn
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from redis import Redis
from rich.console import Console
from rich.table import Table

from builder_api import accounts
from builder_api.account_commands import tokens, users
from builder_api.app import configure_runtime, create_app
from builder_api.asgi import site_app, stream_app
from builder_api.broadcast_commands import broadcasts
from builder_api.db_commands import db as database_commands
from builder_api.extensions import db
from builder_api.failure_commands import failures
from builder_api.mail import reply_addresses
from builder_api.node_types.routes import NodeTypeCatalogue, node_catalogue
from builder_api.runtime_access import now
from builder_api.settings import GENERATED_SECRETS_FILE, Settings, instance_secret, unshown_secrets
from builder_api.workspace.keys import Keys, load_keys
from flows.document import dumps, load_file
from flows.validation import FlowError, FlowInvalid, flow_warnings, validate_flow
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels.inbound_smtp import inbound_smtp_server
from workflow_runtime.demo import VISITORS, demo_runtime, seed_demo
from workflow_runtime.dispatch.embedded import GRACEFUL_SHUTDOWN_SECONDS, embedded_redis, serve_embedded
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.dispatch.worker import log_to_stderr, run_worker
from workflow_runtime.forecast import window as forecast_window
from workflow_runtime.forecast.figures import TABLE_COLUMNS, table_rows
from workflow_runtime.forecast.forecasts import ForecastBusy, request_forecast, run_forecast
from workflow_runtime.storage.database import session_factory
from workflow_runtime.storage.models import Flow, Forecast, ForecastStatus, KeyName, User

# soft_wrap: paths and messages stay on one line, so they can be grepped and copied.
console = Console(soft_wrap=True)
errors_console = Console(stderr=True, soft_wrap=True)


def _create_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def main() -> None:
    """automap: draw marketing-automation maps and walk every visitor through them."""


main.add_command(broadcasts)
main.add_command(database_commands)
main.add_command(failures)
main.add_command(tokens)
main.add_command(users)

# The user an embedded instance makes for itself, so `make run` can print a login.
DEMO_EMAIL = "admin@example.com"


def _settings() -> Settings:
    return current_app.config["AUTOMAP"]


def demo_login(settings: Settings) -> tuple[str, str] | None:
    """On an embedded instance: the demo user's email and password, making the user if there is none yet."""
    if not settings.embedded:
        return None
    user = db.session.scalar(db.select(User).where(User.email == DEMO_EMAIL))
    if user is None and db.session.scalar(db.select(User.id).limit(1)) is None:
        user = accounts.create_user(db.session, DEMO_EMAIL, instance_secret(settings.instance_path, "demo_password"))
        db.session.commit()
    if user is None or user.disabled_at is not None:  # a disabled demo user's login would be refused
        return None
    password = instance_secret(settings.instance_path, "demo_password")
    return (DEMO_EMAIL, password) if accounts.password_matches(user, password) else None


def _banner(settings: Settings, url: str, login: tuple[str, str] | None, keys: Keys | None = None) -> None:
    """Print where the server runs, the public write key, and the secrets (admin token, demo login's password,
    server key) only on an embedded instance's first run after they were generated: on a later run, and on a
    deployment, say where they are instead, since a server's output ends up in logs. `keys`, the keys in force
    (builder_api.workspace.keys), name a site key or server key rotated on the Settings page."""
    kept = settings.instance_path / GENERATED_SECRETS_FILE
    generated = {*settings.generated, *(["demo_password"] if login else [])} if settings.embedded else set()
    shown = unshown_secrets(settings.instance_path,
                            [name for name in ("demo_password", "admin_token", "server_key") if name in generated])

    def secret(name: str, value: str) -> str:
        if name in shown:
            return f"[bold]{value}[/]"
        if name in generated:
            return f'"{name}" in {kept}'
        return f"set by AUTOMAP_{name.upper()}"

    console.rule("[bold]automap")
    console.print(f"URL          [bold cyan]{url}[/]")
    if login is not None:
        console.print(f"Login        [bold]{login[0]}[/]  password {secret('demo_password', login[1])}")
    console.print(f"Admin token  {secret('admin_token', settings.admin_token)}  (Authorization: Bearer …)")
    write_key = keys[KeyName.WRITE_KEY].value if keys else settings.write_key
    console.print(f"Write key    [bold]{write_key}[/]  (the public site key: the widget snippet, browsers)")
    server_key = keys[KeyName.SERVER_KEY] if keys else None
    if server_key is not None and server_key.pinned_by is None and \
            (server_key.rotated_at is not None or settings.server_key is None):
        console.print(f"Server key   on the Settings page, {url}/settings  (your backend's /v1 calls, secret)")
    elif settings.server_key is not None:
        console.print(f"Server key   {secret('server_key', settings.server_key)}  (your backend's /v1 calls, secret)")
    console.print(f"Database     {settings.database_backend}   Queue  {'embedded' if settings.embedded else 'redis'}")
    if shown:
        console.print(f"[dim]Generated for this instance and kept in {kept} (readable by you only); "
                      "later runs do not print them.[/]")
    console.rule()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the web app; in embedded mode the worker and scheduler run in this process too."""
    settings = _settings()
    _banner(settings, f"http://{host}:{port}", demo_login(settings), load_keys(db.session, settings, now()))
    flask_app = current_app._get_current_object()
    if settings.embedded:
        current = configure_runtime(settings, embedded_redis())
        serve_embedded(site_app(flask_app), current, host, port)
    else:
        configure_runtime(settings, Redis.from_url(settings.redis_url))
        uvicorn.run(site_app(flask_app), host=host, port=port, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)


@main.command("widget-stream")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@with_appcontext
def widget_stream(host: str, port: int) -> None:
    """Serve the widgets' event streams (GET /widget/stream) on asyncio: run it beside the API in production and
    point AUTOMAP_WIDGET_STREAM_URL at it."""
    settings = _settings()
    configure_runtime(settings, _shared_redis(settings, "widget stream server"))
    console.print(f"Widget streams on [bold cyan]http://{host}:{port}/widget/stream[/]")
    uvicorn.run(stream_app(current_app._get_current_object()), host=host, port=port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)


def _shared_redis(settings: Settings, command: str) -> Redis:
    if settings.embedded:
        raise click.UsageError(
            f"AUTOMAP_REDIS_URL is not set: in embedded mode the {command} runs inside `automap serve`."
        )
    return Redis.from_url(settings.redis_url)


def _stop_on_signal() -> threading.Event:
    """An event set by SIGINT or SIGTERM, for a command that runs until stopped."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="Also tick the scheduler in this process.")
@with_appcontext
def worker(burst: bool, with_scheduler: bool) -> None:
    """Run an RQ worker on the shared Redis; start as many as the load needs, on any machine.
    It waits out Redis and database outages, logging them on stderr."""
    log_to_stderr()
    settings = _settings()
    current = configure_runtime(settings, _shared_redis(settings, "worker"))
    run_worker(current, with_scheduler=with_scheduler, burst=burst)


@main.command()
@click.option("--interval", default=1.0, show_default=True, help="Seconds between ticks.")
@with_appcontext
def scheduler(interval: float) -> None:
    """Turn due wake-ups into batch jobs and repair Redis from the database, until stopped.
    It waits out Redis and database outages, logging them on stderr."""
    log_to_stderr()
    settings = _settings()
    current = configure_runtime(settings, _shared_redis(settings, "scheduler"))
    stop = _stop_on_signal()
    console.print(f"scheduler ticking every {interval}s")
    Scheduler(current, interval=interval).run(stop)


@main.command("inbound-smtp")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 behind an MX).")
@click.option("--port", default=2525, show_default=True, type=int)
@with_appcontext
def inbound_smtp(host: str, port: int) -> None:
    """Receive email answers to forwarded chat messages (reply+…@AUTOMAP_INBOUND_DOMAIN) over SMTP, until stopped."""
    settings = _settings()
    # Embedded mode has no shared Redis: an open widget then sees the answer at its stream's next check.
    current = configure_runtime(settings, embedded_redis() if settings.embedded else Redis.from_url(settings.redis_url))
    stop = _stop_on_signal()
    with inbound_smtp_server(current, reply_addresses(settings), host, port):
        console.print(f"inbound SMTP on {host}:{port} for reply+…@{settings.inbound_domain}")
        stop.wait()


@main.group()
def flows() -> None:
    """Validate, import, export and list flow documents."""


def _error_table(errors: list[FlowError], kind: str = "problem", style: str = "bold red") -> Table:
    table = Table(show_header=True, header_style=style)
    for column in ("node", "pointer", kind):
        table.add_column(column)
    for error in errors:
        table.add_row(error.node_id or "—", error.pointer or "/", error.message)
    return table


def _read_document(path: Path) -> Any:
    try:
        return load_file(path)
    except FlowInvalid as invalid:
        errors_console.print(f"[red]✗ {path}[/]")
        errors_console.print(_error_table(invalid.errors))
        sys.exit(1)


@flows.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_files(files: tuple[Path, ...]) -> None:
    """Check flow documents; list every error per node, then the warnings, which do not stop publishing;
    exit 1 if any file is invalid (warnings alone do not fail)."""
    failed = 0
    for path in files:
        try:
            document = load_file(path)
        except FlowInvalid as invalid:
            errors, warnings = invalid.errors, []
        else:
            errors, warnings = validate_flow(document), flow_warnings(document)
        if errors:
            failed += 1
            console.print(f"[red]✗ {path}[/]: {len(errors)} error(s)")
            console.print(_error_table(errors))
        else:
            console.print(f"[green]✓ {path}[/]")
        if warnings:
            console.print(f"[yellow]⚠ {path}[/]: {len(warnings)} warning(s), which do not stop publishing")
            console.print(_error_table(warnings, "warning", "bold yellow"))
    if failed:
        console.print(f"[red]{failed} of {len(files)} file(s) invalid[/]")
        sys.exit(1)


@flows.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish it as version 1 straight away.")
@with_appcontext
def import_file(file: Path, publish: bool) -> None:
    """Store a flow document as a new draft and print its id."""
    document = _read_document(file)
    try:
        flow = flow_store.import_flow(db.session, document)
        if publish:
            flow_store.publish_flow(db.session, flow)
    except FlowInvalid as invalid:
        db.session.rollback()
        errors_console.print(f"[red]✗ {file}: not imported[/]")
        errors_console.print(_error_table(invalid.errors))
        sys.exit(1)
    db.session.commit()
    console.print(f"imported flow {flow.id} ({flow.name}) as {flow.status.value}")


@flows.command("export")
@click.argument("flow_id", type=int)
@click.option("--version", "version", type=int, help="A published version number (default: the draft).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@with_appcontext
def export_file(flow_id: int, version: int | None, output: Path | None) -> None:
    """Write a flow's canonical JSON document."""
    try:
        document = flow_store.export_flow(db.session, flow_id, version)
    except flow_store.FlowNotFound as missing:
        raise click.ClickException(str(missing)) from None
    text = dumps(document)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        errors_console.print(f"wrote {output}")


@flows.command("list")
@with_appcontext
def list_flows() -> None:
    """Show every flow with its status and live version."""
    table = Table("id", "name", "status", "live version", "scenario")
    for flow in db.session.scalars(db.select(Flow).order_by(Flow.id)):
        live = f"v{flow.live_version.number}" if flow.live_version else "—"
        table.add_row(str(flow.id), flow.name, flow.status.value, live, flow.scenario_slug or "")
    console.print(table)


@flows.command("forecast")
@click.argument("flow_id", type=int)
@click.option("--version", "version", type=int, help="A published version number (default: the draft).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, forecast_window.MAX_DAYS),
              help="Replay the last N whole days and today.")
@click.option("--step-minutes", default=int(forecast_window.STEP.total_seconds() // 60), show_default=True,
              type=click.IntRange(1, forecast_window.MAX_STEP_MINUTES),
              help="Events and wake-ups are handled at the end of their step.")
@with_appcontext
def forecast_flow(flow_id: int, version: int | None, days: int, step_minutes: int) -> None:
    """Replay the last DAYS days' events through the draft (or --version) in a scratch database, here and now, and
    print each node's projected figures beside the live ones."""
    moment = now()
    try:
        asked = forecast_window.last_days(days, moment)
        forecast_id = request_forecast(db.session, flow_id, version, asked, moment, timedelta(minutes=step_minutes)).id
    except (forecast_window.ForecastRefused, flow_store.FlowNotFound, FlowInvalid, ForecastBusy) as refused:
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    run_forecast(session_factory(db.engine), forecast_id)
    done = db.session.get(Forecast, forecast_id)
    db.session.refresh(done)
    if done.status is not ForecastStatus.DONE:
        raise click.ClickException(done.error or "the forecast did not finish")
    replayed = "the draft" if version is None else f"v{version}"
    table = Table(*TABLE_COLUMNS, title=f"Forecast {forecast_id} of flow {flow_id} ({replayed}), "
                                        f"{asked.start:%Y-%m-%d} to {asked.end:%Y-%m-%d %H:%M} UTC: "
                                        f"{done.result['events']} events")
    for row in table_rows(done.result):
        table.add_row(*row)
    # Each figure whole, however narrow the terminal: a wrapped cell could not be read or grepped.
    Console(width=max(console.width, 200), soft_wrap=True).print(table)
    for note in done.result["notes"]:
        console.print(f"- {note}")


@main.group()
def scenarios() -> None:
    """The scenarios shipped in flows/scenarios/ (abandoned cart, welcome series, …), to start a flow from."""


@scenarios.command("load")
@with_appcontext
def load_scenarios() -> None:
    """Import every scenario not yet in the database, as a draft flow."""
    created = flow_store.load_scenarios(db.session)
    db.session.commit()
    console.print(f"loaded {len(created)} scenario(s): {', '.join(f.name for f in created) or 'all present'}")


@main.group()
def demo() -> None:
    """A demo flow with simulated traffic, so statistics mode is not empty on a first visit."""


@demo.command("seed")
@click.option("--visitors", default=VISITORS, show_default=True, type=click.IntRange(1, 5000),
              help="How many simulated shoppers go through the demo flow.")
@with_appcontext
def seed_demo_flow(visitors: int) -> None:
    """Publish the abandoned-cart demo flow and simulate shoppers through it; does nothing if it exists."""
    current = demo_runtime(_settings().database_url, datetime.now(UTC))
    try:
        seeded = seed_demo(current, visitors)
    finally:
        current.engine.dispose()
    if seeded.created:
        console.print(f"seeded demo flow {seeded.flow_id} with {seeded.visitors} simulated shoppers (paused)")
    else:
        console.print(f"demo flow {seeded.flow_id} is there already: nothing added")


@main.command("node-types", with_appcontext=False)
def print_node_types() -> None:
    """Print the node catalogue GET /api/node-types serves, as JSON: the canvas's Vitest fixture (`make node-catalogue`)."""
    click.echo(json.dumps(NodeTypeCatalogue().dump(node_catalogue()), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
