"""Email benchmark: personalised emails/s with MJML compiled once per template against compiled per send.

    .venv/bin/python bench/emails.py                       # 5,000 emails
    .venv/bin/python bench/emails.py --emails 20000 --baseline-emails 200
    .venv/bin/python bench/emails.py --sink-emails 20000 --connections 8

(Not `bench/email.py`: the script's folder comes first on `sys.path`, so that name would
shadow the standard library's `email` for every script in bench/.)

Every email is the same abandoned-cart MJML template personalised for a different contact
(name, promo code, the cart's product and total from the trigger event), with its links
signed for click tracking, an open pixel, an unsubscribe link and a plain-text part —
what `workflow_runtime.channels.email_render.render_email` does for each delivery.

  compile once   the delivery path: the template is compiled on the first email and
                 served from the cache (keyed by template id + version) afterwards
  baseline       the same call with a cache that keeps nothing: MJML → HTML, link
                 wrapping, text part and Jinja parsing on every send
                 (the two run in alternating slices, so load on a shared machine hits both)
  + SMTP         compile-once rendering, MIME assembly and hand-over to a local aiosmtpd
                 server (its own process) over one SMTP session, as a delivery job used to send a claimed batch

SMTP throughput per worker process, to bench/smtp_sink.py (its own process; it counts what it
accepted, and the bench checks every email arrived). aiosmtpd takes ~450 emails/s here however
many connections send to it, so it cannot show a faster sender; the sink can:

  1 connection   the baseline, the path before pooling: EmailMessage built and serialised per
                 email (email.message), one session, one command at a time
  N connections  the delivery path: the MIME bytes written directly (channels.email_mime), sent over
                 N pooled sessions on the SMTP loop (channels.smtp_pool.fan_out), as EmailDeliverer does
  sink alone     pre-built emails over N connections with no rendering: the ceiling of the sink and
                 the client on this machine, so a figure close to it says rendering is not the limit

No database is involved. Every rendered email is checked (its contact's name, promo code and
a tracked link are in it), so a faster path cannot get there by skipping work.
"""
from __future__ import annotations

import argparse
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from nodes.personalisation import contact_variables  # noqa: E402
from tests.mail_server import free_port  # noqa: E402
from workflow_runtime.channels import smtp_loop  # noqa: E402
from workflow_runtime.channels.email import EmailSettings, build_email, compose_email  # noqa: E402
from workflow_runtime.channels.email_render import EmailSource, RenderedEmail, render_email  # noqa: E402
from workflow_runtime.channels.email_template import CompiledCache, template_key  # noqa: E402
from workflow_runtime.channels.smtp import SmtpServer  # noqa: E402
from workflow_runtime.channels.smtp_pool import SmtpLane, SmtpPool, fan_out, taking  # noqa: E402
from workflow_runtime.channels.tracking import Tracking  # noqa: E402

TARGET_RATIO = 50.0
TARGET_SMTP = 2000.0  # emails/s per worker process to a local sink (issue 20)
SINK = Path(__file__).with_name("smtp_sink.py")
# shop.example allow-listed, so the cart button, personalised with the promo code, is tracked as well.
TRACKING = Tracking("bench-secret-key", "https://automap.example", ("shop.example",))
SOURCE = EmailSource(
    key=template_key(1, 1, datetime(2026, 1, 1, tzinfo=timezone.utc)),
    subject="{{ name }}, your {{ event.product }} is waiting",
    preheader="Use {{ promo_code }} for 10% off today",
    body="""<mjml>
  <mj-head><mj-attributes><mj-all font-family="Helvetica, Arial, sans-serif" /></mj-attributes></mj-head>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="#ffffff"><mj-column>
      <mj-image width="120px" src="https://shop.example/logo.png" href="https://shop.example/" alt="Shop" />
      <mj-text font-size="22px" font-weight="bold">You left something in your cart</mj-text>
      <mj-text>Hi {{ contact.name }}, your {{ event.product }} ({{ event.total }} EUR) is still waiting for you.</mj-text>
      <mj-text>Use the code <strong>{{ promo_code }}</strong> at checkout for 10% off your order.</mj-text>
      <mj-button background-color="#1a73e8" href="https://shop.example/cart?utm_source=email&amp;c={{ promo_code }}">Back to my cart</mj-button>
    </mj-column></mj-section>
    <mj-section><mj-column>
      <mj-text font-size="12px" color="#777777">Questions? <a href="https://shop.example/help">Visit the help centre</a>
        or <a href="mailto:help@shop.example">write to us</a>. <a href="{{ unsubscribe_url }}">Unsubscribe</a>.</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>
""",
)
SETTINGS = EmailSettings(smtp=None, mail_from="shop@automap.example", tracking=TRACKING)


