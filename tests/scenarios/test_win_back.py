"""Win-back scenario: 70 customers over 30 days; every visit restarts the 14-day timer."""
from __future__ import annotations

from tests.scenarios.scenario_support import at, live_until, population, publish_scenario, sent_subjects
from tests.workflow_runtime.runtime_support import assert_counters_balance, track_all

PAGE = {"url": "https://shop.example.com/"}


def test_seventy_customers_over_a_month(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "win_back")
    start = harness.clock.now()
    regulars = population(harness, 20, "regular")  # visit every 5 days
    lapsed = population(harness, 40, "lapsed")  # never come back by themselves
    anonymous = population(harness, 10, "visitor", email=None)  # no address to write to
    # 16 of the lapsed come back 3 days after the offer (day 17), 16 / 40 = 40% won back.
    won_back = lapsed[:16]

    track_all(harness, regulars + lapsed + anonymous, "page_viewed", PAGE)
    for day in (5, 10, 15, 17, 20, 25, 30):
        live_until(harness, at(start, days=day))
        track_all(harness, won_back if day == 17 else regulars, "page_viewed", PAGE)

    c = harness.counters(flow_id)
    assert c["visited"] == {"entered": 70, "left:next": 70, "converted": 16}  # one run each: later visits do not re-enter
    assert c["away_14_days"] == {
        "entered": 70 + 20 * 6,  # each of the regulars' 6 later visits goes round the loop and enters again
        "left:event": 20 * 6,
        "left:timeout": 40 + 10,  # the lapsed and the anonymous, 14 days after their only visit
        "waiting": 20,  # the regulars, timer restarted on day 30
        "converted": 16,
    }
    assert c["has_email"] == {"entered": 50, "left:yes": 40, "left:no": 10, "converted": 16}
    # No SMTP server in the scenarios: every email is still queued.
    assert c["offer"] == {"entered": 40, "email:sent": 40, "email:queued": 40, "left:next": 40, "converted": 16}
    # the 16 who come back on day 17 wake the wait; the other 24 time out on day 28
    assert c["came_back"] == {"entered": 40, "left:event": 16, "left:timeout": 24, "converted": 16}
    # the Goal node converts the run on the nodes it passed, itself included; the exit after it comes later
    assert c["won_back"] == {"entered": 16, "left:next": 16, "converted": 16}
    assert c["back"] == {"entered": 16, "completed": 16}
    assert c["lost"] == {"entered": 24, "completed": 24}
    assert c["anonymous"] == {"entered": 10, "completed": 10}

    assert sent_subjects(harness, regulars[0]) == []
    assert sent_subjects(harness, won_back[0]) == ["We miss you — here is 15% off"]
    assert_counters_balance(harness, flow_id)
