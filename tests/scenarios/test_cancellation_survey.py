"""Cancellation scenario: 40 cancellations; the popup asks why, the email asks whoever did not read it in 30 minutes."""
from __future__ import annotations

from tests.scenarios.scenario_support import at, live_until, population, publish_scenario, report_status, sent_subjects
from tests.workflow_runtime.runtime_support import assert_counters_balance, track_all
from workflow_runtime.storage.models import MessageStatus


def test_forty_cancellations(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "cancellation_survey")
    start = harness.clock.now()
    customers = population(harness, 40, "customer")
    # 0-3 read the popup and answer it, then resume on day 3; 4-11 read it and do not answer;
    # 12-21 do not read it, answer the email, and 12-17 of them resume on day 3;
    # 22-39 do nothing, and 22-23 resume on day 20, after the 14-day goal window.
    answer_popup, read_only, answer_email, silent = customers[:4], customers[4:12], customers[12:22], customers[22:]
    resume = answer_popup + answer_email[:6]

    track_all(harness, customers, "subscription_cancelled", {"plan": "pro", "reason_page": "/billing/cancel"})
    live_until(harness, at(start, minutes=10))
    report_status(harness, answer_popup + read_only, "ask_why", "popup", MessageStatus.READ)
    report_status(harness, answer_popup, "ask_why", "popup", MessageStatus.REPLIED)
    live_until(harness, at(start, hours=2))  # at 30 minutes the 28 unread popups were followed by the email
    report_status(harness, answer_email, "ask_why", "email", MessageStatus.REPLIED)
    live_until(harness, at(start, days=3))
    track_all(harness, resume, "subscription_resumed")
    live_until(harness, at(start, days=20))
    track_all(harness, silent[:2], "subscription_resumed")
    live_until(harness, at(start, days=21))

    c = harness.counters(flow_id)
    assert c["cancelled"] == {"entered": 40, "left:next": 40, "converted": 10}  # 4 + 6 resumed within 14 days
    assert c["ask_why"] == {
        "entered": 40,
        # Each channel apart: every popup, and the email to the 28 who had not read theirs after 30 minutes.
        "popup:sent": 40,
        "popup:delivered": 12,  # implied by reading
        "popup:read": 12,
        "popup:replied": 4,
        "popup:queued": 40 - 12,  # the unread popups were never shown
        "email:sent": 28,
        "email:delivered": 10,  # implied by answering
        "email:read": 10,
        "email:replied": 10,
        "email:queued": 28 - 10,  # no SMTP server in the scenarios: only the answered ones count as delivered
        "left:next": 40,
        "converted": 10,
    }
    assert c["give_a_day"] == {"entered": 40, "left:next": 40, "converted": 10}
    # a day later: 4 answered the popup and 10 the email, so 14 reasons are known
    assert c["answered"] == {"entered": 40, "left:yes": 14, "left:no": 26, "converted": 10}
    assert c["reason_known"] == {"entered": 14, "completed": 14, "converted": 10}  # every resumer had answered
    assert c["no_answer"] == {"entered": 26, "completed": 26}

    assert sent_subjects(harness, read_only[0]) == ["Sorry to see you go — may we ask why?"]
    assert sent_subjects(harness, silent[0]) == [
        "Sorry to see you go — may we ask why?", "May we ask why you are leaving Beacon?",
    ]
    assert_counters_balance(harness, flow_id)
