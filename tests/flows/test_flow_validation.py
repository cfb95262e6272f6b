"""validate_flow: every kind of problem is found, with the right code, node id and pointer."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flows.document import canonical
from flows.validation import ErrorCode, FlowError, FlowInvalid, ensure_valid, validate_flow

Doc = dict[str, Any]
Expected = tuple[str, str | None, str]


def node(doc: Doc, node_id: str) -> Doc:
    """The node of `doc` with id `node_id`."""
    return next(item for item in doc["nodes"] if item["id"] == node_id)


def config(doc: Doc, node_id: str) -> Doc:
    return node(doc, node_id)["config"]


def edge(doc: Doc, source: str, port: str) -> Doc:
    """The edge of `doc` leaving `port` of node `source`."""
    return next(item for item in doc["edges"] if item["from"] == source and item["port"] == port)


def edge_at(doc: Doc, source: str, port: str) -> int:
    return doc["edges"].index(edge(doc, source, port))


def set_config(node_id: str, **changes: Any) -> Callable[[Doc], None]:
    """A change that updates the config of node `node_id`."""
    return lambda doc: config(doc, node_id).update(changes)


def set_setting(section: str, **changes: Any) -> Callable[[Doc], None]:
    """A change that updates one section of the flow's settings."""
    return lambda doc: doc["settings"][section].update(changes)


def found(errors: list[FlowError]) -> list[Expected]:
    return [(error.code.value, error.node_id, error.pointer) for error in errors]


