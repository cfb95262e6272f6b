"""Email delivery benchmark: the worker's whole delivery job, ledger to SMTP, against one session sending one at a time.

    .venv/bin/python bench/delivery.py                       # 3,000 emails, SQLite
    .venv/bin/python bench/delivery.py --database-url postgresql://postgres@127.0.0.1:5432/test --emails 10000

Set-up (not timed) records `--emails` pending emails in the send ledger, each for a contact of its own (an
abandoned-cart email of a send node, personalised with the contact's name and promo code), as a flow's send
node leaves them. Then `workflow_runtime.channels.email.EmailDeliverer.deliver_due`, what a delivery job runs,
sends them all to bench/smtp_sink.py (its own process): claims under a lease, renders, marks each email
`submitting` in a commit before its data, hands it over and records `delivered` with its node's counters.

  N connections   the deliverer as configured by default: `--connections` pooled sessions in parallel, the
                  envelope pipelined (the sink offers PIPELINING, as Postfix, SES and SendGrid do)
  baseline        the same deliverer over one session, each command sent after the last one's reply

The two alternate in `--rounds` slices over fresh emails, so load on a shared machine slows both alike. Each
run is checked: every email `delivered` once, the sink's count, and the node's `email:delivered` counter equal
to the emails sent, so a faster path cannot get there by skipping work. Before the first delivery the process
freezes its set-up's objects out of the garbage collector's sight, as `automap worker` does before its first job.
CPU is this process's (the worker), also by thread (the job's render and ledger threads and the SMTP loop, sampled
from /proc; the interpreter lock lets them add up to one core at most, and how often each was switched out shows
the lock passing between them) and, on PostgreSQL, the bench database's backends'.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import func, insert, make_url, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.emails import SOURCE, TRACKING, accepted, sink_server  # noqa: E402
from bench.process_cpu import ThreadCpu, postgres_cpu  # noqa: E402
from bench.stats import add_database_arguments, bench_database  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.channels import smtp_loop  # noqa: E402
from workflow_runtime.channels.email import EmailDeliverer, EmailSettings  # noqa: E402
from workflow_runtime.channels.smtp import SmtpServer  # noqa: E402
from workflow_runtime.dispatch.worker import freeze_startup_objects  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.database import make_engine, session_factory  # noqa: E402
from workflow_runtime.storage.models import Channel, Contact, DeliveryState, Message, NodeCounter  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
TARGET = 2000.0  # emails/s per worker process (issue 20)
THREADS = ("email-render", "smtp-loop", "email-ledger")  # the job's render and ledger threads, the SMTP event loop
NODE = "cart_email"
CONTENT = {"subject": SOURCE.subject, "body": SOURCE.body, "preheader": SOURCE.preheader}
FLOW = {
    "schema_version": 2, "name": "Cart email",
    "nodes": [{"id": "start", "type": "trigger", "config": {"event": "cart_updated"}},
              {"id": NODE, "type": "send_email", "config": CONTENT}, {"id": "done", "type": "exit", "config": {}}],
    "edges": [{"from": "start", "port": "next", "to": NODE}, {"from": NODE, "port": "next", "to": "done"}],
}


def publish(sessions: sessionmaker[Session]) -> int:
    """The flow whose send node the emails are from: its live version's id (the counters belong to it)."""
    with sessions.begin() as session:
        return flow_store.publish_flow(session, flow_store.import_flow(session, FLOW)).id


def record(sessions: sessionmaker[Session], version: int, first: int, count: int) -> None:
    """`count` contacts from number `first`, each with one pending email in the ledger."""
    with sessions.begin() as session:
        session.execute(insert(Contact), [
            {"id": number, "name": f"Customer {number}", "email": f"customer{number}@example.com",
             "properties": {"promo_code": f"SAVE{number:05d}"}, "tags": [], "first_seen_at": NOW, "last_seen_at": NOW}
            for number in range(first, first + count)])
        session.execute(insert(Message), [
            {"idempotency_key": f"bench-{number}", "contact_id": number, "flow_version_id": version, "node_id": NODE,
             "channel": Channel.EMAIL, "content": CONTENT, "statuses": ["sent"], "created_at": NOW, "updated_at": NOW}
            for number in range(first, first + count)])


def deliver(sessions: sessionmaker[Session], port: int, connections: int,
            pipelining: bool) -> tuple[int, float, float, dict[str, tuple[float, int]]]:
    """(emails accepted, seconds, worker CPU seconds, (CPU seconds, switches) by thread) of one delivery job over
    what is pending."""
    server = SmtpServer("127.0.0.1", port, pipelining=pipelining)
    settings = EmailSettings(smtp=server, mail_from="shop@example.com", tracking=TRACKING, connections=connections)
    deliverer = EmailDeliverer(sessions, lambda: NOW, server, settings)
    with ThreadCpu() as threads:
        started, cpu = time.perf_counter(), time.process_time()
        sent = deliverer.deliver_due()
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    smtp_loop.run(deliverer.pool.close())
    return sent, elapsed, used, threads.by_name()


