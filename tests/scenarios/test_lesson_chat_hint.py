"""Lesson-to-chat scenario: arriving from a lesson email opens a chat hint about the first step not done yet."""
from __future__ import annotations

from tests.scenarios.scenario_support import at, live_until, population, publish_scenario, sent_subjects
from tests.workflow_runtime.runtime_support import assert_counters_balance, track_all

STEPS = ["code_installed", "chat_configured", "popup_created", "trigger_message_created", "automation_published"]


def from_lesson(number: int) -> dict[str, str]:
    """A page view as the lesson email's button lands it (utm tags parsed into properties)."""
    return {"url": f"https://app.example.com/?utm_source=email&utm_campaign=lesson_{number}",
            "utm_source": "email", "utm_campaign": f"lesson_{number}"}


def test_thirty_five_arrivals_from_lessons(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "lesson_chat_hint")
    start = harness.clock.now()
    # By progress: nothing done, code installed, three steps done, all five done.
    fresh, installed, halfway, finished = (population(harness, size, name) for size, name in
                                           ((10, "fresh"), (10, "installed"), (10, "halfway"), (5, "finished")))
    others = population(harness, 10, "reader")
    track_all(harness, installed + halfway + finished, STEPS[0])
    track_all(harness, halfway + finished, STEPS[1])
    track_all(harness, halfway + finished, STEPS[2])
    track_all(harness, finished, STEPS[3])
    track_all(harness, finished, STEPS[4])
    live_until(harness, at(start, hours=1))

    track_all(harness, fresh, "page_viewed", from_lesson(1))
    track_all(harness, installed, "page_viewed", from_lesson(2))
    track_all(harness, halfway + finished, "page_viewed", from_lesson(4))
    track_all(harness, others[:5], "page_viewed", {**from_lesson(1), "utm_source": "google"})  # not from an email
    track_all(harness, others[5:], "page_viewed", {"url": "https://app.example.com/", "utm_source": "email",
                                                   "utm_campaign": "newsletter_june"})  # an email, not a lesson
    # Within the day the hint gives: 4 fresh users install the code, 5 installed ones set up the chat,
    # 6 halfway ones create a trigger message; 2 more halfway ones only after 30 hours, too late.
    live_until(harness, at(start, hours=4))
    track_all(harness, fresh[:4], STEPS[0])
    track_all(harness, installed[:5], STEPS[1])
    track_all(harness, halfway[:6], STEPS[3])
    track_all(harness, fresh, "page_viewed", from_lesson(1))  # a second arrival within 12 hours: no new run
    live_until(harness, at(start, hours=31))
    track_all(harness, halfway[6:8], STEPS[3])
    live_until(harness, at(start, days=2))

    c = harness.counters(flow_id)
    assert c["from_lesson"] == {"entered": 35, "left:next": 35, "converted": 15}  # 4 + 5 + 6 did the hinted step
    assert c["needs_code_installed"] == {"entered": 35, "left:yes": 10, "left:no": 25, "converted": 15}
    # No visitor's widget asks for the hints here: every chat is still queued.
    assert c["hint_code_installed"] == {"entered": 10, "chat:sent": 10, "chat:queued": 10, "left:next": 10,
                                        "converted": 4}
    assert c["tried_code_installed"] == {"entered": 10, "left:event": 4, "left:timeout": 6, "converted": 4}
    assert c["needs_chat_configured"] == {"entered": 25, "left:yes": 10, "left:no": 15, "converted": 11}
    assert c["hint_chat_configured"] == {"entered": 10, "chat:sent": 10, "chat:queued": 10, "left:next": 10,
                                         "converted": 5}
    assert c["tried_chat_configured"] == {"entered": 10, "left:event": 5, "left:timeout": 5, "converted": 5}
    # halfway and finished users made a popup already: nobody gets that hint
    assert c["needs_popup_created"] == {"entered": 15, "left:no": 15, "converted": 6}
    assert "hint_popup_created" not in c
    assert c["needs_trigger_message_created"] == {"entered": 15, "left:yes": 10, "left:no": 5, "converted": 6}
    assert c["hint_trigger_message_created"] == {"entered": 10, "chat:sent": 10, "chat:queued": 10, "left:next": 10,
                                                 "converted": 6}
    assert c["tried_trigger_message_created"] == {"entered": 10, "left:event": 6, "left:timeout": 4, "converted": 6}
    assert c["needs_automation_published"] == {"entered": 5, "left:no": 5}
    assert c["all_done"] == {"entered": 5, "completed": 5}
    # the Goal node converts the nodes the run passed, itself included; the exit after it is entered later
    assert c["step_done"] == {"entered": 15, "left:next": 15, "converted": 15}
    assert c["helped"] == {"entered": 15, "completed": 15}
    assert c["not_yet"] == {"entered": 6 + 5 + 4, "completed": 15}

    [chat] = harness.messages(installed[0])
    assert chat.channel.value == "chat" and "set up this chat" in chat.content["body"]
    assert sent_subjects(harness, others[0]) == sent_subjects(harness, finished[0]) == []
    assert_counters_balance(harness, flow_id)
