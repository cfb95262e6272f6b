"""The messages report over real flows the runtime ran: popups, chats and emails, their statuses reported, goals
reached, two versions of a flow, a broadcast to an archived flow; every figure checked against a recount from the
send ledger and the runs, over the whole history and over ranges of days."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.workflow_runtime.runtime_support import assert_counters_balance, document, track_all
from workflow_runtime.authoring import flow_store
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.channels import onsite
from workflow_runtime.channels.messages import record_status, unsubscribe
from workflow_runtime.engine.lifecycle import archive_flow
from workflow_runtime.reports.messages_report import MessagesFilter, messages_report
from workflow_runtime.reports.stats import DayRange
from workflow_runtime.storage.models import Channel, Flow, FlowVersion, Message, MessageStatus, MessageTemplate, Run

DAY0 = date(2026, 3, 2)  # the harness's START
DAYS = [DAY0 + timedelta(days=offset) for offset in range(3)]
FIGURES = ("sent", "delivered", "read", "clicked", "replied", "unsubscribed", "failed")
RATED = ("delivered", "read", "clicked", "replied", "unsubscribed", "failed", "converted")
MJML = "<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>"
CHAT_TEXT = 'Hi {{ contact.name | default("there") }}, can I help you choose a plan today? We answer within minutes.'


def cart_rescue(template_id: int) -> dict[str, Any]:
    """A popup (failing to personalise for n = 0) with an email fallback after a day, then a template email."""
    return document(
        "Cart rescue",
        {
            "start": ("trigger", {"event": "cart_abandoned"}),
            "popup": ("send_popup", {"size": "small", "title": "Forgot something?", "body": "Take {{ 100 / event.n }}% off",
                                     "email_fallback_after": "P1D",
                                     "email_fallback": {"subject": "Your cart misses you", "body": MJML}}),
            "email": ("send_email", {"template_id": template_id}),
            "wait": ("wait", {"duration": "P2D"}),
            "end": ("exit", {}),
        },
        [("start", "next", "popup"), ("popup", "next", "email"), ("email", "next", "wait"), ("wait", "next", "end")],
        goal={"event": "order_paid", "within": "P7D", "revenue_property": "amount"},
    )


def welcome(*, with_email: bool) -> dict[str, Any]:
    """A chat message forwarded by email when unread after an hour; version 1 also sends a welcome email."""
    nodes = {
        "start": ("trigger", {"event": "signed_up"}),
        "chat": ("send_chat", {"body": CHAT_TEXT, "forward_by_email_after": "PT1H"}),
        "old_email": ("send_email", {"subject": "Welcome aboard", "body": MJML}),
        "end": ("exit", {}),
    }
    edges = [("start", "next", "chat"), ("chat", "next", "old_email"), ("old_email", "next", "end")]
    if not with_email:
        del nodes["old_email"]
        edges = [("start", "next", "chat"), ("chat", "next", "end")]
    return document("Welcome", nodes, edges, goal={"event": "subscribed", "within": "P7D", "revenue_property": "amount"})


def newsletter() -> dict[str, Any]:
    doc = document(
        "monthly newsletter",  # lower case: the report sorts names as a reader does, not by code point
        {"start": ("trigger", {"on": "manual"}),
         "news": ("send_email", {"subject": "Our March picks", "body": MJML}),
         "end": ("exit", {})},
        [("start", "next", "news"), ("news", "next", "end")],
    )
    doc["nodes"][1]["label"] = "March news"
    return doc


@dataclass
class Played:
    """The flows' ids and the send ledger as it stood at the end of each day (DAYS)."""

    cart: int
    welcome: int
    news: int
    ledger_by_day: dict[date, dict[tuple[int, str, str], Counter[str]]] = field(default_factory=dict)


def ledger(harness) -> dict[tuple[int, str, str], Counter[str]]:  # noqa: ANN001
    """Per (flow, node, channel): how many messages reached each status, and how many wait to be handed over."""
    counts: defaultdict[tuple[int, str, str], Counter[str]] = defaultdict(Counter)
    with harness.session() as session:
        flows = dict(session.execute(select(FlowVersion.id, FlowVersion.flow_id)).all())
        for message in session.scalars(select(Message).where(Message.flow_version_id.is_not(None))):
            key = (flows[message.flow_version_id], message.node_id, message.channel.value)
            counts[key].update(message.statuses)
            counts[key]["queued"] += not {"delivered", "failed"} & set(message.statuses)
    return counts


