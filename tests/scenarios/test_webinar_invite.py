"""Webinar invite scenario: a broadcast to a segment's members, each audience with its own invitation."""
from __future__ import annotations

from sqlalchemy import select

from tests.scenarios.scenario_support import at, live_until, population, publish_scenario, sent_subjects
from tests.workflow_runtime.runtime_support import assert_counters_balance, track_all
from workflow_runtime.engine.filters import evaluate
from workflow_runtime.engine.subject import ContactSubject
from workflow_runtime.storage.models import BroadcastStatus, Contact, Segment

# The segment a marketer would pick for the broadcast: everyone who is not on the team.
AUDIENCE = {"not": {"property": "tags", "op": "contains", "value": "staff"}}


def segment_members(harness, segment_id: int) -> list[int]:  # noqa: ANN001
    """The segment's members now, by the filter language the runtime uses (what POST /enrol {segment_id} enrols)."""
    with harness.session() as session:
        segment = session.get(Segment, segment_id)
        now = harness.clock.now()
        return [
            contact.id
            for contact in session.scalars(select(Contact).order_by(Contact.id))
            if evaluate(segment.filter, ContactSubject(session, contact, now), now)
        ]


def test_broadcast_to_sixty_contacts_in_four_audiences(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "webinar_invite")
    active = population(harness, 20, "active", properties={"plan_status": "active"})
    leads = population(harness, 15, "lead")  # left an email, never signed up
    churned = population(harness, 10, "churned", properties={"plan_status": "cancelled"})
    trials = population(harness, 15, "trial", properties={"plan_status": "trial_expired"})
    staff = population(harness, 5, "staff", properties={"plan_status": "active"})
    with harness.runtime.sessions.begin() as session:
        for contact in session.scalars(select(Contact).where(Contact.id.in_(staff))):
            contact.tags = ["staff"]
        audience = Segment(name="Webinar audience", filter=AUDIENCE)
        session.add(audience)
        session.flush()
        segment_id = audience.id
    track_all(harness, active + churned + trials + staff, "signed_up", {"plan": "trial"})
    live_until(harness, at(harness.clock.now(), hours=1))

    start = harness.clock.now()
    members = segment_members(harness, segment_id)
    assert sorted(members) == sorted(active + leads + churned + trials)  # the 5 staff are left out
    sent = harness.broadcast(flow_id, segment_id=segment_id)
    assert (sent.status, sent.audience, sent.enrolled, sent.scanned) == (BroadcastStatus.DONE, 60, 60, 65)
    assert sorted(run.contact_id for run in harness.runs(flow_id)) == sorted(members)
    # Registrations: on day 1, 8 active, 3 leads, 2 churned and 3 trials (16); after the reminder on day 2,
    # 2 more active and 4 more trials (6), all within the 3-day goal window.
    live_until(harness, at(start, days=1))
    track_all(harness, active[:8] + leads[:3] + churned[:2] + trials[:3], "webinar_registered")
    live_until(harness, at(start, days=2, hours=12))
    track_all(harness, active[8:10] + trials[3:7], "webinar_registered")
    live_until(harness, at(start, days=4))

    c = harness.counters(flow_id)
    assert c["broadcast"] == {"entered": 60, "left:next": 60, "converted": 22}  # 16 + 6 registered
    assert c["is_active"] == {"entered": 60, "left:yes": 20, "left:no": 40, "converted": 22}
    # leads are the only ones without a signed_up event; active ones never get this far
    assert c["is_lead"] == {"entered": 40, "left:yes": 15, "left:no": 25, "converted": 3 + 2 + 7}
    assert c["is_churned"] == {"entered": 25, "left:yes": 10, "left:no": 15, "converted": 2 + 7}
    # No SMTP server in the scenarios: every email is still queued.
    assert c["invite_active"] == {"entered": 20, "email:sent": 20, "email:queued": 20, "left:next": 20, "converted": 10}
    assert c["invite_lead"] == {"entered": 15, "email:sent": 15, "email:queued": 15, "left:next": 15, "converted": 3}
    assert c["invite_churned"] == {"entered": 10, "email:sent": 10, "email:queued": 10, "left:next": 10, "converted": 2}
    assert c["invite_trial"] == {"entered": 15, "email:sent": 15, "email:queued": 15, "left:next": 15,
                                 "converted": 7}  # the rest: expired trials
    # the 16 day-1 registrations end their runs in the wait (exit on goal): no reminder for them
    assert c["wait_two_days"] == {"entered": 60, "exited": 16, "exited:goal": 16, "left:next": 44, "converted": 22}
    assert c["reminder"] == {"entered": 44, "email:sent": 44, "email:queued": 44, "left:next": 44, "converted": 6}
    assert c["invited"] == {"entered": 44, "completed": 44, "converted": 6}

    assert sent_subjects(harness, leads[-1]) == [
        "Free webinar: how to talk to every visitor of your site", "Tomorrow: the Beacon webinar, and a seat for you",
    ]
    assert sent_subjects(harness, churned[0]) == ["A lot has changed in Beacon — see it live"]
    assert sent_subjects(harness, staff[0]) == []
    # a second broadcast of the same flow invites nobody twice (re-entry: once)
    again = harness.broadcast(flow_id, segment_id=segment_id)
    assert (again.status, again.audience, again.enrolled) == (BroadcastStatus.DONE, 60, 0)
    assert_counters_balance(harness, flow_id)