def variables(index: int) -> dict[str, Any]:
    """Contact `index`'s personalisation: a different name, promo code and cart each."""
    fields = {"name": f"Customer {index}", "email": f"customer{index}@example.com"}
    properties = {"promo_code": f"SAVE{index:05d}"}
    trigger = {"properties": {"product": ["boots", "jacket", "scarf"][index % 3], "total": 40 + index % 60}}
    return contact_variables(fields, properties, trigger)


def render(index: int, cache: CompiledCache) -> RenderedEmail:
    rendered = render_email(SOURCE, variables(index), TRACKING.links_for(index), cache)
    assert f"Customer {index}" in rendered.html and f"SAVE{index:05d}" in rendered.text, index
    assert "https://automap.example/t/c/" in rendered.html and "shop.example/cart" not in rendered.html, index
    return rendered


def timed(count: int, work: Callable[[int], object], start: int = 0) -> float:
    """Seconds doing `work(i)` for `count` emails from `start`."""
    started = time.perf_counter()
    for index in range(start, start + count):
        work(index)
    return time.perf_counter() - started


def interleaved(rounds: int, counts: tuple[int, int], works: tuple[Callable[[int], object], ...]) -> list[float]:
    """Emails/s of each work, run in alternating slices so a noisy machine slows both alike."""
    seconds = [0.0] * len(works)
    done = [0] * len(works)
    for round_ in range(rounds):
        for which, (count, work) in enumerate(zip(counts, works)):
            share = count // rounds + (1 if round_ < count % rounds else 0)
            seconds[which] += timed(share, work, start=done[which])
            done[which] += share
    return [count / spent for count, spent in zip(counts, seconds)]