# Each case: a change to the valid every-node-type flow, and every error it must cause.
# Node indexes of that flow: start 0, tag 1, check 2, ab 3, email 4, pause 5, popup 6,
# hook 7, chat 8, await 9, reached 10, failed_exit 11, done 12; 13 nodes, 15 edges.
Case = tuple[Callable[[Doc], object], list[Expected]]
CASES: dict[str, Case] = {
    # the document
    "missing name": (lambda d: d.pop("name"), [("schema", None, "/name")]),
    "empty name": (lambda d: d.update(name=""), [("schema", None, "/name")]),
    "name too long": (lambda d: d.update(name="x" * 201), [("schema", None, "/name")]),
    "nodes not a list": (lambda d: d.update(nodes="start, tag"), [("schema", None, "/nodes")]),
    "no nodes": (lambda d: d.update(nodes=[], edges=[]), [("schema", None, "/nodes")]),
    "edges not a list": (lambda d: d.update(edges={"start": "tag"}), [("schema", None, "/edges")]),
    "unknown top-level field": (lambda d: d.update(owner="me"), [("schema", None, "/owner")]),
    "schema_version from the future": (lambda d: d.update(schema_version=99), [("version", None, "/schema_version")]),
    "schema_version as text": (lambda d: d.update(schema_version="2"), [("version", None, "/schema_version")]),
    "schema_version zero": (lambda d: d.update(schema_version=0), [("version", None, "/schema_version")]),
    # settings
    "goal within not a duration": (set_setting("goal", within="P1X"), [("duration", None, "/settings/goal/within")]),
    "cooldown of zero": (set_setting("reentry", cooldown="PT0S"), [("duration", None, "/settings/reentry/cooldown")]),
    "negative frequency period": (set_setting("frequency_cap", per="-P1D"), [("duration", None, "/settings/frequency_cap/per")]),
    "frequency period past ten years": (set_setting("frequency_cap", per="P99999999D"), [("duration", None, "/settings/frequency_cap/per")]),
    "goal within past isodate's range": (set_setting("goal", within="P9999999999D"), [("duration", None, "/settings/goal/within")]),
    "cooldown of eleven years": (set_setting("reentry", cooldown="P11Y"), [("duration", None, "/settings/reentry/cooldown")]),
    "frequency cap of zero": (set_setting("frequency_cap", max_messages=0), [("schema", None, "/settings/frequency_cap/max_messages")]),
    "goal without event": (lambda d: d["settings"]["goal"].pop("event"), [("schema", None, "/settings/goal/event")]),
    "goal rule bad operator": (lambda d: d["settings"]["goal"]["where"][0].update(op="bigger"), [("schema", None, "/settings/goal/where/0/op")]),
    "unknown reentry mode": (set_setting("reentry", mode="sometimes"), [("schema", None, "/settings/reentry/mode")]),
    "quiet hours bad time": (set_setting("quiet_hours", to="25:00"), [("schema", None, "/settings/quiet_hours/to")]),
    "quiet hours unknown zone": (set_setting("quiet_hours", time_zone="Mars/Olympus"), [("time_zone", None, "/settings/quiet_hours/time_zone")]),
    "exit rule stray field": (lambda d: d["settings"]["exit_when"][0].update(after="P1D"), [("schema", None, "/settings/exit_when/0/after")]),
    # nodes, whatever their type
    "unknown node type": (lambda d: node(d, "chat").update(type="send_sms"), [("unknown_node_type", "chat", "/nodes/8/type")]),
    "node without type": (lambda d: node(d, "chat").pop("type"), [("schema", "chat", "/nodes/8/type")]),
    "config not an object": (lambda d: node(d, "chat").update(config=["hi"]), [("schema", "chat", "/nodes/8/config")]),
    "position without y": (lambda d: node(d, "chat")["position"].pop("y"), [("schema", "chat", "/nodes/8/position/y")]),
    "stray node field": (lambda d: node(d, "chat").update(data={}), [("schema", "chat", "/nodes/8/data")]),
    "node id with a space": (
        lambda d: d["nodes"].append({"id": "bad id", "type": "exit"}),
        [("unreachable", "bad id", "/nodes/13"), ("schema", "bad id", "/nodes/13/id")],
    ),
    # each node type's config
    "trigger on segment without segment": (lambda d: config(d, "start").update(on="segment_entered"),
                                           [("config", "start", "/nodes/0/config/event"), ("config", "start", "/nodes/0/config/segment"),
                                            ("config", "start", "/nodes/0/config/where")]),
    "trigger rule bad property": (lambda d: config(d, "start")["where"][0].update(property="my plan"), [("config", "start", "/nodes/0/config/where/0/property")]),
    "update_contact with nothing": (lambda d: node(d, "tag").update(config={}), [("config", "tag", "/nodes/1/config")]),
    "condition with stray key": (set_config("check", filter={"property": "plan", "op": "eq", "value": 1, "x": 2}), [("config", "check", "/nodes/2/config/filter/x")]),
    "condition window not a duration": (lambda d: config(d, "check")["filter"]["any"][1].update(within="two weeks"), [("duration", "check", "/nodes/2/config/filter/any/1/within")]),
    "split with one variant": (lambda d: config(d, "ab")["variants"].pop(), [("config", "ab", "/nodes/3/config/variants")]),
    "split weights off": (lambda d: config(d, "ab")["variants"][0].update(weight=60), [("split_weights", "ab", "/nodes/3/config/variants")]),
    "split variant ids repeat": (lambda d: config(d, "ab")["variants"][1].update(id="a"), [("duplicate_variant", "ab", "/nodes/3/config/variants/1/id")]),
    "email template and body": (set_config("email", template_id=3), [("config", "email", "/nodes/4/config/body"), ("config", "email", "/nodes/4/config/subject")]),
    "email without body": (lambda d: config(d, "email").pop("body"), [("config", "email", "/nodes/4/config/body")]),
    "email goal window": (lambda d: config(d, "email")["goal"].update(within="P0D"), [("duration", "email", "/nodes/4/config/goal/within")]),
    "wait until bad time": (lambda d: config(d, "pause")["until"].update(time="7am"), [("config", "pause", "/nodes/5/config/until/time")]),
    "wait duration and until": (set_config("pause", duration="PT1H"), [("config", "pause", "/nodes/5/config")]),
    "wait duration not a duration": (lambda d: node(d, "pause").update(config={"duration": "P1X"}), [("duration", "pause", "/nodes/5/config/duration")]),
    "wait past ten years": (lambda d: node(d, "pause").update(config={"duration": "P99999999D"}), [("duration", "pause", "/nodes/5/config/duration")]),
    "condition window past ten years": (lambda d: config(d, "check")["filter"]["any"][1].update(within="P121M"), [("duration", "check", "/nodes/2/config/filter/any/1/within")]),
    "chat forward past ten years": (set_config("chat", forward_by_email_after="P1Y99999999D"), [("duration", "chat", "/nodes/8/config/forward_by_email_after")]),
    "popup size medium": (set_config("popup", size="medium"), [("config", "popup", "/nodes/6/config/size")]),
    "popup fallback without email": (set_config("popup", email_fallback_after="P1D"), [("config", "popup", "/nodes/6/config/email_fallback")]),
    "webhook ftp url": (set_config("hook", url="ftp://crm.example.com"), [("config", "hook", "/nodes/7/config/url")]),
    "webhook timeout zero": (set_config("hook", timeout="PT0S"), [("duration", "hook", "/nodes/7/config/timeout")]),
    "webhook retries too many": (set_config("hook", retries=99), [("config", "hook", "/nodes/7/config/retries")]),
    "webhook timeout over the cap": (set_config("hook", timeout="P1D"), [("duration", "hook", "/nodes/7/config/timeout")]),
    "webhook to cloud metadata": (set_config("hook", url="http://169.254.169.254/latest/"), [("refused_address", "hook", "/nodes/7/config/url")]),
    "webhook to localhost": (set_config("hook", url="http://localhost:6379/"), [("refused_address", "hook", "/nodes/7/config/url")]),
    "chat empty body": (set_config("chat", body=""), [("config", "chat", "/nodes/8/config/body")]),
    "wait_for_event without event": (lambda d: config(d, "await").pop("event"), [("config", "await", "/nodes/9/config/event")]),
    "wait_for_event timeout text": (set_config("await", timeout="soon"), [("duration", "await", "/nodes/9/config/timeout")]),
    "wait_for_event timeout past ten years": (set_config("await", timeout="P99999999Y"), [("duration", "await", "/nodes/9/config/timeout")]),
    "webhook timeout past ten years": (set_config("hook", timeout="P99999999D"), [("duration", "hook", "/nodes/7/config/timeout")]),
    "goal without name": (lambda d: config(d, "reached").pop("name"), [("config", "reached", "/nodes/10/config/name")]),
    "goal revenue past 10^16": (set_config("reached", revenue=1e16), [("config", "reached", "/nodes/10/config/revenue")]),
    "exit stray config": (set_config("done", why="x"), [("config", "done", "/nodes/12/config/why")]),
    # edges and the graph
    "edge not an object": (lambda d: d["edges"].append("start->tag"), [("schema", None, "/edges/15")]),
    "edge stray field": (lambda d: edge(d, "start", "next").update(label="go"), [("schema", None, "/edges/0/label")]),
    "duplicate node id": (lambda d: d["nodes"].append({"id": "done", "type": "exit"}), [("duplicate_id", "done", "/nodes/13/id")]),
    "edge to a missing node": (lambda d: edge(d, "await", "event").update(to="nowhere"), [("missing_node", "await", "/edges/12/to")]),
    "edge from a missing node": (lambda d: d["edges"].append({"from": "ghost", "port": "next", "to": "done"}), [("missing_node", None, "/edges/15/from")]),
    "edge from a port the node lacks": (lambda d: d["edges"].append({"from": "hook", "port": "error", "to": "done"}), [("missing_port", "hook", "/edges/15/port")]),
    "edge from an exit": (lambda d: d["edges"].append({"from": "done", "port": "next", "to": "pause"}), [("missing_port", "done", "/edges/15/port")]),
    "edge without a port": (lambda d: edge(d, "check", "yes").pop("port"), [("missing_port", "check", "/edges/2/port"), ("unwired_port", "check", "/nodes/2")]),
    "edge with an empty port": (lambda d: d["edges"].append({"from": "start", "port": "", "to": "done"}), [("missing_port", "start", "/edges/15/port")]),
    "port used twice": (lambda d: d["edges"].append({"from": "start", "port": "next", "to": "done"}), [("port_used_twice", "start", "/edges/15")]),
    "port not wired": (lambda d: d["edges"].pop(edge_at(d, "await", "timeout")), [("unwired_port", "await", "/nodes/9")]),
    "no trigger": (lambda d: d.update(nodes=[{"id": "done", "type": "exit"}], edges=[]), [("no_trigger", None, "/nodes")]),
    "edge into the trigger": (lambda d: edge(d, "reached", "next").update(to="start"), [("trigger_has_input", "start", "/edges/14/to")]),
    "unreachable node": (lambda d: d["nodes"].append({"id": "orphan", "type": "exit"}), [("unreachable", "orphan", "/nodes/13")]),
    "loop without a wait": (lambda d: edge(d, "reached", "next").update(to="check"), [("loop_without_wait", "check", "/nodes/2")]),
    "node leads to itself": (
        lambda d: (d["nodes"].append({"id": "again", "type": "goal", "config": {"name": "Again"}}),
                   d["edges"].extend([{"from": "await", "port": "timeout", "to": "again"}, {"from": "again", "port": "next", "to": "again"}]),
                   d["edges"].pop(edge_at(d, "await", "timeout"))),
        [("loop_without_wait", "again", "/nodes/13")],
    ),
}


