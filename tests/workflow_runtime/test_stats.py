"""Flow statistics read from the counters real runs leave, checked against a recount from the runs themselves."""
from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.workflow_runtime.runtime_support import assert_counters_balance, document, track_all
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels.messages import record_status
from workflow_runtime.reports.significance import Arm, compare, two_proportion_p_value
from workflow_runtime.reports.stats import DayRange, flow_stats, stats_scope
from workflow_runtime.storage.models import Flow, Message, MessageStatus, Run

DAY0 = date(2026, 3, 2)  # the harness's START


def welcome_ab() -> dict:
    """signed_up → split a/b → one welcome email each → wait a day → exit; goal: went_to_service within 7 days."""
    return document(
        "Welcome A/B",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "ab": ("split", {"variants": [{"id": "a", "label": "Plain link", "weight": 50},
                                          {"id": "b", "label": "Button", "weight": 50}]}),
            "email_a": ("send_email", {"subject": "Welcome", "body": "<mjml>link</mjml>"}),
            "email_b": ("send_email", {"subject": "Welcome", "body": "<mjml>button</mjml>"}),
            "day": ("wait", {"duration": "P1D"}),
            "done": ("exit", {"reason": "welcomed"}),
        },
        [("start", "next", "ab"), ("ab", "a", "email_a"), ("ab", "b", "email_b"),
         ("email_a", "next", "day"), ("email_b", "next", "day"), ("day", "next", "done")],
        goal={"event": "went_to_service", "within": "P7D", "revenue_property": "amount"},
    )


def stats_of(harness, flow_id: int, first: date | None = None, last: date | None = None) -> dict:  # noqa: ANN001
    with harness.session() as session:
        return flow_stats(session, stats_scope(session, flow_id, None), DayRange(first, last))


