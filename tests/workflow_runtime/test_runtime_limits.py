"""Nothing a user can type overflows a batch: revenue sums, durations stored before they were bounded, deep properties."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import update

from flows.schemas import MAX_DURATION
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    assert_no_failed_jobs,
    counters,
    document,
    live_version,
    revenue,
    run_of,
    track_all,
)
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.storage.models import Contact, FlowVersion, RunStatus

LARGEST_ORDER = 9999999999999998  # the largest amount (< 10^16) a goal counts as revenue


def line(steps: dict[str, tuple[str, dict[str, Any]]], **settings: Any) -> dict[str, Any]:
    """signed_up → each step by `next` → exit "end"."""
    nodes = {"start": ("trigger", {"event": "signed_up"}), **steps, "end": ("exit", {"reason": "done"})}
    ids = list(nodes)
    return document("Limits under test", nodes, [(a, "next", b) for a, b in zip(ids, ids[1:])], **settings)


def store_as_published(harness: Any, flow_id: int, change: Any) -> None:
    """Change the live version's stored document the way a flow published before today's validation holds it."""
    version_id = live_version(harness, flow_id)
    with harness.session() as session:
        stored = dict(session.get(FlowVersion, version_id).document)
    change(stored)
    with harness.runtime.sessions.begin() as session:  # a Core UPDATE: published versions are immutable to the ORM
        session.execute(update(FlowVersion.__table__).where(FlowVersion.id == version_id).values(document=stored))
    forget_definitions()


def test_a_days_revenue_sums_past_what_one_order_may_bring(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({"hold": ("wait", {"duration": "P5D"})},
                                   goal={"event": "order_paid", "revenue_property": "amount"}))
    version = live_version(harness, flow_id)
    buyers = [harness.contact() for _ in range(5)]
    track_all(harness, buyers, "signed_up")

    track_all(harness, buyers[:1], "order_paid", {"amount": LARGEST_ORDER})  # one row of the day's counter
    track_all(harness, buyers[1:3], "order_paid", {"amount": LARGEST_ORDER})  # two in one batch, added to it
    track_all(harness, buyers[3:], "order_paid", {"amount": LARGEST_ORDER})  # and again

    assert_no_failed_jobs(harness)
    assert all(run_of(harness, flow_id, buyer).revenue == Decimal(LARGEST_ORDER) for buyer in buyers)
    # SQLite keeps a large numeric as a float; PostgreSQL keeps every digit
    assert float(revenue(harness, version, "start")) == float(5 * LARGEST_ORDER)
    assert counters(harness, version)["hold"]["converted"] == 5
    assert_counters_balance(harness, flow_id)


def test_a_wait_stored_longer_than_ten_years_waits_ten_years(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({"hold": ("wait", {"duration": "P1D"}),
                                    "mail": ("send_email", {"subject": "Hi", "body": "<mjml></mjml>"})}))

    def wait_forever(stored: dict[str, Any]) -> None:
        [hold] = [node for node in stored["nodes"] if node["id"] == "hold"]
        hold["config"]["duration"] = "P99999999D"

    store_as_published(harness, flow_id, wait_forever)
    contacts = [harness.contact() for _ in range(5)]
    track_all(harness, contacts, "signed_up")

    assert_no_failed_jobs(harness)
    for contact in contacts:
        run = run_of(harness, flow_id, contact)
        assert (run.status, run.node_id, run.wake_at) == (RunStatus.WAITING, "hold", harness.clock.now() + MAX_DURATION)
    assert_counters_balance(harness, flow_id)


def test_a_frequency_cap_and_goal_window_stored_longer_than_ten_years_count_as_ten_years(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line(
        {"first": ("send_email", {"subject": "One", "body": "<mjml></mjml>"}),
         "second": ("send_email", {"subject": "Two", "body": "<mjml></mjml>"})},
        frequency_cap={"max_messages": 1, "per": "P1D"},
        goal={"event": "order_paid", "within": "P7D"},
        reentry={"mode": "after_exit", "cooldown": "P1D"},
    ))

    def forever(stored: dict[str, Any]) -> None:
        stored["settings"]["frequency_cap"]["per"] = "P99999999D"
        stored["settings"]["goal"]["within"] = "P99999999Y"
        stored["settings"]["reentry"]["cooldown"] = "P9999999999D"

    store_as_published(harness, flow_id, forever)
    contacts = [harness.contact() for _ in range(5)]
    track_all(harness, contacts, "signed_up")

    assert_no_failed_jobs(harness)
    for contact in contacts:
        assert [message.node_id for message in harness.messages(contact)] == ["first"]
        run = run_of(harness, flow_id, contact)
        assert (run.status, run.node_id) == (RunStatus.WAITING, "second")
        assert run.wake_at == harness.clock.now() + MAX_DURATION
        assert run.goal_deadline == harness.clock.now() + MAX_DURATION
    assert_counters_balance(harness, flow_id)


def nest(levels: int, leaf: Any = 1) -> Any:
    """{"a": {"a": … leaf}} with `levels` objects."""
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def deep_update_flow() -> dict[str, Any]:
    deep_path = ".".join(["a"] * 40)
    return document("Deep update", {
        "start": ("trigger", {"event": "signed_up"}),
        "tag": ("update_contact", {"set": {deep_path + ".b": "x", "plan": "pro"}, "unset": [deep_path + ".c"],
                                   "add_tags": ["updated"]}),
        "end": ("exit", {}),
    }, [("start", "next", "tag"), ("tag", "next", "end")])


def test_update_contact_changes_properties_as_deep_as_ingestion_allows(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(deep_update_flow())
    contacts = [harness.contact(properties={"a": nest(31)}) for _ in range(5)]  # 32 levels: /v1's limit
    track_all(harness, contacts, "signed_up")

    assert_no_failed_jobs(harness)
    with harness.session() as session:
        for contact_id in contacts:
            run = run_of(harness, flow_id, contact_id)
            assert (run.status, run.node_id) == (RunStatus.COMPLETED, "end")
            properties = session.get(Contact, contact_id).properties
            node = properties
            for _ in range(40):
                node = node["a"]
            assert node == {"b": "x"} and properties["plan"] == "pro"
    assert_counters_balance(harness, flow_id)


def test_a_contact_stored_with_properties_deeper_than_the_stack_is_updated_too(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(deep_update_flow())
    deep = harness.contact(properties={"a": nest(600)})  # stored before /v1 capped nesting
    others = [harness.contact() for _ in range(4)]
    track_all(harness, [deep, *others], "signed_up")

    for contact_id in (deep, *others):
        assert run_of(harness, flow_id, contact_id).status is RunStatus.COMPLETED
