"""Forecasts: a published version replayed over the window it ran in gives its real counters, for every scenario."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from nodes import outbound
from nodes.outbound import STRICT, OutboundPolicy
from tests.scenarios.scenario_support import SCENARIOS, live_until, publish_scenario
from tests.workflow_runtime.email_support import WELCOME_MJML, settings_for
from tests.workflow_runtime.forecast_support import WINDOW_START, forecast, live_scenario, make_contacts
from tests.workflow_runtime.runtime_support import (
    advance_to,
    assert_counters_balance,
    counters,
    document,
    live_version,
    track_all,
)
from tests.workflow_runtime.test_fault_isolation import POISON, broken_for_poison, tagging_flow  # noqa: F401 (a fixture)
from tests.workflow_runtime.test_runtime_webhook import integration, settle
from workflow_runtime.authoring import flow_store
from workflow_runtime.forecast.window import Window
from workflow_runtime.storage.models import Base, Flow, Forecast, ForecastStatus


@pytest.mark.parametrize("slug", sorted(SCENARIOS))
def test_forecasting_the_version_that_ran_gives_its_real_counters(harness, slug: str) -> None:  # noqa: ANN001
    flow_id, window = live_scenario(harness, slug, contacts=40, days=16)
    assert_counters_balance(harness, flow_id)
    real = counters(harness, live_version(harness, flow_id))
    assert real, f"{slug}: the generated history enrolled nobody"

    done = forecast(harness, flow_id, 1, window)

    assert done.status is ForecastStatus.DONE, done.error
    assert done.result["counters"] == real
    assert done.result["difference"] == {}
    assert done.result["estimates"] == {}


def cart_history(harness, shoppers: int = 10, payers: int = 4) -> tuple[int, Window]:  # noqa: ANN001
    """The abandoned cart live over three days: every shopper's cart an hour into the window, the first `payers`
    pay 40 minutes later (within the wait's hour), at 50 each; nobody reads the popup."""
    harness.clock.set(WINDOW_START)
    flow_id = publish_scenario(harness, "abandoned_cart")
    people = make_contacts(harness, shoppers, "cart")
    advance_to(harness, WINDOW_START + timedelta(hours=1))
    track_all(harness, people, "cart_updated", {"total": 80})
    advance_to(harness, WINDOW_START + timedelta(hours=1, minutes=40))
    track_all(harness, people[:payers], "order_paid", {"amount": 50})
    live_until(harness, WINDOW_START + timedelta(days=3), step=timedelta(minutes=10))
    return flow_id, Window(WINDOW_START, WINDOW_START + timedelta(days=3))


def test_a_shorter_wait_differs_exactly_where_it_changes_the_path(harness) -> None:  # noqa: ANN001
    flow_id, window = cart_history(harness)
    draft = copy.deepcopy(SCENARIOS["abandoned_cart"])
    [wait] = [node for node in draft["nodes"] if node["id"] == "wait_for_payment"]
    wait["config"]["timeout"] = "PT30M"  # the four payers paid after 40 minutes: now too late to skip the reminder
    with harness.runtime.sessions.begin() as session:
        flow_store.set_draft(session.get(Flow, flow_id), draft)

    done = forecast(harness, flow_id, None, window)

    assert done.status is ForecastStatus.DONE, done.error
    # By hand. Live: 4 left the wait by its event into `paid` (and converted there, 200 in all), 6 timed out and were
    # reminded. Forecast: all 10 time out at 30 minutes; the 4 then pay while the popup holds them for its email
    # fallback, so they convert on the reminder's path and the goal ends their runs at the popup (exit_on_goal).
    # Upstream (the trigger) and `reminded` (still the same 6, who never paid) are unchanged.
    four = {"converted": 4, "revenue": 200.0}
    assert done.result["difference"] == {
        "wait_for_payment": {"left.event": -4, "left.timeout": 4},
        "paid": {"entered": -4, "completed": -4, "converted": -4, "revenue": -200.0},
        "give_promo_code": {"entered": 4, "left.next": 4, **four},
        "promo_popup": {"entered": 4, "popup.sent": 4, "popup.queued": 4, "exited": 4, "exited_by.goal": 4, **four},
    }
    # The six reminded got the email fallback a day later (one of them has no address: suppressed) in both; the four
    # payers exited before theirs was due.
    for side in (done.result["live"]["nodes"], done.result["nodes"]):
        assert {status: side["promo_popup"]["channels"]["email"][status] for status in ("sent", "suppressed")} == \
            {"sent": 5, "suppressed": 1}
    # The popups the forecast sent and reality did not have no statuses to replay; reality read none of its six.
    assert done.result["estimates"] == {"promo_popup": {"popup": {
        "unmatched": 4, "rate_from": "6 popup messages of node promo_popup in reality",
        "delivered": 0.0, "read": 0.0, "clicked": 0.0, "replied": 0.0, "dismissed": 0.0, "unsubscribed": 0.0}}}


def snapshot(harness) -> dict[str, list[str]]:  # noqa: ANN001
    """Every live table but `forecasts`, row by row (as text, sorted)."""
    with harness.session() as session:
        return {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
                for table in Base.metadata.sorted_tables if table.name != Forecast.__tablename__}


@pytest.fixture
def _local_integrations_allowed() -> Iterator[None]:
    """The test's HTTP server listens on 127.0.0.1, which the outbound policy refuses unless an operator allows it."""
    outbound.configure(OutboundPolicy.parse(["127.0.0.1/32"]))
    yield
    outbound.configure(STRICT)


@pytest.mark.usefixtures("_local_integrations_allowed")
def test_a_forecast_writes_nothing_live_and_sends_nothing(harness, app, mail_server) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)  # live, emails go out through a real SMTP server
    with integration(200) as crm:
        harness.clock.set(WINDOW_START)
        flow_id = harness.publish(document("Welcome and CRM", {
            "start": ("trigger", {"event": "signed_up"}),
            "crm": ("webhook", {"url": crm.url, "method": "POST", "body": {"plan": "trial"}, "timeout": "PT2S",
                                "retries": 0}),
            "welcome": ("send_email", {"subject": "Welcome", "body": WELCOME_MJML}),
            "later": ("wait", {"duration": "P1D"}),
            "hint": ("send_chat", {"body": "Need a hand?"}),
            "done": ("exit", {"reason": "done"}),
        }, [("start", "next", "crm"), ("crm", "next", "welcome"), ("crm", "failed", "done"),
            ("welcome", "next", "later"), ("later", "next", "hint"), ("hint", "next", "done")]))
        people = make_contacts(harness, 6, "isolation")
        advance_to(harness, WINDOW_START + timedelta(hours=2))
        track_all(harness, people, "signed_up", {"plan": "trial"})
        for _ in range(3):
            settle(harness, timedelta(minutes=10))
        live_until(harness, WINDOW_START + timedelta(days=2), step=timedelta(hours=1))
        for _ in range(2):
            settle(harness)
        emails, calls = len(mail_server.messages), len(crm.requests)
        assert emails == 6 and calls == 6
        with harness.runtime.sessions.begin() as session:  # a draft that would email and call everyone twice
            flow = session.get(Flow, flow_id)
            draft = copy.deepcopy(flow.draft)
            [hint] = [node for node in draft["nodes"] if node["id"] == "hint"]
            hint["type"], hint["config"] = "send_email", {"subject": "Again", "body": WELCOME_MJML}
            flow_store.set_draft(flow, draft)
        before = snapshot(harness)

        drafted = forecast(harness, flow_id, None, Window(WINDOW_START, WINDOW_START + timedelta(days=2)))
        published = forecast(harness, flow_id, 1, Window(WINDOW_START, WINDOW_START + timedelta(days=2)))

        assert drafted.status is ForecastStatus.DONE and published.status is ForecastStatus.DONE
        assert drafted.result["nodes"]["hint"]["channels"]["email"]["sent"] == 6
        assert published.result["difference"] == {}
        assert snapshot(harness) == before
        assert harness.runtime.jobs.queue.count == 0  # no delivery (or any) job was queued
        for _ in range(2):
            settle(harness)  # the live deliverers find nothing new either
        assert (len(mail_server.messages), len(crm.requests)) == (emails, calls)