@pytest.fixture
def played(harness):  # noqa: ANN001, ANN201 - the Harness fixture
    """30 sign-ups on day 0; some read and click; variant b converts on days 0 and 2, one of variant a on day 2."""
    flow_id = harness.publish(welcome_ab())
    contacts = [harness.contact(email=f"c{i}@example.com", name=f"Contact {i}") for i in range(30)]
    track_all(harness, contacts, "signed_up")
    variant = {run.contact_id: run.path[1][1] for run in harness.runs(flow_id)}
    group_a = [c for c in contacts if variant[c] == "a"]
    group_b = [c for c in contacts if variant[c] == "b"]
    assert len(group_a) >= 5 and len(group_b) >= 5, "the split sends contacts down both variants"
    with harness.runtime.sessions.begin() as session:
        messages = session.scalars(select(Message).where(Message.contact_id.in_(contacts[:6])).order_by(Message.id))
        for index, message in enumerate(messages):
            record_status(session, message, MessageStatus.CLICKED if index < 2 else MessageStatus.READ,
                          harness.clock.now())
    early, late = group_b[: len(group_b) // 2], group_b[len(group_b) // 2:]
    track_all(harness, early, "went_to_service", {"amount": 10})
    harness.advance(timedelta(days=1))
    harness.advance(timedelta(days=1))
    track_all(harness, [*late, group_a[0]], "went_to_service", {"amount": 5})
    return flow_id, group_a, group_b, early


def test_every_node_figure_equals_a_recount_from_the_runs(harness, played) -> None:  # noqa: ANN001
    flow_id, _group_a, _group_b, _early = played
    assert_counters_balance(harness, flow_id)
    stats = stats_of(harness, flow_id)
    runs = harness.runs(flow_id)
    for node_id, node in stats["nodes"].items():
        passed = [run for run in runs if any(step[0] == node_id for step in run.path)]
        converted = [run for run in passed if run.converted_at is not None]
        assert node["entered"] == len(passed), node_id
        assert node["converted"] == len(converted), node_id
        assert node["revenue"] == float(sum((run.revenue or Decimal(0) for run in converted), Decimal(0))), node_id
        assert node["conversion_rate"] == (len(converted) / len(passed) if passed else 0.0)
        left = Counter(port for run in runs for step_node, port, *_ in run.path if step_node == node_id and port)
        assert node["left"] == {port: left[port] for port in node["left"]}, node_id
    assert stats["totals"]["entered"] == len(runs) == 30
    assert stats["totals"]["converted"] == sum(1 for run in runs if run.converted_at is not None)
    assert stats["totals"]["revenue"] == stats["nodes"]["start"]["revenue"] > 0
    assert {(e["from"], e["port"], e["to"]): e["count"] for e in stats["edges"]} == {
        ("start", "next", "ab"): 30,
        ("ab", "a", "email_a"): stats["nodes"]["ab"]["left"]["a"],
        ("ab", "b", "email_b"): stats["nodes"]["ab"]["left"]["b"],
        ("email_a", "next", "day"): stats["nodes"]["email_a"]["entered"],
        ("email_b", "next", "day"): stats["nodes"]["email_b"]["entered"],
        ("day", "next", "done"): stats["nodes"]["done"]["entered"],
    }


def test_send_nodes_report_their_messages_and_the_split_its_variants(harness, played) -> None:  # noqa: ANN001
    flow_id, group_a, group_b, _early = played
    stats = stats_of(harness, flow_id)
    with harness.session() as session:
        messages = list(session.scalars(select(Message)))
    for node_id in ("email_a", "email_b"):
        own = [m for m in messages if m.node_id == node_id]
        expected = {status.value: sum(1 for m in own if status.value in m.statuses) for status in MessageStatus}
        queued = sum(1 for m in own if not {"delivered", "failed"} & set(m.statuses))
        assert stats["nodes"][node_id]["channels"] == {"email": {**expected, "queued": queued, "suppressed": 0}}
    emails = [stats["nodes"][n]["channels"]["email"] for n in ("email_a", "email_b")]
    assert sum(email["read"] for email in emails) == 6
    assert sum(email["clicked"] for email in emails) == 2
    assert sum(email["queued"] for email in emails) == 30 - 6  # no SMTP server here: only the 6 read were delivered
    assert "channels" not in stats["nodes"]["day"]

    split = stats["nodes"]["ab"]
    assert split["variants"] == [
        {"port": "a", "label": "Plain link", "entered": len(group_a), "converted": 1,
         "conversion_rate": 1 / len(group_a)},
        {"port": "b", "label": "Button", "entered": len(group_b), "converted": len(group_b),
         "conversion_rate": 1.0},
    ]
    assert split["winner"] == "b"
    assert split["significance"] < 0.05
    assert "variants" not in stats["nodes"]["email_a"]


def test_a_range_sums_its_days_and_shows_the_waiting_gauge_at_its_end(harness, played) -> None:  # noqa: ANN001
    flow_id, _group_a, group_b, early = played
    day0 = stats_of(harness, flow_id, DAY0, DAY0)
    assert day0["nodes"]["day"]["waiting"] == 30 - len(early), "on day 0 the early converters exited the wait"
    assert day0["nodes"]["day"]["exited"] == len(early)
    assert day0["totals"] == {"entered": 30, "converted": len(early), "conversion_rate": len(early) / 30,
                              "revenue": 10.0 * len(early)}
    assert stats_of(harness, flow_id)["nodes"]["day"]["waiting"] == 0, "by now every run left the wait"

    later = stats_of(harness, flow_id, DAY0 + timedelta(days=1))
    assert later["nodes"]["start"]["entered"] == 0
    assert later["nodes"]["day"]["left"] == {"next": 30 - len(early)}
    assert later["totals"]["converted"] == len(group_b) - len(early) + 1
    assert later["from"] == "2026-03-03" and later["to"] is None
    emails = [later["nodes"][node_id]["channels"]["email"] for node_id in ("email_a", "email_b")]
    assert sum(email["sent"] for email in emails) == 0  # all sent on day 0
    assert sum(email["queued"] for email in emails) == 30 - 6, "a channel's queue is a gauge, like waiting"

    series = stats_of(harness, flow_id)["series"]
    assert [entry["day"] for entry in series] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert series[0] == {"day": "2026-03-02", "entered": 30, "converted": len(early), "revenue": 10.0 * len(early)}
    assert series[1] == {"day": "2026-03-03", "entered": 0, "converted": 0, "revenue": 0.0}
    assert series[2]["converted"] == len(group_b) - len(early) + 1
    assert series[2]["revenue"] == 5.0 * series[2]["converted"]


def welcome_plain() -> dict:
    """welcome_ab's version 2: the split and variant a removed, everyone gets email_b."""
    return document(
        "Welcome",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "email_b": ("send_email", {"subject": "Welcome", "body": "<mjml>button</mjml>"}),
            "day": ("wait", {"duration": "P1D"}),
            "done": ("exit", {"reason": "welcomed"}),
        },
        [("start", "next", "email_b"), ("email_b", "next", "day"), ("day", "next", "done")],
        goal={"event": "went_to_service", "within": "P7D", "revenue_property": "amount"},
    )