def conversions(harness, first: date | None = None, last: date | None = None,  # noqa: ANN001
                ) -> dict[tuple[int, str], tuple[int, Decimal]]:
    """Per (flow, node): the runs that passed it and converted in the range, and their revenue."""
    found: defaultdict[tuple[int, str], tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    with harness.session() as session:
        for run in session.scalars(select(Run).where(Run.converted_at.is_not(None))):
            day = run.converted_at.date()
            if (first and day < first) or (last and day > last):
                continue
            for node_id in dict.fromkeys(node for node, _port, *_ in run.path):
                count, revenue = found[run.flow_id, node_id]
                found[run.flow_id, node_id] = (count + 1, revenue + (run.revenue or Decimal(0)))
    return found


def report(harness, **filters: Any) -> dict[str, Any]:  # noqa: ANN001
    with harness.session() as session:
        return messages_report(session, MessagesFilter(**filters))


def message(harness, contact_id: int, node_id: str, channel: str) -> int:  # noqa: ANN001
    [found] = [m.id for m in harness.messages(contact_id) if (m.node_id, m.channel.value) == (node_id, channel)]
    return found


def reported(harness, contact_id: int, node_id: str, channel: str, status: MessageStatus) -> None:  # noqa: ANN001
    """Record what a channel reports (the widget for on-site messages, SMTP and tracking links for email)."""
    with harness.runtime.sessions.begin() as session:
        found = session.get(Message, message(harness, contact_id, node_id, channel))
        if status is MessageStatus.UNSUBSCRIBED:
            unsubscribe(session, found, harness.clock.now())
        elif status is MessageStatus.REPLIED and channel == "chat":
            onsite.reply(session, contact_id, found.id, "Yes please", harness.clock.now())
        elif channel in ("chat", "popup"):
            onsite.report(session, contact_id, found.id, status, harness.clock.now())
        else:
            record_status(session, found, status, harness.clock.now())


@pytest.fixture
def played(harness) -> Played:  # noqa: ANN001
    """Three days of three flows; see the comments for who did what when."""
    with harness.runtime.sessions.begin() as session:
        template = MessageTemplate(name="Cart reminder", channel=Channel.EMAIL, subject="Still there?", body=MJML)
        session.add(template)
        session.flush()
        template_id = template.id
        flow_store.import_flow(session, welcome(with_email=False) | {"name": "Draft promo"})  # never published
    played = Played(harness.publish(cart_rescue(template_id)), harness.publish(welcome(with_email=True)),
                    harness.publish(newsletter()))
    shoppers = [harness.contact(name=f"Shopper {i}") for i in range(8)]
    signups = [harness.contact(name=f"Signup {i}") for i in range(6)]
    readers = [harness.contact(name=f"Reader {i}") for i in range(3)]

    # Day 0: popups (the first fails: 100 / 0); one is read, one clicked, one dismissed, one only shown; one pays.
    track_all(harness, shoppers, "cart_abandoned", [{"n": 0}] + [{"n": 10}] * 7)
    for shopper, status in zip(shoppers[1:5], (MessageStatus.READ, MessageStatus.CLICKED, MessageStatus.DISMISSED,
                                               MessageStatus.DELIVERED)):
        reported(harness, shopper, "popup", "popup", status)
    track_all(harness, shoppers[1:2], "order_paid", {"amount": 30})
    # Version 1 of Welcome: a chat answered, one read; the two unread are forwarded by email an hour later.
    track_all(harness, signups[:4], "signed_up")
    reported(harness, signups[0], "chat", "chat", MessageStatus.REPLIED)
    reported(harness, signups[1], "chat", "chat", MessageStatus.READ)
    harness.advance(timedelta(hours=1))
    reported(harness, signups[0], "old_email", "email", MessageStatus.DELIVERED)
    # Version 2 drops the welcome email; one of its chats is clicked and that contact subscribes.
    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, played.welcome)
        flow_store.set_draft(flow, welcome(with_email=False))
        flow_store.publish_flow(session, flow)
    track_all(harness, signups[4:], "signed_up")
    reported(harness, signups[4], "chat", "chat", MessageStatus.CLICKED)
    track_all(harness, signups[4:5], "subscribed", {"amount": 50})
    played.ledger_by_day[DAYS[0]] = ledger(harness)

    # Day 1: the unseen popups' fallback emails and every cart's template email go out; their statuses come in.
    harness.advance(timedelta(days=1))
    reported(harness, shoppers[4], "popup", "email", MessageStatus.CLICKED)
    reported(harness, shoppers[5], "popup", "email", MessageStatus.DELIVERED)
    reported(harness, shoppers[6], "popup", "email", MessageStatus.FAILED)
    reported(harness, shoppers[2], "email", "email", MessageStatus.READ)
    reported(harness, shoppers[3], "email", "email", MessageStatus.UNSUBSCRIBED)
    reported(harness, shoppers[5], "email", "email", MessageStatus.REPLIED)
    track_all(harness, signups[1:2], "subscribed", {"amount": 9})
    played.ledger_by_day[DAYS[1]] = ledger(harness)

    # Day 2: two more orders; the newsletter goes out by broadcast, one is read, one fails, then the flow is archived.
    harness.advance(timedelta(days=1))
    track_all(harness, [shoppers[4], shoppers[2]], "order_paid", [{"amount": 12.5}, {"amount": 20}])
    harness.broadcast(played.news, contact_ids=[*readers, shoppers[7]])
    reported(harness, readers[0], "news", "email", MessageStatus.READ)
    reported(harness, readers[1], "news", "email", MessageStatus.FAILED)
    with harness.runtime.sessions.begin() as session:
        archive_flow(session, session.get(Flow, played.news), harness.clock.now())
    played.ledger_by_day[DAYS[2]] = ledger(harness)
    for flow_id in (played.cart, played.welcome, played.news):
        assert_counters_balance(harness, flow_id)
    return played


