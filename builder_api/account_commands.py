"""`automap tokens …` and `automap users …`: API tokens for scripts and logins for the builder."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.table import Table

from builder_api import accounts
from builder_api.extensions import db

console = Console(soft_wrap=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@click.group()
def tokens() -> None:
    """Bearer tokens for scripts calling /api."""


@tokens.command("create")
@click.option("--name", required=True, help="Who or what uses the token, e.g. 'nightly export'.")
@with_appcontext
def create_token(name: str) -> None:
    """Make a token and print it once: only its hash is kept."""
    try:
        row, token = accounts.create_token(db.session, name)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    console.print(f"created API token {row.id} ({row.name}); copy it now, it is not shown again:")
    click.echo(token)


@tokens.command("list")
@with_appcontext
def list_tokens() -> None:
    """Show every token: id, name, first characters, when made and revoked."""
    table = Table("id", "name", "starts with", "created", "revoked")
    for row in accounts.list_tokens(db.session):
        table.add_row(str(row.id), row.name, row.prefix + "…", _when(row.created_at), _when(row.revoked_at))
    console.print(table)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Make a token stop working at once."""
    try:
        row = accounts.revoke_token(db.session, token_id)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    console.print(f"revoked API token {row.id} ({row.name})")


@click.group()
def users() -> None:
    """People who log in to the builder."""


@users.command("create")
@click.option("--email", required=True)
@click.password_option(help="Asked for (twice) when not given.")
@with_appcontext
def create_user(email: str, password: str) -> None:
    """Add a user who logs in with this email and password."""
    try:
        user = accounts.create_user(db.session, email, password)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    console.print(f"created user {user.id} ({user.email})")


@users.command("set-password")
@click.option("--email", required=True)
@click.password_option(help="Asked for (twice) when not given.")
@with_appcontext
def set_password(email: str, password: str) -> None:
    """Give a user a new password; every browser logged in as them is logged out."""
    try:
        user = accounts.set_password(db.session, email, password)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    console.print(f"changed the password of user {user.id} ({user.email}) and ended their sessions")


@users.command("disable")
@click.option("--email", required=True)
@with_appcontext
def disable_user(email: str) -> None:
    """Stop a user from logging in; every browser logged in as them is logged out."""
    try:
        user = accounts.disable_user(db.session, email)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    console.print(f"disabled user {user.id} ({user.email}) and ended their sessions")


@users.command("enable")
@click.option("--email", required=True)
@with_appcontext
def enable_user(email: str) -> None:
    """Let a disabled user log in again, with the password they had."""
    try:
        user = accounts.enable_user(db.session, email)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    console.print(f"enabled user {user.id} ({user.email})")


@users.command("list")
@with_appcontext
def list_users() -> None:
    """Show every user, when they last logged in and whether they were disabled."""
    table = Table("id", "email", "created", "last login", "disabled")
    for user in accounts.list_users(db.session):
        table.add_row(
            str(user.id), user.email, _when(user.created_at), _when(user.last_login_at), _when(user.disabled_at)
        )
    console.print(table)
