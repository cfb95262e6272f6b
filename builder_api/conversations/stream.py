"""`GET /inbox/stream`: the team's open inboxes learn of every conversation change as it commits (server-sent
events, on asyncio beside the widgets' streams: builder_api.asgi).

The stream follows the team's channel on the process's one Redis subscription
(workflow_runtime.channels.team_push) and passes on the notices of the conversations its user may
see. It says `ready` once it listens, and the inbox reads its list then, so nothing committed between
the list's read and the stream's start is missed; like a widget's, it ends after its lifetime and
the browser reconnects (with a new token once this one expired).
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from builder_api.conversations.stream_tokens import StreamGrant, grant_from_token
from builder_api.errors import ApiError
from builder_api.widget.stream import HEARTBEAT_JITTER, RECONNECT_MS, StreamSources, error_response
from builder_api.widget.tokens import token_from_headers
from workflow_runtime.channels.team_push import TEAM_CHANNEL
from workflow_runtime.inbox.access import Viewer


def _viewer(sources: StreamSources, grant: StreamGrant) -> Viewer:
    """The stream's viewer, with the user's access as it is now; 403 once the grant's credential or user is gone."""
    with Session(sources.engine) as session:
        return Viewer.of(grant.check(session, datetime.now(UTC)))


async def team_stream(request: Request) -> Response:
    """`GET /inbox/stream?token=`: `ready`, then a `conversation` event ({conversation, item}) for every change
    the token's user may see."""
    sources: StreamSources = request.app.state.stream_sources()
    try:
        grant = grant_from_token(request.query_params.get("token") or token_from_headers(request.headers),
                                 sources.secret_key)
        viewer = await to_thread.run_sync(_viewer, sources, grant, limiter=sources.database_threads)
    except ApiError as error:
        return error_response(error)
    return StreamingResponse(team_events(sources, viewer), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                                      "Access-Control-Allow-Origin": "*"})


async def team_events(sources: StreamSources, viewer: Viewer) -> AsyncIterator[str]:
    """The SSE body: `ready` once subscribed, then the notices the viewer may see, with keep-alives between."""
    yield f"retry: {RECONNECT_MS}\n\n"
    notices: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await sources.notices.follow(notices, TEAM_CHANNEL)
    try:
        yield "event: ready\ndata: {}\n\n"
        deadline = time.monotonic() + sources.setting("AUTOMAP_WIDGET_STREAM_LIFETIME") * random.uniform(
            1 - HEARTBEAT_JITTER, 1)
        heartbeat = sources.setting("AUTOMAP_WIDGET_HEARTBEAT")
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                notice = await asyncio.wait_for(notices.get(), timeout=min(heartbeat, remaining))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if viewer.may_see_summary(notice["conversation"]):
                yield f"event: conversation\ndata: {json.dumps(notice)}\n\n"
    finally:
        sources.notices.unfollow(notices, TEAM_CHANNEL)