@pytest.mark.parametrize(("change", "expected"), CASES.values(), ids=CASES.keys())
def test_each_problem_is_reported_where_it_is(flow: Doc, change: Callable[[Doc], object], expected: list[Expected]) -> None:
    change(flow)
    errors = validate_flow(flow)
    assert found(errors) == expected
    assert all(error.message.endswith(".") and len(error.message) > 20 for error in errors)


def test_every_error_code_has_a_case() -> None:
    covered = {code for _, expected in CASES.values() for code, _, _ in expected}
    # json errors come from load_file; no_fallback is a warning, which flow_warnings finds (tests/nodes)
    assert covered == {code.value for code in ErrorCode} - {"json", "no_fallback"}


def test_messages_name_the_node_and_say_what_to_do(flow: Doc) -> None:
    config(flow, "await").update(timeout="P1X")
    node(flow, "chat").update(type="send_sms")
    messages = [error.message for error in validate_flow(flow)]
    assert messages[0].startswith("Node 'chat' has type 'send_sms'") and "send_chat" in messages[0]
    assert messages[1] == "In node 'await', field timeout, 'P1X' is not a duration: use ISO 8601 like PT1H or P7D."


def test_durations_are_bounded_at_ten_years(flow: Doc) -> None:
    set_setting("frequency_cap", per="P99999999D")(flow)
    [error] = validate_flow(flow)
    assert error.pointer == "/settings/frequency_cap/per"
    assert error.message == (
        "In flow setting frequency_cap › per, 'P99999999D' is longer than P10Y (ten years), "
        "the longest a flow may wait: shorten it."
    )
    for longest in ("P10Y", "P120M", "P3652DT12H", "P9Y12M"):
        set_setting("frequency_cap", per=longest)(flow)
        assert validate_flow(flow) == [], longest