@pytest.mark.usefixtures("broken_for_poison")
def test_a_step_that_fails_in_the_replay_parks_its_run_as_the_runtime_does(harness) -> None:  # noqa: ANN001
    """The poisoned contact's run fails at `tag`, live and in the forecast alike: parked errored there, its batch's
    other runs going on, and the steps it took before counted in the forecast's total."""
    harness.clock.set(WINDOW_START)
    flow_id = harness.publish(tagging_flow())
    innocent = [harness.contact() for _ in range(4)]
    poisoned = harness.contact(email=POISON)
    advance_to(harness, WINDOW_START + timedelta(hours=1))
    track_all(harness, [*innocent[:2], poisoned, *innocent[2:]], "signed_up")
    advance_to(harness, WINDOW_START + timedelta(days=2))
    window = Window(WINDOW_START, WINDOW_START + timedelta(days=2))

    done = forecast(harness, flow_id, 1, window)

    assert done.status is ForecastStatus.DONE, done.error
    assert done.result["counters"] == counters(harness, live_version(harness, flow_id))
    assert done.result["counters"]["tag"] == {"entered": 5, "errored": 1, "left:next": 4}
    # Each innocent run: trigger, tag, the wait's hold, the wait's timeout, exit; the poisoned one: its trigger.
    assert done.result["steps"] == 4 * 5 + 1
