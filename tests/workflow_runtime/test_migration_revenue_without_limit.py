"""Migration 0016 lets node_counters.amount and runs.revenue grow past numeric(18, 2), and fits them back on downgrade."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import create_engine, text

from workflow_runtime.storage.schema import downgrade, upgrade

SUM = Decimal("19999999999999996.00")  # two orders of 9999999999999998: past numeric(18, 2)


def test_revenue_sums_past_numeric_18_2_after_the_upgrade_and_are_cut_to_fit_on_downgrade(scratch_url: str) -> None:
    engine = create_engine(scratch_url)
    upgrade(scratch_url, "0015")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO flows (id, name, description, status, draft, created_at, updated_at) "
            "VALUES (1, 'Cart', '', 'live', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO flow_versions (id, flow_id, number, document, published_at) "
            "VALUES (1, 1, 1, '{}', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO node_counters (flow_version_id, node_id, metric, day, count, amount) "
            "VALUES (1, 'start', 'converted', '2026-03-02', 1, 9999999999999998), "
            "(1, 'hold', 'converted', '2026-03-02', 1, -9999999999999998), "
            "(1, 'end', 'converted', '2026-03-02', 1, 12.50)"))

    upgrade(scratch_url, "0016")
    with engine.begin() as connection:
        connection.execute(text("UPDATE node_counters SET amount = amount + 9999999999999998 WHERE node_id = 'start'"))
        connection.execute(text("UPDATE node_counters SET amount = amount - 9999999999999998 WHERE node_id = 'hold'"))
        amounts = dict(connection.execute(text("SELECT node_id, amount FROM node_counters")).all())
    assert float(amounts["start"]) == float(SUM) and float(amounts["hold"]) == -float(SUM)

    downgrade(scratch_url, "0015")
    with engine.connect() as connection:
        amounts = dict(connection.execute(text("SELECT node_id, amount FROM node_counters")).all())
    largest = Decimal("9999999999999999.99")
    assert [float(amounts[node]) for node in ("start", "hold", "end")] == [float(largest), -float(largest), 12.5]
    engine.dispose()
