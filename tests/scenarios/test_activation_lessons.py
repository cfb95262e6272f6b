"""Activation lessons scenario: 50 trial users in five behaviours; a lesson goes only to whoever has not done its step."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.scenarios.scenario_support import at, live_until, population, publish_scenario, sent_subjects
from tests.workflow_runtime.runtime_support import assert_counters_balance, revenue, track_all

STEPS = ["code_installed", "chat_configured", "popup_created", "trigger_message_created", "automation_published"]
LESSON = [f"Lesson {n}: " for n in range(1, 6)]


def test_fifty_trials_through_five_lessons(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "activation_lessons")
    start = harness.clock.now()
    users = population(harness, 50, "trial")
    # Ten users each: power users do every step in the first half hour; sleepers never do anything;
    # installers install the code right after lesson 1; lesson-4 users create a trigger message an hour after
    # lesson 4 arrives; payers pay on day 3.
    power, sleepers, installers, lesson_4, payers = (users[n:n + 10] for n in range(0, 50, 10))

    track_all(harness, users, "signed_up", {"plan": "trial"})
    live_until(harness, at(start, minutes=30))
    for step in STEPS:
        track_all(harness, power, step)
    live_until(harness, at(start, hours=2))  # lesson 1 went out at 1 h
    track_all(harness, installers, "code_installed")  # did_step_1 wakes: lesson 2 follows at once
    live_until(harness, at(start, days=3))
    track_all(harness, payers, "subscription_paid", {"amount": 290})
    # Without the step, lesson k goes at 1 h + 2 days × (k − 1): lesson 4 at 6 days 1 h.
    live_until(harness, at(start, days=6, hours=2))
    track_all(harness, lesson_4, "trigger_message_created")
    live_until(harness, at(start, days=12))

    c = harness.counters(flow_id)
    assert c["trial_started"] == {"entered": 50, "left:next": 50, "converted": 10}  # only the payers pay
    assert c["settle_in"] == {"entered": 50, "left:next": 50, "converted": 10}
    # lesson 1: the power users installed the code already and skip it
    assert c["step_1_done"] == {"entered": 50, "left:yes": 10, "left:no": 40, "converted": 10}
    assert c["skip_1"] == {"entered": 10, "left:next": 10}
    # No SMTP server in the scenarios: every lesson email is still queued.
    assert c["lesson_1"] == {"entered": 40, "email:sent": 40, "email:queued": 40, "left:next": 40, "converted": 10}
    # its own goal: the 10 installers install within 2 days of it; sleepers, lesson-4 users and payers time out
    assert c["did_step_1"] == {"entered": 40, "left:event": 10, "left:timeout": 30, "converted": 10}
    assert c["step_2_done"] == {"entered": 50, "left:yes": 10, "left:no": 40, "converted": 10}
    assert c["lesson_2"] == {"entered": 40, "email:sent": 40, "email:queued": 40, "left:next": 40, "converted": 10}
    # the payers are waiting after lesson 2 (sent at 2 days 1 h) when they pay on day 3: the goal ends their runs
    assert c["did_step_2"] == {"entered": 40, "exited": 10, "exited:goal": 10, "left:timeout": 30, "converted": 10}
    for number in (2, 3, 4):
        assert c[f"skip_{number}"] == {"entered": 10, "left:next": 10}  # the power users keep the pace
    # from here on no run converts any more: the payers are gone
    assert c["step_3_done"] == {"entered": 40, "left:yes": 10, "left:no": 30}
    assert c["lesson_3"] == {"entered": 30, "email:sent": 30, "email:queued": 30, "left:next": 30}
    assert c["did_step_3"] == {"entered": 30, "left:timeout": 30}
    assert c["step_4_done"] == {"entered": 40, "left:yes": 10, "left:no": 30}
    assert c["lesson_4"] == {"entered": 30, "email:sent": 30, "email:queued": 30, "left:next": 30}
    # lesson 4's goal (trigger_message_created) is reached by the 10 lesson-4 users, as the seed's 73 of 750 were
    assert c["did_step_4"] == {"entered": 30, "left:event": 10, "left:timeout": 20}
    assert c["step_5_done"] == {"entered": 40, "left:yes": 10, "left:no": 30}
    assert c["lesson_5"] == {"entered": 30, "email:sent": 30, "email:queued": 30, "left:next": 30}
    assert c["did_step_5"] == {"entered": 30, "left:timeout": 30}
    assert c["lessons_done"] == {"entered": 40, "completed": 40}  # everyone but the payers, by day 12
    version = harness.runs(flow_id)[0].flow_version_id
    assert revenue(harness, version, "lesson_2") == 10 * Decimal(290)

    def lessons(contact: int) -> list[int]:
        return [LESSON.index(subject[:10]) + 1 for subject in sent_subjects(harness, contact)]

    assert lessons(power[0]) == []
    assert lessons(sleepers[0]) == [1, 2, 3, 4, 5]
    assert lessons(installers[0]) == [1, 2, 3, 4, 5]  # lesson 1 reached its goal; lesson 2 came at once
    assert lessons(payers[0]) == [1, 2]
    # the installers got lesson 2 an hour after lesson 1, not two days later
    first, second = harness.messages(installers[0])[:2]
    assert second.created_at - first.created_at == timedelta(hours=1)
    assert_counters_balance(harness, flow_id)
