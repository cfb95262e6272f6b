"""`automap failures …`: the runs, events and segment checks that failed alone (dead letters): list, show, retry, discard."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from rich.console import Console

from builder_api.extensions import db
from builder_api.runtime_access import job_queue, now
from workflow_runtime.dispatch import dead_letters
from workflow_runtime.storage.models import Failure, FailureKind, FailureState

console = Console(soft_wrap=True)
PAGE = 500


@click.group()
def failures() -> None:
    """What failed alone and was set aside, so that the rest of its batch went on."""


@failures.command("list")
@click.option("--state", type=click.Choice([*(state.value for state in FailureState), "all"]),
              default=FailureState.QUARANTINED.value, show_default=True)
@click.option("--kind", type=click.Choice([kind.value for kind in FailureKind]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, PAGE))
@with_appcontext
def list_failures(state: str, kind: str | None, limit: int) -> None:
    """The failures, the latest first."""
    items, total = dead_letters.listed(db.session, None if state == "all" else FailureState(state),
                                       FailureKind(kind) if kind else None, limit)
    labels = dead_letters.node_labels(db.session, items)
    for failure in items:  # a line each, so that they can be grepped
        where = f" at {labels.get(failure.id, failure.node_id)!r} ({failure.node_id})" if failure.node_id else ""
        contact = f" (contact {failure.contact_id})" if failure.contact_id else ""
        tries = f"{failure.attempts} {'try' if failure.attempts == 1 else 'tries'}"
        click.echo(f"#{failure.id} {failure.kind.value} {failure.item_id}{contact}{where}, {failure.state.value}, "
                   f"{tries}, last {failure.failed_at:%Y-%m-%d %H:%M:%S}: {failure.error}")
    click.echo(f"{len(items)} of {total}")


@failures.command("show")
@click.argument("failure_id", type=int)
@with_appcontext
def show_failure(failure_id: int) -> None:
    """One failure, with its traceback."""
    failure = db.session.get(Failure, failure_id)
    if failure is None:
        raise click.UsageError(f"there is no failure {failure_id}: `automap failures list` shows them")
    click.echo(f"{failure.kind.value} {failure.item_id} ({failure.state.value}, {failure.attempts} tries): {failure.error}")
    click.echo(failure.traceback)


def _chosen(ids: tuple[int, ...], every: bool) -> list[int]:
    if every == bool(ids):
        raise click.UsageError("name the failures' ids, or pass --all for every quarantined one")
    if ids:
        return list(ids)
    quarantined, _total = dead_letters.listed(db.session, FailureState.QUARANTINED, limit=PAGE)
    return [failure.id for failure in quarantined]


@failures.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help=f"Every quarantined one (up to {PAGE} a time).")
@with_appcontext
def retry_failures(ids: tuple[int, ...], every: bool) -> None:
    """Put failed items back where they were and queue their jobs again (once their cause is fixed)."""
    reopened = dead_letters.retry(db.session, _chosen(ids, every), now())
    db.session.commit()
    dead_letters.queue(job_queue(), reopened.values())
    console.print(f"retried {len(reopened)}: {', '.join(map(str, reopened)) or 'none was quarantined'}")


@failures.command("discard")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help=f"Every quarantined one (up to {PAGE} a time).")
@with_appcontext
def discard_failures(ids: tuple[int, ...], every: bool) -> None:
    """Give up on failed items: a parked run stays errored, an event unapplied."""
    discarded = dead_letters.discard(db.session, _chosen(ids, every), now())
    db.session.commit()
    console.print(f"discarded {len(discarded)}: {', '.join(map(str, discarded)) or 'none was quarantined'}")