# (flow, node, channel) in the report's order: by flow name, then node order (the live version's, then the removed).
ROWS = [("Cart rescue", "popup", "popup"), ("Cart rescue", "popup", "email"), ("Cart rescue", "email", "email"),
        ("monthly newsletter", "news", "email"),
        ("Welcome", "chat", "chat"), ("Welcome", "chat", "email"), ("Welcome", "old_email", "email")]


def expected_figures(played: Played, harness, key: tuple[int, str, str], first: date | None,  # noqa: ANN001
                     last: date | None) -> dict[str, Any]:
    """A row's figures recounted: the ledger's change over the range, its queue at the range's end, the runs'
    conversions in the range."""
    at_end = played.ledger_by_day[min(last or DAYS[-1], DAYS[-1])].get(key, Counter())
    before = played.ledger_by_day.get(first - timedelta(days=1), {}).get(key, Counter()) if first else Counter()
    figures = {figure: at_end[figure] - before[figure] for figure in FIGURES}
    converted, revenue = conversions(harness, first, last)[key[0], key[1]]
    return {**figures, "queued": at_end["queued"], "converted": converted, "revenue": float(revenue)}


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in (*FIGURES, "queued", "converted", "revenue")}


def test_every_figure_equals_a_recount_from_the_ledger_and_the_runs(harness, played: Played) -> None:  # noqa: ANN001
    body = report(harness)
    assert [(row["flow"]["name"], row["node_id"], row["channel"]) for row in body["items"]] == ROWS
    for row in body["items"]:
        key = (row["flow"]["id"], row["node_id"], row["channel"])
        assert figures_of(row) == expected_figures(played, harness, key, None, None), key
        assert row["rates"] == {rate: row[rate] / row["sent"] for rate in RATED}, key
    by_row = {(row["node_id"], row["channel"]): row for row in body["items"]}
    assert by_row["popup", "popup"]["failed"] == 1 and by_row["popup", "popup"]["clicked"] == 1
    assert by_row["popup", "email"]["sent"] == 5, "the five who did not see their popup got the fallback"
    assert by_row["email", "email"]["unsubscribed"] == by_row["email", "email"]["replied"] == 1
    assert by_row["chat", "chat"]["sent"] == 6, "both versions' chats add up"
    assert by_row["chat", "chat"]["converted"] == by_row["chat", "email"]["converted"] == 2
    assert by_row["popup", "popup"]["revenue"] == 62.5

    assert {row["flow"]["name"]: row["flow"]["status"] for row in body["items"]} == {
        "Cart rescue": "live", "monthly newsletter": "archived", "Welcome": "live"}
    assert {(row["node_id"], row["node_type"], row["node_label"]) for row in body["items"]} == {
        ("popup", "send_popup", "Forgot something?"),  # the popup's title
        ("email", "send_email", "Cart reminder"),  # the template's name
        ("news", "send_email", "March news"),  # the label given to the node
        ("chat", "send_chat", CHAT_TEXT[:59] + "…"),  # its text, clipped as the canvas clips it
        ("old_email", "send_email", "Welcome aboard"),  # the subject, from the version that had it
    }

    totals = body["totals"]
    for figure in (*FIGURES, "queued"):
        assert totals[figure] == sum(row[figure] for row in body["items"]), figure
    converted_runs = [run for flow_id in (played.cart, played.welcome, played.news) for run in harness.runs(flow_id)
                      if run.converted_at is not None]
    assert totals["converted"] == len(converted_runs) == 5, "each converted run once, however many sends it passed"
    assert totals["revenue"] == float(sum(run.revenue for run in converted_runs)) == 121.5
    assert totals["rates"]["read"] == totals["read"] / totals["sent"]