@contextmanager
def sink_server(fast: bool = False) -> Iterator[int]:
    """A local SMTP server in a process of its own (in this one it would share the GIL): aiosmtpd's Sink, which
    accepts and discards, or with `fast` bench/smtp_sink.py."""
    port = free_port()
    command = ([sys.executable, str(SINK), str(port)] if fast else
               [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
    server = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()


def accepted(port: int) -> int:
    """How many messages bench/smtp_sink.py on `port` accepted so far."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        code, count = client.docmd("XCOUNT")
        assert code == 250, (code, count)
        return int(count)


def one_session(port: int, count: int) -> float:
    """Emails/s rendered (compile once), built as an EmailMessage and sent over one SMTP session, one at a time."""
    cache = CompiledCache()

    async def send_all() -> float:
        async with SmtpServer("127.0.0.1", port, pipelining=False).connect() as connection:
            started = time.perf_counter()
            for index in range(count):
                email = build_email(SETTINGS, render(index, cache), f"customer{index}@example.com",
                                    unsubscribe_url=TRACKING.links_for(index).unsubscribe_url)
                assert await connection.send(email, SETTINGS.mail_from, f"customer{index}@example.com")
            return count / (time.perf_counter() - started)

    return smtp_loop.run(send_all())


def with_smtp(count: int) -> float:
    """Emails/s rendered, assembled and accepted by a local aiosmtpd, over one SMTP session."""
    with sink_server() as port:
        return one_session(port, count)


def fanned_out(port: int, connections: int, warm_up: range, timed_items: range,
               send: Callable[[SmtpLane, int], Awaitable[int]]) -> float:
    """Items/s of `send` over `connections` pooled sessions, sessions opened by `warm_up` before the clock starts."""
    pool = SmtpPool(SmtpServer("127.0.0.1", port))

    async def run() -> tuple[int, float]:
        await fan_out(pool, connections, taking(warm_up), send)
        started = time.perf_counter()
        sent = await fan_out(pool, connections, taking(timed_items), send)
        seconds = time.perf_counter() - started
        await pool.close()
        return sent, seconds

    sent, seconds = smtp_loop.run(run())
    assert sent == len(timed_items), (sent, len(timed_items))
    return sent / seconds


def pooled(port: int, count: int, connections: int, start: int = 0) -> float:
    """Emails/s rendered, written as MIME bytes and sent over `connections` pooled sessions."""
    cache = CompiledCache()

    async def send(lane: SmtpLane, index: int) -> int:
        recipient = f"customer{index}@example.com"
        email = compose_email(SETTINGS, render(index, cache), recipient,
                              unsubscribe_url=TRACKING.links_for(index).unsubscribe_url)
        return int(await lane.send(email, SETTINGS.mail_from, recipient))

    return fanned_out(port, connections, range(start, start + 1), range(start + 1, start + 1 + count), send)


def sink_alone(port: int, count: int, connections: int) -> float:
    """Emails/s of pre-built emails over `connections` pooled sessions: what the sink and the client allow."""
    email = compose_email(SETTINGS, render(0, CompiledCache()), "customer0@example.com")

    async def send(lane: SmtpLane, _index: int) -> int:
        return int(await lane.send(email, SETTINGS.mail_from, "customer0@example.com"))

    return fanned_out(port, connections, range(connections), range(count), send)


def through_sink(count: int, baseline_count: int, connections: int) -> tuple[float, float, float]:
    """(baseline emails/s, N connections emails/s, sink alone emails/s), all to one bench/smtp_sink.py."""
    with sink_server(fast=True) as port:
        baseline = one_session(port, baseline_count)
        parallel = pooled(port, count, connections)
        alone = sink_alone(port, count, connections)
        expected = baseline_count + (1 + count) + (connections + count)
        assert accepted(port) == expected, (accepted(port), expected)  # every email arrived, once
    return baseline, parallel, alone


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=5000, help="emails rendered with compile-once")
    parser.add_argument("--baseline-emails", type=int, default=100, help="emails rendered compiling per send")
    parser.add_argument("--smtp-emails", type=int, default=1000, help="emails rendered and sent to aiosmtpd")
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices of the two render runs")
    parser.add_argument("--sink-emails", type=int, default=5000, help="emails sent to the fast sink over N connections")
    parser.add_argument("--sink-baseline-emails", type=int, default=1000,
                        help="emails sent to the fast sink over one session, today's way")
    parser.add_argument("--connections", type=int, default=4, help="N: SMTP connections (AUTOMAP_SMTP_CONNECTIONS)")
    args = parser.parse_args(argv)

    render(0, CompiledCache())  # warm the interpreter's own imports; the first compile is counted below anyway
    cache, nothing_kept = CompiledCache(), CompiledCache(size=0)
    once, per_send = interleaved(args.rounds, (args.emails, args.baseline_emails),
                                 (lambda index: render(index, cache), lambda index: render(index, nothing_kept)))
    assert cache.misses == 1, cache.misses
    assert nothing_kept.misses == args.baseline_emails
    smtp = with_smtp(args.smtp_emails)
    one, parallel, alone = through_sink(args.sink_emails, args.sink_baseline_emails, args.connections)

    ratio = once / per_send
    print(f"{'compile once':<28}{once:>12,.0f} emails/s  ({args.emails:,} emails, 1 compile)")
    print(f"{'compile MJML per send':<28}{per_send:>12,.0f} emails/s  ({args.baseline_emails:,} emails)")
    print(f"{'compile once + SMTP':<28}{smtp:>12,.0f} emails/s  ({args.smtp_emails:,} emails to aiosmtpd, one session)")
    print(f"{'SMTP sink, 1 connection':<28}{one:>12,.0f} emails/s  ({args.sink_baseline_emails:,} emails, "
          "EmailMessage per email, one session: the baseline)")
    print(f"{f'SMTP sink, {args.connections} connections':<28}{parallel:>12,.0f} emails/s  ({args.sink_emails:,} emails, "
          f"pooled sessions, {parallel / one:,.1f}x the baseline)")
    print(f"{'SMTP sink alone':<28}{alone:>12,.0f} emails/s  ({args.sink_emails:,} pre-built emails over "
          f"{args.connections} connections: the ceiling here)")
    print(f"target ≥ {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    print(f"target ≥ {TARGET_SMTP:,.0f} emails/s through SMTP: {'met' if parallel >= TARGET_SMTP else 'NOT met'}")
    print(f"email: {once:,.0f} emails/s rendered | {ratio:,.1f}x compiling per send ({per_send:,.0f} emails/s) "
          f"| {smtp:,.0f} emails/s rendered + SMTP | {parallel:,.0f} emails/s over {args.connections} connections "
          f"= {parallel / one:,.1f}x 1 connection ({one:,.0f} emails/s) | emails={args.emails}")


if __name__ == "__main__":
    main()
