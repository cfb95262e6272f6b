"""A goal may end a path: no Exit node after it is needed, and the runs that reach it end there, counted once."""
from __future__ import annotations

from flows.validation import validate_flow
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
    track_all,
)
from workflow_runtime.storage.models import RunStatus


def test_a_path_may_end_at_a_goal_and_its_runs_end_there(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(  # `document` fails the test if validation finds anything wrong
        "Signed up, then activated",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "activated": ("wait_for_event", {"event": "activated", "timeout": "P7D"}),
            "goal": ("goal", {"name": "Activated"}),
            "gave_up": ("exit", {"reason": "never activated"}),
        },
        [("start", "next", "activated"), ("activated", "event", "goal"), ("activated", "timeout", "gave_up")],
    ))
    ann, bob = harness.contact(), harness.contact()
    track_all(harness, [ann, bob], "signed_up")
    track_all(harness, [ann], "activated")

    run = run_of(harness, flow_id, ann)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "goal", "the path ends at goal")
    assert run.path[-1][:2] == ["goal", None] and run.converted_at is not None
    assert counters(harness, live_version(harness, flow_id))["goal"] == {"entered": 1, "completed": 1, "converted": 1}
    assert run_of(harness, flow_id, bob).status is RunStatus.WAITING
    assert_counters_balance(harness, flow_id)


def test_other_nodes_still_need_every_port_connected() -> None:
    flow = {
        "schema_version": 2, "name": "Unfinished",
        "nodes": [{"id": "start", "type": "trigger", "config": {"on": "event", "event": "signed_up"}},
                  {"id": "hold", "type": "wait", "config": {"duration": "P1D"}}],
        "edges": [{"from": "start", "port": "next", "to": "hold"}],
    }
    assert [(error.node_id, error.code) for error in validate_flow(flow)] == [("hold", "unwired_port")]
