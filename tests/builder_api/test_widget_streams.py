"""Widget streams cannot starve the API: served on asyncio, capped per visitor and per address, sessions rate-limited.

Found before: 48 open streams with the public key made `/healthz` time out and `/v1/track` fail on
gunicorn's 2×16 threads, since each stream held a thread for its whole minute.
"""
from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from flask import Flask

from builder_api.asgi import FLASK_THREADS
from builder_api.extensions import limiter
from tests.builder_api.widget_support import visitor, write_key_auth
from tests.live_server import live_server


async def _token(http: httpx.AsyncClient, anonymous_id: str) -> str:
    answer = await http.post("/widget/session", json={"anonymousId": anonymous_id}, headers=write_key_auth())
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


@asynccontextmanager
async def _open_stream(http: httpx.AsyncClient, token: str) -> AsyncIterator[httpx.Response]:
    """A stream whose first line has arrived (or a refusal), held open until the block ends."""
    async with http.stream("GET", "/widget/stream", params={"token": token}) as response:
        if response.status_code == 200:
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("retry:")
        yield response


async def _reopened(http: httpx.AsyncClient, token: str) -> int:
    """The status of a new stream once the server has seen the closed ones go (their slots are given back then)."""
    for _attempt in range(50):
        async with _open_stream(http, token) as again:
            if again.status_code != 429:
                return again.status_code
        await asyncio.sleep(0.1)
    return 429


def test_open_streams_take_no_thread_from_the_api(app: Flask, harness) -> None:  # noqa: F811
    streams = FLASK_THREADS * 2  # more streams than the Flask views have threads

    async def scenario(url: str) -> tuple[list[int], dict[str, int]]:
        limits = httpx.Limits(max_connections=streams + 10)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http, AsyncExitStack() as held:
            tokens = [await _token(http, f"anon-{n}") for n in range(streams)]
            opened = [await held.enter_async_context(_open_stream(http, token)) for token in tokens]
            answers = {
                "healthz": (await http.get("/healthz")).status_code,
                "v1/track": (await http.post("/v1/track", headers=write_key_auth(), json={
                    "anonymousId": "anon-0", "event": "visited"})).status_code,
                "widget.js": (await http.get("/widget.js")).status_code,
            }
            return [response.status_code for response in opened], answers

    with live_server(app, AUTOMAP_WIDGET_STREAM_LIFETIME=30.0, AUTOMAP_WIDGET_STREAMS_PER_ADDRESS=1000) as server:
        statuses, answers = asyncio.run(scenario(server.url))
    assert statuses == [200] * streams
    assert answers == {"healthz": 200, "v1/track": 200, "widget.js": 200}


def test_a_visitor_and_an_address_hold_a_bounded_number_of_streams(app: Flask, harness) -> None:  # noqa: F811
    visitor(harness, "anon-anna", name="Anna")

    async def scenario(url: str) -> dict[str, object]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            anna, boris, carol = [await _token(http, name) for name in ("anon-anna", "anon-boris", "anon-carol")]
            async with _open_stream(http, anna) as first, _open_stream(http, anna) as second, \
                    _open_stream(http, anna) as third:
                per_visitor = [first.status_code, second.status_code, third.status_code]
                retry_after = third.headers.get("Retry-After")
                refusal = (await third.aread()).decode()
                async with _open_stream(http, boris) as fourth, _open_stream(http, carol) as fifth:
                    per_address = [fourth.status_code, fifth.status_code]
            after_closing = await _reopened(http, anna)
        return {"per_visitor": per_visitor, "retry_after": retry_after, "refusal": refusal,
                "per_address": per_address, "after_closing": after_closing}

    with live_server(app, AUTOMAP_WIDGET_STREAMS_PER_VISITOR=2, AUTOMAP_WIDGET_STREAMS_PER_ADDRESS=3,
                     AUTOMAP_WIDGET_STREAM_LIFETIME=30.0) as server:
        seen = asyncio.run(scenario(server.url))
    assert seen["per_visitor"] == [200, 200, 429]
    assert seen["retry_after"] == "30" and "Too many open widget streams" in seen["refusal"]
    assert seen["per_address"] == [200, 429]  # Anna's two and Boris's make three for this address
    assert seen["after_closing"] == 200


def test_visitor_sessions_are_rate_limited_per_address(app: Flask, client) -> None:
    saved, app.config["AUTOMAP_WIDGET_SESSION_RATE"] = app.config["AUTOMAP_WIDGET_SESSION_RATE"], "3 per minute"
    limiter.reset()  # a run a minute ago counted on the same address
    try:
        answers = [client.post("/widget/session", json={"anonymousId": f"anon-{n}"}, headers=write_key_auth(),
                               environ_base={"REMOTE_ADDR": "203.0.113.9"}) for n in range(4)]
        elsewhere = client.post("/widget/session", json={"anonymousId": "anon-x"}, headers=write_key_auth(),
                                environ_base={"REMOTE_ADDR": "203.0.113.10"})
    finally:
        app.config["AUTOMAP_WIDGET_SESSION_RATE"] = saved
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["status"] == 429 and "token" not in refused.json
    assert elsewhere.status_code == 200


def test_widgets_are_told_where_streams_are_served(app: Flask, client) -> None:
    answer = client.post("/widget/session", json={"anonymousId": "anon-a"}, headers=write_key_auth())
    assert answer.json["stream_url"] is None  # this server: /widget/stream
    settings = app.config["AUTOMAP"]
    app.config["AUTOMAP"] = dataclasses.replace(settings, widget_stream_url="https://stream.example/widget/stream")
    try:
        answer = client.post("/widget/session", json={"anonymousId": "anon-a"}, headers=write_key_auth())
    finally:
        app.config["AUTOMAP"] = settings
    assert answer.json["stream_url"] == "https://stream.example/widget/stream"
