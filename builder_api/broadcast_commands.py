"""`automap broadcasts …`: send a segment (or chosen contacts) into a flow with a manual trigger, and follow it."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.flows import service
from builder_api.runtime_access import job_queue
from workflow_runtime.storage.models import UNFINISHED_BROADCASTS, Broadcast

console = Console(soft_wrap=True)
POLL_SECONDS = 0.5


@click.group()
def broadcasts() -> None:
    """Audiences entered into flows at their manual trigger, by the workers, a chunk at a time."""


@broadcasts.command("send")
@click.argument("flow_id", type=int)
@click.option("--segment", "segment_id", type=int, help="The segment whose members to enrol.")
@click.option("--contact", "contact_ids", type=int, multiple=True, help="A contact to enrol (repeatable).")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow its progress until it is done.")
@with_appcontext
def send(flow_id: int, segment_id: int | None, contact_ids: tuple[int, ...], wait: bool) -> None:
    """Enrol a segment's members, or chosen contacts, at the flow's manual trigger."""
    if (segment_id is None) == (not contact_ids):
        raise click.UsageError("give --segment, or one or more --contact")
    try:
        flow = service.find_flow(db.session, flow_id)
        broadcast = service.broadcast(db.session, flow, list(contact_ids), segment_id)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    queue = job_queue()
    if queue is None:
        click.echo(f"Broadcast #{broadcast.id} is queued: a worker (or `automap serve`) enrols it when it starts.")
        return
    queue.enrol_broadcasts([broadcast.id])
    if wait:
        broadcast = _follow(broadcast.id)
    click.echo(_summary(broadcast))
    if broadcast.error:
        raise click.ClickException(broadcast.error)


@broadcasts.command("list")
@click.option("--flow", "flow_id", type=int, help="Only this flow's broadcasts.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@with_appcontext
def list_broadcasts(flow_id: int | None, limit: int) -> None:
    """The latest broadcasts, a line each."""
    query = db.select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if flow_id is not None:
        query = query.where(Broadcast.flow_id == flow_id)
    for broadcast in db.session.scalars(query):
        click.echo(_summary(broadcast))


def _follow(broadcast_id: int) -> Broadcast:
    """Show a progress bar over the contacts examined until the broadcast is done or failed."""
    columns = (TextColumn("Enrolling"), BarColumn(), MofNCompleteColumn(), TextColumn("enrolled {task.fields[enrolled]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("broadcast", total=None, enrolled=0)
        while True:
            db.session.expire_all()
            broadcast = db.session.get(Broadcast, broadcast_id)
            progress.update(task, total=broadcast.to_scan, completed=broadcast.scanned, enrolled=broadcast.enrolled)
            if broadcast.status not in UNFINISHED_BROADCASTS:
                return broadcast
            time.sleep(POLL_SECONDS)


def _summary(broadcast: Broadcast) -> str:
    audience = f"segment {broadcast.segment_name!r}" if broadcast.contact_ids is None else (
        f"{len(broadcast.contact_ids)} chosen contacts")
    kept_out = broadcast.audience - broadcast.enrolled
    return (f"#{broadcast.id} flow {broadcast.flow_id}, {audience}: {broadcast.status.value}, "
            f"{broadcast.scanned} of {broadcast.to_scan} examined, {broadcast.audience} in the audience, "
            f"{broadcast.enrolled} enrolled, {kept_out} kept out by the re-entry rule"
            + (f" — {broadcast.error}" if broadcast.error else ""))
