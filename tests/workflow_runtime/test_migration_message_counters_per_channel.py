"""Migration 0019 rebuilds a send node's message counters per channel from the ledger, and folds them back on downgrade."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from workflow_runtime.storage.schema import downgrade, upgrade

# A popup node's ledger: a popup shown and read, a popup still waiting for a visit, and the fallback email
# of the second, accepted by the SMTP server; an email node's message whose personalisation failed.
MESSAGES = [
    # (id, node, channel, statuses, created_at, updated_at)
    (1, "promo", "popup", '["sent", "delivered", "read"]', "2026-03-02 10:00:00", "2026-03-03 09:00:00"),
    (2, "promo", "popup", '["sent"]', "2026-03-02 10:00:00", "2026-03-02 10:00:00"),
    (3, "promo", "email", '["sent", "delivered"]', "2026-03-03 10:00:00", "2026-03-03 10:00:05"),
    (4, "mail", "email", '["sent", "failed"]', "2026-03-02 10:00:00", "2026-03-02 10:00:00"),
]
# What the old code counted: the popup node's statuses added together across its channels.
OLD_COUNTERS = [
    ("promo", "sent", "2026-03-02", 2), ("promo", "sent", "2026-03-03", 1), ("promo", "delivered", "2026-03-03", 2),
    ("promo", "read", "2026-03-03", 1), ("mail", "sent", "2026-03-02", 1), ("mail", "failed", "2026-03-02", 1),
    ("mail", "suppressed", "2026-03-02", 3), ("promo", "entered", "2026-03-02", 2),
]


def _counters(engine) -> dict[tuple[str, str, str], int]:  # noqa: ANN001
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT node_id, metric, day, count FROM node_counters")).all()
    return {(node, metric, str(day)[:10]): count for node, metric, day, count in rows}


def test_message_counters_are_rebuilt_per_channel_and_folded_back(scratch_url: str) -> None:
    engine = create_engine(scratch_url)
    upgrade(scratch_url, "0018")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO flows (id, name, description, status, draft, created_at, updated_at) "
            "VALUES (1, 'Promo', '', 'live', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO flow_versions (id, flow_id, number, document, published_at) "
            "VALUES (1, 1, 1, '{}', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO contacts (id, properties, tags, first_seen_at, last_seen_at) "
            "VALUES (1, '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for message_id, node, channel, statuses, created, updated in MESSAGES:
            connection.execute(text(
                "INSERT INTO messages (id, idempotency_key, contact_id, flow_version_id, node_id, channel, status, "
                "content, statuses, delivery_state, attempts, created_at, updated_at) VALUES (:id, :key, 1, 1, :node, "
                ":channel, 'sent', '{}', :statuses, 'pending', 0, :created, :updated)"),
                {"id": message_id, "key": f"m{message_id}", "node": node, "channel": channel, "statuses": statuses,
                 "created": created, "updated": updated})
        for node, metric, day, count in OLD_COUNTERS:
            connection.execute(text(
                "INSERT INTO node_counters (flow_version_id, node_id, metric, day, count, amount) "
                "VALUES (1, :node, :metric, :day, :count, 0)"), {"node": node, "metric": metric, "day": day,
                                                                 "count": count})

    upgrade(scratch_url, "0019")
    assert _counters(engine) == {
        ("promo", "entered", "2026-03-02"): 2,  # not a message counter: untouched
        ("promo", "popup:sent", "2026-03-02"): 2,
        ("promo", "popup:delivered", "2026-03-03"): 1,
        ("promo", "popup:read", "2026-03-03"): 1,
        ("promo", "popup:queued", "2026-03-02"): 2,  # both recorded that day, one shown the next
        ("promo", "popup:queued", "2026-03-03"): -1,
        ("promo", "email:sent", "2026-03-03"): 1,
        ("promo", "email:delivered", "2026-03-03"): 1,  # its +1 and -1 of the queue fall on one day
        ("mail", "email:sent", "2026-03-02"): 1,
        ("mail", "email:failed", "2026-03-02"): 1,  # failed when recorded: never queued
        ("mail", "email:suppressed", "2026-03-02"): 3,
    }

    downgrade(scratch_url, "0018")
    assert _counters(engine) == {
        ("promo", "entered", "2026-03-02"): 2,
        ("promo", "sent", "2026-03-02"): 2, ("promo", "sent", "2026-03-03"): 1,
        ("promo", "delivered", "2026-03-03"): 2, ("promo", "read", "2026-03-03"): 1,
        ("mail", "sent", "2026-03-02"): 1, ("mail", "failed", "2026-03-02"): 1, ("mail", "suppressed", "2026-03-02"): 3,
    }
    engine.dispose()