def test_statistics_add_up_every_version_and_list_the_removed_nodes_apart(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(welcome_ab())
    first = [harness.contact() for _ in range(6)]
    track_all(harness, first, "signed_up")  # six runs of version 1 wait a day
    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        flow_store.set_draft(flow, welcome_plain())
        flow_store.publish_flow(session, flow)
    second = [harness.contact() for _ in range(4)]
    track_all(harness, second, "signed_up")
    variant_b = sum(1 for run in harness.runs(flow_id) if ["ab", "b"] in [step[:2] for step in run.path])

    with harness.session() as session:
        everything = flow_stats(session, stats_scope(session, flow_id, None), DayRange())
        first_only = flow_stats(session, stats_scope(session, flow_id, 1), DayRange())
    assert (everything["version"], everything["shown_version"]) == (None, 2)
    assert [(v["number"], v["live"], v["entered"], v["waiting"]) for v in everything["versions"]] == [
        (1, False, 6, 6), (2, True, 4, 4)]
    assert everything["totals"]["entered"] == 10
    assert everything["series"] == [{"day": "2026-03-02", "entered": 10, "converted": 0, "revenue": 0.0}]  # both versions
    assert everything["nodes"]["day"]["waiting"] == 10, "the runs still waiting in version 1 are counted"
    assert everything["nodes"]["email_b"]["entered"] == variant_b + 4
    assert set(everything["nodes"]) == {"start", "email_b", "day", "done"}
    removed = {node["id"]: node for node in everything["removed_nodes"]}
    assert removed["ab"]["entered"] == 6 and removed["ab"]["versions"] == [1]
    assert set(removed) == {"ab"} | ({"email_a"} if variant_b < 6 else set())

    assert (first_only["version"], first_only["shown_version"], first_only["removed_nodes"]) == (1, 1, [])
    assert first_only["totals"]["entered"] == 6 and first_only["nodes"]["ab"]["entered"] == 6
    assert [v["number"] for v in first_only["versions"]] == [1]
    assert_counters_balance(harness, flow_id)


def test_the_scope_is_every_version_unless_one_is_picked(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(welcome_ab())
    with harness.runtime.sessions.begin() as session:
        flow_store.publish_flow(session, session.get(Flow, flow_id))
    with harness.session() as session:
        every = stats_scope(session, flow_id, None)
        assert ([v.number for v in every.versions], every.shown.number, every.picked) == ([1, 2], 2, None)
        picked = stats_scope(session, flow_id, 1)
        assert ([v.number for v in picked.versions], picked.shown.number, picked.picked) == ([1], 1, 1)
        with pytest.raises(LookupError, match="no version 3"):
            stats_scope(session, flow_id, 3)
        with pytest.raises(LookupError, match="no flow"):
            stats_scope(session, flow_id + 1, None)
        assert session.scalar(select(Run.id)) is None


def test_the_seed_ab_figures_make_b_the_winner() -> None:
    winner, p_value = compare([Arm("a", 721, 35), Arm("b", 638, 113)])
    assert winner == "b"
    assert p_value < 1e-12
    # Pearson's chi-square of the same 2×2 table, by hand: the z-test's p-value is its survival function.
    table = [[35, 721 - 35], [113, 638 - 113]]
    total = 721 + 638
    chi2 = sum(
        (table[i][j] - sum(table[i]) * (table[0][j] + table[1][j]) / total) ** 2
        / (sum(table[i]) * (table[0][j] + table[1][j]) / total)
        for i in range(2) for j in range(2)
    )
    assert p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)), rel=1e-9)


@pytest.mark.parametrize(
    ("arms", "winner"),
    [
        ([Arm("a", 100, 10), Arm("b", 100, 12)], None),  # too close to call
        ([Arm("a", 0, 0), Arm("b", 50, 10)], None),  # nothing to compare yet
        ([Arm("a", 50, 0), Arm("b", 50, 0)], None),  # nobody converted anywhere
        ([Arm("a", 400, 20), Arm("b", 400, 60), Arm("c", 400, 22)], "b"),
        ([Arm("a", 400, 20), Arm("b", 400, 60), Arm("c", 400, 58)], None),  # b and c are neck and neck
    ],
)
def test_a_winner_is_named_only_once_it_is_clear(arms: list[Arm], winner: str | None) -> None:
    assert compare(arms)[0] == winner


def test_more_variants_pay_for_the_post_hoc_choice_of_the_best() -> None:
    pair = two_proportion_p_value(60, 400, 40, 400)
    _winner, adjusted = compare([Arm("a", 400, 40), Arm("b", 400, 60), Arm("c", 400, 10)])
    assert adjusted == pytest.approx(2 * pair)