def test_graph_messages_list_the_ports(flow: Doc) -> None:
    flow["edges"].append({"from": "hook", "port": "error", "to": "done"})
    flow["edges"].pop(edge_at(flow, "await", "timeout"))
    messages = [error.message for error in validate_flow(flow)]
    assert messages == [
        "Node 'hook' has no port 'error' (its ports are next, failed): pick one of them for edge 15.",
        "Port 'timeout' of node 'await' is not connected: connect it to the next step, or to an Exit node.",
    ]


def test_loop_message_names_every_node_in_it(flow: Doc) -> None:
    edge(flow, "reached", "next").update(to="check")
    (error,) = validate_flow(flow)
    assert "'check', 'ab', 'chat' and 'reached' form a loop" in error.message


def test_loop_through_a_wait_is_fine(flow: Doc) -> None:
    edge(flow, "hook", "next").update(to="pause")  # pause → popup → hook → pause
    assert validate_flow(flow) == []


def test_split_weights_tolerate_rounding(flow: Doc) -> None:
    config(flow, "ab")["variants"] = [{"id": "a", "weight": 33.3}, {"id": "b", "weight": 33.3}, {"id": "c", "weight": 33.4}]
    flow["edges"].append({"from": "ab", "port": "c", "to": "done"})
    assert validate_flow(flow) == []


