"""Abandoned cart scenario with 100 shoppers: who pays, who sees the popup, who gets the email, what converts."""
from __future__ import annotations

from decimal import Decimal

from tests.scenarios.scenario_support import (
    at,
    live_until,
    population,
    publish_scenario,
    report_status,
    sent_subjects,
)
from tests.workflow_runtime.runtime_support import assert_counters_balance, revenue, track_all
from workflow_runtime.storage.models import Contact, MessageStatus


def test_a_hundred_carts(harness) -> None:  # noqa: ANN001
    flow_id = publish_scenario(harness, "abandoned_cart")
    start = harness.clock.now()
    shoppers = population(harness, 100, "shopper")
    # Ten behaviours by the last digit of the shopper's number: 0-2 pay within the hour; 3-5 read the popup,
    # and 3 then pays on day 3; 6-9 never read it and get the email, 6 then pays on day 3 and 7 on day 9.
    by_digit = {digit: [contact for n, contact in enumerate(shoppers) if n % 10 == digit] for digit in range(10)}
    quick = by_digit[0] + by_digit[1] + by_digit[2]
    readers = by_digit[3] + by_digit[4] + by_digit[5]
    emailed = by_digit[6] + by_digit[7] + by_digit[8] + by_digit[9]
    late_payers = by_digit[3] + by_digit[6]
    too_late = by_digit[7]
    strangers = population(harness, 5, "browser")

    track_all(harness, shoppers, "cart_updated", {"total": 80})
    track_all(harness, strangers, "cart_updated", {"total": 0})  # an emptied cart does not enrol
    live_until(harness, at(start, minutes=20))
    track_all(harness, quick, "order_paid", {"amount": 80})
    live_until(harness, at(start, hours=1, minutes=1))
    report_status(harness, readers, "promo_popup", "popup", MessageStatus.READ)
    live_until(harness, at(start, days=1, hours=2))
    live_until(harness, at(start, days=3))
    track_all(harness, late_payers, "order_paid", {"amount": "64.00"})  # 80 less the 20% promo
    live_until(harness, at(start, days=9))
    track_all(harness, too_late, "order_paid", {"amount": 80})  # after the 7-day goal window: not counted
    live_until(harness, at(start, days=10))

    counters = harness.counters(flow_id)
    assert counters["cart_updated"] == {
        "entered": 100,  # every non-empty cart; the 5 emptied carts fail the total > 0 rule
        "left:next": 100,
        "converted": 50,  # 30 paid within the hour + 20 paid on day 3 (digits 3 and 6); digit 7 paid on day 9, too late
    }
    # An event first wakes the runs waiting for it, then credits the goal: the 30 quick payers leave the wait by
    # its event port into 'paid' (an Exit node, where they complete), and only then does order_paid convert them,
    # on every node they passed, 'paid' included. exit_on_goal has nothing left to end: their runs have completed.
    assert counters["wait_for_payment"] == {
        "entered": 100,
        "left:event": 30,  # digits 0-2 paid within the hour, while waiting
        "left:timeout": 70,  # the other 70 did not pay within the hour
        "converted": 50,  # every converting run passed this node: 30 by the paid branch, 20 by the reminder
    }
    assert counters["paid"] == {
        "entered": 30,  # = wait_for_payment's left:event
        "completed": 30,  # the Exit node ends every run it takes ("Paid without a reminder")
        "converted": 30,  # each of them converted on the order that woke it, after it got here
    }
    assert counters["give_promo_code"] == {"entered": 70, "left:next": 70, "converted": 20}
    assert counters["promo_popup"] == {
        "entered": 70,
        # Each channel apart: 70 popups, then the email fallback for the 40 who had not read theirs after a day.
        "popup:sent": 70,
        "popup:delivered": 30,  # reading implies delivery
        "popup:read": 30,  # digits 3-5 read the popup
        "popup:queued": 40,  # the unread popups were never shown
        "email:sent": 40,
        "email:queued": 40,  # no SMTP server in the scenarios
        "left:next": 70,  # readers leave after a day without email, the others after their email
        "converted": 20,  # digits 3 and 6 paid on day 3
    }
    assert counters["reminded"] == {"entered": 70, "completed": 70, "converted": 20}
    version = harness.runs(flow_id)[0].flow_version_id
    assert revenue(harness, version, "cart_updated") == 30 * 80 + 20 * Decimal("64.00")  # 2400 + 1280
    assert revenue(harness, version, "promo_popup") == 20 * Decimal("64.00")  # only the reminded payers
    assert revenue(harness, version, "paid") == 30 * 80  # only the quick payers, at the full price

    # The popup and its email carry the promo code that the flow put on the contact's card.
    reader, ignorer = readers[0], emailed[0]
    assert sent_subjects(harness, reader) == ["Forgot something?"]
    assert sent_subjects(harness, ignorer) == ["Forgot something?", "Your cart is waiting, with 10% off"]
    assert all(message.content["body"].count("{{ promo_code | default(\"CART10\") }}") == 1 for message in harness.messages(ignorer))
    with harness.session() as session:
        assert session.get(Contact, ignorer).properties["promo_code"] == "CART10"
        assert "promo_code" not in session.get(Contact, quick[0]).properties  # paid in time: no code given
    assert_counters_balance(harness, flow_id)


def test_an_anonymous_shopper_gets_no_fallback_email(harness) -> None:  # noqa: ANN001
    """A visitor with no address gets the popup; its email fallback is suppressed and counted, never sent."""
    flow_id = publish_scenario(harness, "abandoned_cart")
    start = harness.clock.now()
    [visitor] = population(harness, 1, "anonymous", email=None)
    track_all(harness, [visitor], "cart_updated", {"total": 30})
    live_until(harness, at(start, days=1, hours=2))
    assert [message.channel.value for message in harness.messages(visitor)] == ["popup"]
    assert harness.counters(flow_id)["promo_popup"]["popup:sent"] == 1
    assert harness.counters(flow_id)["promo_popup"]["email:suppressed"] == 1