def test_a_range_of_days_counts_what_happened_in_it_and_the_queue_at_its_end(harness, played: Played) -> None:  # noqa: ANN001
    own_channels = {("popup", "popup"), ("email", "email"), ("news", "email"), ("chat", "chat")}
    for first, last in [(DAYS[0], DAYS[0]), (DAYS[1], DAYS[1]), (DAYS[1], None), (None, DAYS[1]), (DAYS[2], DAYS[2]),
                        (DAYS[2] + timedelta(days=1), DAYS[2] + timedelta(days=9))]:
        body = report(harness, days=DayRange(first, last))
        got = {(row["node_id"], row["channel"]): row for row in body["items"]}
        names = {row["flow"]["id"]: row["flow"]["name"] for row in body["items"]}
        flows = {name: flow_id for flow_id, name in names.items()}
        expected = {}
        for flow_name, node_id, channel in ROWS:
            key = (flows[flow_name], node_id, channel)
            figures = expected_figures(played, harness, key, first, last)
            # a fallback channel, or a node only an earlier version has, is listed when it has a message figure
            if (node_id, channel) in own_channels or any(figures[name] for name in (*FIGURES, "queued")):
                expected[node_id, channel] = figures
        assert {key: figures_of(row) for key, row in got.items()} == expected, (first, last)
    day1 = {(row["node_id"], row["channel"]): row for row in report(harness, days=DayRange(DAYS[1], DAYS[1]))["items"]}
    assert day1["popup", "popup"]["sent"] == 0 and day1["popup", "email"]["sent"] == 5
    assert day1["popup", "popup"]["queued"] == 3, "the popups never shown still wait at the end of day 1"


def test_a_channel_or_a_flow_narrows_the_rows(harness, played: Played) -> None:  # noqa: ANN001
    everything = report(harness)["items"]
    for channel in ("email", "chat", "popup"):
        narrowed = report(harness, channel=channel)
        assert narrowed["items"] == [row for row in everything if row["channel"] == channel]
        assert narrowed["totals"]["sent"] == sum(row["sent"] for row in narrowed["items"])
        with harness.session() as session:
            sent_to = {run_id for run_id, in session.execute(select(Message.run_id).where(
                Message.channel == Channel(channel), Message.run_id.is_not(None)))}
        listed = {row["flow"]["id"] for row in narrowed["items"]}
        reached = [run for flow_id in listed for run in harness.runs(flow_id)
                   if run.converted_at is not None and run.id in sent_to]
        assert (narrowed["totals"]["converted"], narrowed["totals"]["revenue"]) == (
            len(reached), float(sum((run.revenue or 0 for run in reached), Decimal(0)))), channel
    welcome_only = report(harness, flow_id=played.welcome)["items"]
    assert welcome_only == [row for row in everything if row["flow"]["id"] == played.welcome]
    chats = report(harness, channel="chat", flow_id=played.cart)
    assert chats["items"] == [] and chats["totals"]["sent"] == 0 and chats["totals"]["rates"]["read"] == 0.0


def test_an_unknown_flow_or_a_channel_without_messages_is_refused(harness) -> None:  # noqa: ANN001
    with pytest.raises(FlowNotFound, match="no flow with id 4242"):
        report(harness, flow_id=4242)
    with pytest.raises(ValueError, match="'webhook' is not a channel of messages"):
        MessagesFilter(channel="webhook")


def test_a_published_flow_nobody_entered_lists_its_send_nodes_with_zeros(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(newsletter())
    [row] = report(harness)["items"]
    assert (row["flow"], row["node_id"], row["channel"]) == (
        {"id": flow_id, "name": "monthly newsletter", "status": "live"}, "news", "email")
    assert figures_of(row) == {**dict.fromkeys((*FIGURES, "queued", "converted"), 0), "revenue": 0.0}
    assert set(row["rates"].values()) == {0.0}
