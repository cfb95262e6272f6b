"""Welcome series scenario with 80 trial users of five business types over 14 days."""
from __future__ import annotations

from decimal import Decimal

from tests.scenarios.scenario_support import (
    at,
    live_until,
    node_config,
    population,
    publish_scenario,
    sent_subjects,
)
from tests.workflow_runtime.runtime_support import assert_counters_balance, revenue, track_all

# business type → how many trial users have it; "agency" and no type at all both count as "other".
GROUPS = {"landing": 20, "online_store": 20, "saas": 20, "agency": 10, None: 10}


def test_eighty_trials_by_business_type(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "welcome_series")
    start = harness.clock.now()
    groups = {}
    for kind, size in GROUPS.items():
        properties = {"business_type": kind} if kind else {}
        groups[kind] = population(harness, size, kind or "untyped", properties=properties)
    # Within every group: the first 20% pay on day 5, the next 10% unsubscribe on day 2, the next 10% pay on
    # day 13 (after the last email); the other 60% do nothing.
    pay_early = [c for members in groups.values() for c in members[: len(members) // 5]]
    leave = [c for members in groups.values() for c in members[len(members) // 5: len(members) * 3 // 10]]
    pay_late = [c for members in groups.values() for c in members[len(members) * 3 // 10: len(members) * 2 // 5]]
    everyone = [c for members in groups.values() for c in members]
    paying_customers = population(harness, 5, "customer")

    track_all(harness, everyone, "signed_up", {"plan": "trial"})
    track_all(harness, paying_customers, "signed_up", {"plan": "pro"})  # not a trial: not enrolled
    live_until(harness, at(start, days=2))
    track_all(harness, leave, "unsubscribed")
    live_until(harness, at(start, days=5))
    track_all(harness, pay_early, "subscription_paid", {"amount": 49})
    live_until(harness, at(start, days=13))
    track_all(harness, pay_late, "subscription_paid", {"amount": 99})
    live_until(harness, at(start, days=14))

    c = harness.counters(flow_id)
    # 16 pay early (4 in each group of 20, 2 in each group of 10), 8 leave and 8 pay late (2 and 1 per group).
    assert (len(pay_early), len(leave), len(pay_late)) == (16, 8, 8)
    assert c["signed_up"] == {"entered": 80, "left:next": 80, "converted": 24}  # the 5 'pro' sign-ups stay out
    assert c["is_landing"] == {"entered": 80, "left:yes": 20, "left:no": 60, "converted": 24}
    # of the 60 non-landing: 4+2 online_store, 4+2 saas, 2+1 agency and 2+1 untyped convert = 18
    assert c["is_store"] == {"entered": 60, "left:yes": 20, "left:no": 40, "converted": 18}
    assert c["is_saas"] == {"entered": 40, "left:yes": 20, "left:no": 20, "converted": 12}
    # No SMTP server in the scenarios: every email is still queued.
    for node in ("day0_landing", "day0_online_store", "day0_saas"):
        assert c[node] == {"entered": 20, "email:sent": 20, "email:queued": 20, "left:next": 20,
                           "converted": 6}, node  # 4 early + 2 late
    # agency (10) and untyped (10) both get the "other" email; 2+1 convert in each
    assert c["day0_other"] == {"entered": 20, "email:sent": 20, "email:queued": 20, "left:next": 20, "converted": 6}
    assert c["wait_day1"] == {"entered": 80, "left:next": 80, "converted": 24}
    assert c["day1_install"] == {"entered": 80, "email:sent": 80, "email:queued": 80, "left:next": 80, "converted": 24}
    # the 8 who unsubscribe on day 2 are waiting for day 3 when the exit rule ends their run
    assert c["wait_day3"] == {"entered": 80, "exited": 8, "exited:exit_rule": 8, "left:next": 72, "converted": 24}
    assert c["day3_ideas"] == {"entered": 72, "email:sent": 72, "email:queued": 72, "left:next": 72, "converted": 24}
    # the 16 who pay on day 5 wait for day 7 when the goal ends their run
    assert c["wait_day7"] == {"entered": 72, "exited": 16, "exited:goal": 16, "left:next": 56, "converted": 24}
    for node in ("day7_checkin", "day12_trial_ends"):
        assert c[node] == {"entered": 56, "email:sent": 56, "email:queued": 56, "left:next": 56,
                           "converted": 8}, node  # only the late payers
    assert c["wait_day12"] == {"entered": 56, "left:next": 56, "converted": 8}
    assert c["series_done"] == {"entered": 56, "completed": 56, "converted": 8}
    version = harness.runs(flow_id)[0].flow_version_id
    assert revenue(harness, version, "signed_up") == 16 * 49 + 8 * 99  # 784 + 792
    assert revenue(harness, version, "day12_trial_ends") == Decimal(8 * 99)

    # Each business type's first email is its own; the rest of the series is shared.
    first = {kind: node_config("welcome_series", f"day0_{kind}")["subject"]
             for kind in ("landing", "online_store", "saas", "other")}
    assert len(set(first.values())) == 4
    for kind, members in groups.items():
        expected = first[kind if kind in first else "other"]
        assert sent_subjects(harness, members[-1]) == [
            expected,
            "Install Beacon in two minutes",
            "Three scenarios that pay for Beacon in a week",
            "Halfway through your trial: how is it going?",
            "2 days left in your Beacon trial",
        ], kind
    assert len(sent_subjects(harness, leave[0])) == 2  # day 0 and day 1, then unsubscribed
    assert_counters_balance(harness, flow_id)
