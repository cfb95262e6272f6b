"""The demo flow: simulated shoppers leave real counters, messages and conversions, once."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.workflow_runtime.runtime_support import assert_counters_balance, revenue
from workflow_runtime.demo import DAYS, DEMO_SLUG, seed_demo, shopper_plan
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.reports.revenue_report import RevenueQuery, revenue_report
from workflow_runtime.storage.models import Contact, Conversation, Flow, FlowStatus, Message, NodeCounter


def totals(harness) -> tuple[int, int, int]:  # noqa: ANN001
    """How many contacts, messages and counter rows the database holds."""
    with harness.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Contact, Message, NodeCounter))


def test_a_hundred_simulated_shoppers_fill_every_statistic(harness) -> None:  # noqa: ANN001
    start = harness.clock.now()
    seeded = seed_demo(harness.runtime, visitors=100)
    assert seeded.created and seeded.visitors == 100
    assert harness.clock.now() == start + timedelta(days=DAYS)

    c = harness.counters(seeded.flow_id)
    # By the last digit of the shopper's number (see shopper_plan): 0-1 pay within 20 minutes (20 shoppers);
    # 2-4 read the popup (30); 5-9 get the email (50), 5-6 open it (20), 5 clicks it (10). Numbers ending
    # in 2 or 5 out of every 20 pay two days later: 5 popup readers and 5 emailed, 10 in all.
    assert c["cart_updated"] == {"entered": 100, "left:next": 100, "converted": 30}
    # The 20 quick payers' order first wakes their runs, which leave the wait by its event port and complete at
    # the Exit node 'paid'; the goal then converts them there too (an event wakes, then credits goals).
    assert c["wait_for_payment"] == {"entered": 100, "left:event": 20, "left:timeout": 80, "converted": 30}
    assert c["paid"] == {"entered": 20, "completed": 20, "converted": 20}
    assert c["give_promo_code"] == {"entered": 80, "left:next": 80, "converted": 10}
    assert c["promo_popup"] == {
        "entered": 80,
        # Each channel apart: every popup, then the email to the 50 who never read theirs. 30 popups read,
        # 20 emails opened (10 of them by clicking); the demo reports nothing else, so the 50 unread popups and
        # the 30 unopened emails are still queued.
        "popup:sent": 80,
        "popup:delivered": 30,
        "popup:read": 30,
        "popup:queued": 50,
        "email:sent": 50,
        "email:delivered": 20,
        "email:read": 20,
        "email:clicked": 10,
        "email:queued": 30,
        "left:next": 80,
        "converted": 10,
    }
    assert c["reminded"] == {"entered": 80, "completed": 80, "converted": 10}
    paid = [action.properties["amount"] for number in range(100) for _offset, action in shopper_plan(number)
            if action.event == "order_paid"]
    assert len(paid) == 30
    version = harness.runs(seeded.flow_id)[0].flow_version_id
    assert revenue(harness, version, "cart_updated") == sum(Decimal(str(amount)) for amount in paid)
    quick = [action.properties["amount"] for number in range(100) if number % 10 <= 1
             for _offset, action in shopper_plan(number) if action.event == "order_paid"]
    assert len(quick) == 20
    assert revenue(harness, version, "paid") == sum(Decimal(str(amount)) for amount in quick)  # full price, no code
    with harness.session() as session:
        flow = session.get(Flow, seeded.flow_id)
        assert (flow.status, flow.scenario_slug) == (FlowStatus.PAUSED, DEMO_SLUG)  # never messages real visitors
        days = set(session.scalars(select(NodeCounter.day).where(NodeCounter.flow_version_id == version)))
    assert len(days) >= 4  # 100 arrivals over two days, reminders and late purchases over two more: a daily series
    assert_counters_balance(harness, seeded.flow_id)
    with harness.session() as session:  # the inbox: one thread answered, one waiting, one closed (CONVERSATIONS)
        inbox = sorted((c.status.value, c.unread, c.waiting_since is not None) for c in session.scalars(select(Conversation)))
    assert inbox == [("closed", 0, False), ("open", 1, True), ("open", 1, True)]
    with harness.session() as session:  # the revenue report: every order, by the source of the shopper's first visit
        report = revenue_report(session, RevenueQuery(start.date(), harness.clock.now().date()))
    by_source = {group["key"]: group["revenue"] for group in report["groups"]}
    assert set(by_source) == {"google", "newsletter", "instagram", "(none)"}  # direct visitors carry no tags
    assert report["total"]["revenue"] == float(sum(Decimal(str(amount)) for amount in paid)) == \
        pytest.approx(sum(by_source.values()))

    before = totals(harness)
    again = seed_demo(harness.runtime, visitors=100)
    assert (again.flow_id, again.created) == (seeded.flow_id, False)
    assert totals(harness) == before  # seeding twice adds nothing


@pytest.fixture
def forgetting_definitions() -> Iterator[None]:
    """The command caches the demo's definition by version id, and the next test's tables reuse the ids."""
    yield
    forget_definitions()


@pytest.mark.usefixtures("forgetting_definitions")
def test_demo_seed_command_is_idempotent(cli, session) -> None:  # noqa: ANN001
    first = cli("demo", "seed", "--visitors", "20").output
    assert "seeded demo flow" in first and "20 simulated shoppers" in first
    assert "is there already: nothing added" in cli("demo", "seed").output
    [flow] = session.scalars(select(Flow)).all()
    assert (flow.name, flow.status, flow.scenario_slug) == ("Abandoned cart (demo traffic)", FlowStatus.PAUSED, DEMO_SLUG)
    assert "loaded 10 scenario(s)" in cli("scenarios", "load").output  # the demo does not stand in for the scenario