def test_several_problems_are_all_reported_in_document_order(flow: Doc) -> None:
    flow.pop("name")
    flow["settings"]["reentry"]["cooldown"] = "tomorrow"
    node(flow, "chat")["type"] = "sms"
    config(flow, "ab")["variants"][0]["weight"] = 10
    flow["nodes"].append({"id": "orphan", "type": "exit"})
    flow["edges"].append({"from": "start", "port": "next", "to": "nowhere"})
    assert found(validate_flow(flow)) == [
        ("port_used_twice", "start", "/edges/15"),
        ("missing_node", "start", "/edges/15/to"),
        ("schema", None, "/name"),
        ("split_weights", "ab", "/nodes/3/config/variants"),
        ("unknown_node_type", "chat", "/nodes/8/type"),
        ("unreachable", "orphan", "/nodes/13"),
        ("duration", None, "/settings/reentry/cooldown"),
    ]


def test_valid_flows_have_no_errors(flow: Doc, abandoned_cart: Any) -> None:
    assert validate_flow(flow) == []
    assert validate_flow(abandoned_cart) == []


def test_abandoned_cart_template_is_the_designed_scenario(abandoned_cart: Any) -> None:
    types = {item["id"]: item["type"] for item in abandoned_cart["nodes"]}
    assert sorted(types.values()) == ["exit", "exit", "send_popup", "trigger", "update_contact", "wait_for_event"]
    popup = next(item["config"] for item in abandoned_cart["nodes"] if item["type"] == "send_popup")
    assert "{{ promo_code | default(\"CART10\") }}" in popup["body"] and popup["size"] == "small"
    # the code the popup and its email show is put on the contact's card just before
    give_code = next(item["config"] for item in abandoned_cart["nodes"] if item["type"] == "update_contact")
    assert give_code["set"]["promo_code"]
    assert all(tag in popup["email_fallback"]["body"] for tag in ("<mj-section>", "<mj-column>", "<mj-text", "<mj-button"))
    assert abandoned_cart["settings"]["goal"] == {"event": "order_paid", "within": "P7D", "revenue_property": "amount", "exit_on_goal": True}
    xs = [item["position"]["x"] for item in abandoned_cart["nodes"]]
    assert xs == sorted(xs)
    assert abandoned_cart == canonical(abandoned_cart)


def test_error_to_dict_is_plain_json(flow: Doc) -> None:
    flow.pop("name")
    (error,) = validate_flow(flow)
    assert error.to_dict() == {"pointer": "/name", "node_id": None, "message": "The flow has no 'name': add it.", "code": "schema"}


def test_ensure_valid_raises_with_every_error_and_returns_the_canonical_form(flow: Doc) -> None:
    assert ensure_valid(flow) == canonical(flow)
    flow.pop("name")
    flow["nodes"].append({"id": "orphan", "type": "exit"})
    with pytest.raises(FlowInvalid) as raised:
        ensure_valid(flow)
    assert [error.code for error in raised.value.errors] == [ErrorCode.SCHEMA, ErrorCode.UNREACHABLE]
    assert raised.value.to_dict()["errors"][0]["pointer"] == "/name"
