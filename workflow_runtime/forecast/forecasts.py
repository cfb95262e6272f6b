"""A forecast's life: asked for (the document frozen, the window checked), queued as a background job, replayed in a
scratch database with its progress written as it goes, and finished with its figures or the reason it failed.

The job writes nothing in the live database but its own `forecasts` row; everything else there is only read.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.validation import FlowInvalid, ensure_valid
from workflow_runtime.authoring import flow_store
from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.job_queue import JobQueue
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.engine.failures import describe
from workflow_runtime.forecast import figures, history
from workflow_runtime.forecast.replay import BATCH_SIZE, Replay, ReplayInputs, ReplayTally
from workflow_runtime.forecast.scratch import ScratchDatabase, copy_rows
from workflow_runtime.forecast.window import STEP, Window
from workflow_runtime.storage.models import UNFINISHED_FORECASTS, Contact, Event, Forecast, ForecastStatus

JOB = "workflow_runtime.forecast.forecasts.run_forecast_job"
JOB_TIMEOUT = 3 * 3600  # RQ's default (180 s) is shorter than a large window's replay
# A forecast whose job has not written progress for this long lost its worker (progress is written every second).
LOST_AFTER = timedelta(minutes=10)
PROGRESS_EVERY = 1.0  # seconds of wall time between progress writes


def request_forecast(session: Session, flow_id: int, version: int | None, window: Window, now: datetime,
                     step: timedelta = STEP) -> Forecast:
    """Record a forecast of the flow's version `version` (None: its draft as it is now) over `window`, replayed in
    steps of `step`; flushed.

    Raises:
        FlowNotFound: no such flow or version.
        FlowInvalid: the draft does not validate, or names a segment or template that does not exist.
        ForecastBusy: another forecast is queued or running.
    """
    flow = flow_store.get_flow(session, flow_id)
    _check_none_running(session)
    if version is None:
        document = ensure_valid(flow.draft)
        missing = flow_store.missing_references(session, document)
        if missing:
            raise FlowInvalid(missing)
    else:
        document = flow_store.get_version(session, flow, version).document
    forecast = Forecast(flow_id=flow.id, version=version, document=document, window_start=window.start,
                        window_end=window.end, step_seconds=int(step.total_seconds()), status=ForecastStatus.QUEUED,
                        events_total=0, events_replayed=0, created_at=now, touched_at=datetime.now(UTC))
    session.add(forecast)
    session.flush()
    return forecast


class ForecastBusy(RuntimeError):
    """Another forecast is queued or running; the message says which."""


def _check_none_running(session: Session) -> None:
    """One forecast at a time for the whole workspace: a replay takes its worker for as long as it runs, so a second
    one would hold another worker back from contacts' events (in embedded mode, the only one). A forecast whose
    worker stopped (no progress for LOST_AFTER) no longer counts."""
    alive = datetime.now(UTC) - LOST_AFTER
    running = session.scalar(select(Forecast).where(Forecast.status.in_(UNFINISHED_FORECASTS),
                                                    Forecast.touched_at > alive).limit(1))
    if running is not None:
        raise ForecastBusy(f"Forecast {running.id} (of flow {running.flow_id}) is still {running.status.value}: one "
                           "forecast runs at a time, so that replays never hold back the work on live contacts. "
                           "Ask again once it is done.")


def queue_forecast(jobs: JobQueue, forecast_id: int) -> None:
    """Queue the job that runs the forecast."""
    jobs.queue.enqueue(JOB, forecast_id, job_timeout=JOB_TIMEOUT, result_ttl=0)


def run_forecast_job(forecast_id: int) -> int:
    """RQ entry point: run the forecast on this process's database; returns the events replayed."""
    return run_forecast(runtime.current().sessions, forecast_id)


def shown_status(forecast: Forecast, wall_now: datetime) -> tuple[ForecastStatus, str | None]:
    """The forecast's status and error as they should be shown: one unfinished and untouched for LOST_AFTER lost
    its worker, and is failed."""
    if forecast.status in UNFINISHED_FORECASTS and forecast.touched_at < wall_now - LOST_AFTER:
        return ForecastStatus.FAILED, ("The worker running this forecast stopped before it finished: ask for it again.")
    return forecast.status, forecast.error