def check(sessions: sessionmaker[Session], port: int, expected: int) -> None:
    """Every email delivered once, by the ledger, the sink and the node's counter."""
    with sessions() as session:
        states = dict(session.execute(select(Message.delivery_state, func.count()).group_by(Message.delivery_state)).all())
        counted = session.scalar(select(func.sum(NodeCounter.count)).where(
            NodeCounter.node_id == NODE, NodeCounter.metric == "email:delivered")) or 0
    if states != {DeliveryState.DELIVERED: expected} or counted != expected or accepted(port) != expected:
        raise SystemExit(f"expected {expected} delivered: ledger {states}, counter {counted}, sink {accepted(port)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=3000, help="emails delivered over N connections")
    parser.add_argument("--baseline-emails", type=int, default=600,
                        help="emails delivered by the baseline (0: none, to count the deliverer's instructions alone)")
    parser.add_argument("--connections", type=int, default=4, help="N (AUTOMAP_SMTP_CONNECTIONS)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices of the two")
    add_database_arguments(parser, "automap_bench_delivery")
    args = parser.parse_args(argv)

    with bench_database(args) as database_url, sink_server(fast=True) as port:
        schema.upgrade(database_url)
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        version = publish(sessions)
        freeze_startup_objects()  # as `automap worker` does before its first job: the set-up's objects stay put
        figures = {"n": [0, 0.0, 0.0, 0.0], "baseline": [0, 0.0, 0.0, 0.0]}
        thread_cpu = {name: dict.fromkeys(THREADS, 0.0) for name in figures}
        thread_switches = {name: dict.fromkeys(THREADS, 0) for name in figures}
        number, total = 1, 0
        legs = [("n", args.emails, args.connections, True)]
        if args.baseline_emails:  # 0: the N-connection deliverer alone (counting its instructions under valgrind)
            legs.append(("baseline", args.baseline_emails, 1, False))
        for round_ in range(args.rounds):
            for name, emails, connections, pipelining in legs:
                share = emails // args.rounds + (1 if round_ < emails % args.rounds else 0)
                record(sessions, version, number, share)
                number += share
                database_cpu = sum(postgres_cpu(engine).values()) if engine.dialect.name == "postgresql" else 0.0
                sent, seconds, cpu, by_thread = deliver(sessions, port, connections, pipelining)
                for thread in THREADS:
                    seconds_spent, switches = by_thread.get(thread, (0.0, 0))
                    thread_cpu[name][thread] += seconds_spent
                    thread_switches[name][thread] += switches
                if engine.dialect.name == "postgresql":
                    database_cpu = sum(postgres_cpu(engine).values()) - database_cpu
                total += sent
                check(sessions, port, total)
                figure = figures[name]
                figure[0] += sent
                figure[1] += seconds
                figure[2] += cpu
                figure[3] += database_cpu
        engine.dispose()

    rate = {name: sent / seconds for name, (sent, seconds, _cpu, _db) in figures.items() if sent}
    for name, label in (("n", f"{args.connections} connections, pipelined"), ("baseline", "1 session, lock-step")):
        if name not in rate:
            continue
        sent, seconds, cpu, database_cpu = figures[name]
        print(f"{label:<32}{rate[name]:>9,.0f} emails/s  ({sent:,} emails; worker CPU {cpu / sent * 1000:.3f} ms "
              f"an email, database {database_cpu / sent * 1000:.3f} ms)")
        print(" " * 32 + "worker threads, ms an email: " + ", ".join(
            f"{thread} {seconds / sent * 1000:.3f}" for thread, seconds in thread_cpu[name].items()))
        print(" " * 32 + "switched out an email: " + ", ".join(
            f"{thread} {switches / sent:.2f}" for thread, switches in thread_switches[name].items()))
    versus = (f"{rate['n'] / rate['baseline']:.1f}x one session lock-step ({rate['baseline']:,.0f} emails/s)"
              if "baseline" in rate else "no baseline run")
    print(f"delivery: {rate['n']:,.0f} emails/s ledger → SMTP per worker process | {versus} | target ≥ {TARGET:,.0f}: "
          f"{'met' if rate['n'] >= TARGET else 'NOT met'} | database {make_url(database_url).get_backend_name()} "
          f"| emails={args.emails}")


if __name__ == "__main__":
    main()