def run_forecast(live: sessionmaker[Session], forecast_id: int, *, batch_size: int = BATCH_SIZE) -> int:
    """Replay a queued forecast and write its result (or its failure) on its row; returns the events replayed.

    A forecast no longer queued (a repeated job) is left alone.
    """
    with live.begin() as session:
        forecast = session.get(Forecast, forecast_id)
        if forecast is None or forecast.status is not ForecastStatus.QUEUED:
            return 0
        forecast.status = ForecastStatus.RUNNING
        forecast.started_at = forecast.touched_at = datetime.now(UTC)
        flow_name = flow_store.get_flow(session, forecast.flow_id).name
        session.expunge(forecast)
    began = time.monotonic()
    forget_definitions()  # a cached definition of an earlier scratch database under this forecast's version id
    try:
        with ScratchDatabase() as scratch:
            result, tally = forecast_in(live, scratch, forecast, flow_name, _progress_writer(live, forecast_id),
                                        batch_size=batch_size)
    except Exception as error:  # noqa: BLE001 - any failure is the forecast's, told on its row
        _finish(live, forecast_id, ForecastStatus.FAILED, error=_reason(error))
        return 0
    finally:
        forget_definitions()  # the scratch version's definition is of no use to anyone now
    result["seconds"] = round(time.monotonic() - began, 2)
    _finish(live, forecast_id, ForecastStatus.DONE, result=result, events=tally.events)
    return tally.events


def forecast_in(live: sessionmaker[Session], scratch: ScratchDatabase, forecast: Forecast, flow_name: str,
                progress: Callable[[int, int], None], *,
                batch_size: int = BATCH_SIZE) -> tuple[dict[str, Any], ReplayTally]:
    """Copy what the replay needs into `scratch`, replay the window there and read the figures; returns the result
    and the replay's tally."""
    window = Window(forecast.window_start, forecast.window_end)
    step = timedelta(seconds=forecast.step_seconds)
    with live() as reader:
        enrolled = history.manual_enrolments(reader, forecast.flow_id, window)
        contact_ids = history.window_contacts(reader, window, enrolled)
        total = history.count_events(reader, window)
        with scratch.sessions.begin() as session:
            for table, rows in history.workspace_rows(reader).items():
                copy_rows(session, table, rows)
            for rows in history.contact_rows(reader, contact_ids, window):
                copy_rows(session, Contact.__table__, rows)
            for rows in history.earlier_events(reader, contact_ids, window):
                copy_rows(session, Event.__table__, rows)
        inputs = ReplayInputs(
            events=history.window_events(reader, window), enrolled=enrolled,
            unsubscribed=history.unsubscribes(reader, contact_ids, window),
            engagements=history.engagements(reader, forecast.flow_id, window),
            sent_in_reality=history.sent_in_reality(reader, forecast.flow_id, window))
        reader.rollback()
        version_id = scratch.publish(forecast.flow_id, flow_name, forecast.document, forecast.id)
        progress(0, total)
        tally = Replay(scratch, version_id, window, inputs, lambda done: progress(done, total), step=step,
                       batch_size=batch_size).run()
        live_stats = figures.live_figures(reader, forecast.flow_id, window)
    with scratch.sessions() as session:
        ours = figures.forecast_figures(session, forecast.flow_id)
        raw = figures.counters(session)
        unmatched = figures.unmatched_messages(session, inputs.sent_in_reality)
    theirs = figures.live_nodes(live_stats)
    found_estimates = figures.estimates(ours["nodes"], theirs, unmatched)
    said = figures.notes(window, step, tally, live_stats, found_estimates)
    if any(node["config"].get("on") == "segment_entered" for node in forecast.document["nodes"]
           if node["type"] == "trigger"):
        said.append("Contacts are not started by entering a segment in a forecast: segment memberships are not "
                    "recorded over time.")
    return {
        "window": {"from": window.start.isoformat(), "to": window.end.isoformat(),
                   "step_seconds": forecast.step_seconds},
        "events": tally.events,
        "steps": tally.steps,
        "contacts": len(contact_ids),
        "totals": ours["totals"],
        "nodes": ours["nodes"],
        "counters": raw,
        "live": None if live_stats is None else {"totals": live_stats["totals"], "nodes": theirs},
        "difference": figures.difference(ours["nodes"], theirs),
        "estimates": found_estimates,
        "notes": said,
    }, tally


def _progress_writer(live: sessionmaker[Session], forecast_id: int) -> Callable[[int, int], None]:
    """Writes the events replayed so far on the forecast's row, at most every PROGRESS_EVERY seconds."""
    last = [0.0]

    def write(done: int, total: int) -> None:
        if time.monotonic() - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = time.monotonic()
        with live.begin() as session:
            forecast = session.get(Forecast, forecast_id)
            if forecast is not None:
                forecast.events_total, forecast.events_replayed = total, done
                forecast.touched_at = datetime.now(UTC)

    return write


def _finish(live: sessionmaker[Session], forecast_id: int, status: ForecastStatus, *,
            result: dict[str, Any] | None = None, error: str | None = None, events: int | None = None) -> None:
    with live.begin() as session:
        forecast = session.get(Forecast, forecast_id)
        if forecast is None:
            return  # its flow was deleted meanwhile
        forecast.status, forecast.result, forecast.error = status, result, error
        if events is not None:
            forecast.events_replayed = events
        forecast.finished_at = forecast.touched_at = datetime.now(UTC)


def _reason(error: Exception) -> str:
    """Why a forecast failed, as a sentence."""
    if isinstance(error, FlowInvalid):
        return str(error)
    return f"The forecast failed: {describe(error)}."
