"""`/api/segments`: create, update, delete, live count and preview; a new condition refreshes tracked memberships."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.workflow_runtime.test_segment_entry import segment_flow
from workflow_runtime.storage.models import Run, Segment, SegmentMembership

BERLIN = {"property": "city", "op": "eq", "value": "Berlin"}
KAZAN = {"property": "city", "op": "eq", "value": "Kazan"}


@pytest.fixture
def people(harness):  # noqa: ANN001, ANN201 - the Harness fixture
    return {
        name: harness.contact(name=name.title(), email=f"{name}@example.com", properties={"city": city})
        for name, city in (("anna", "Berlin"), ("boris", "Kazan"), ("carla", "Berlin"), ("dmitri", "Kazan"))
    }


def create(client: FlaskClient, headers: dict, **body: object) -> dict:
    response = client.post("/api/segments", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_create_count_preview_and_list(client: FlaskClient, admin_headers: dict, people: dict) -> None:
    created = create(client, admin_headers, name="Berliners", filter=BERLIN)
    assert (created["name"], created["description"], created["filter"], created["count"]) == ("Berliners", "", BERLIN, 2)
    assert created["tracked"] is False
    fetched = client.get(f"/api/segments/{created['id']}", headers=admin_headers).json
    assert fetched["count"] == 2
    preview = client.get(f"/api/segments/{created['id']}/preview?limit=1", headers=admin_headers).json
    assert preview["total"] == 2 and len(preview["contacts"]) == 1
    assert preview["contacts"][0]["id"] in (people["anna"], people["carla"])
    create(client, admin_headers, name="All Kazan", description="From Kazan", filter=KAZAN)
    listed = client.get("/api/segments", headers=admin_headers).json["segments"]
    assert [(s["name"], s["count"], s["used_by_flows"], s["used_by_segments"]) for s in listed] == [
        ("All Kazan", 2, [], []), ("Berliners", 2, [], [])]


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"filter": BERLIN}, ["/name"]),
        ({"name": "", "filter": BERLIN}, ["/name"]),
        ({"name": "No rule"}, ["/filter"]),
        ({"name": "Bad op", "filter": {"property": "city", "op": "is", "value": "x"}}, ["/filter/op"]),
        ({"name": "Two bad", "filter": {"all": [{"property": "a", "op": "gt"}, {"event": "x", "within": "soon"}]}},
         ["/filter/all/0/value", "/filter/all/1/within"]),
        ({"name": "Ghost", "filter": {"not": {"segment": 404}}}, ["/filter/not/segment"]),
        ({"name": "List", "filter": [BERLIN]}, ["/filter"]),
        ({"name": "Extra", "filter": BERLIN, "colour": "red"}, ["/colour"]),
    ],
)
def test_bad_segments_are_422_with_field_errors(client: FlaskClient, admin_headers: dict, body: dict,
                                                pointers: list[str]) -> None:
    response = client.post("/api/segments", json=body, headers=admin_headers)
    assert response.status_code == 422, response.json
    assert sorted(error["pointer"] for error in response.json["errors"]) == pointers
    assert all(error["message"] for error in response.json["errors"])
    assert client.get("/api/segments", headers=admin_headers).json["segments"] == []


def test_names_are_unique_and_a_segment_cannot_contain_itself(client: FlaskClient, admin_headers: dict) -> None:
    berliners = create(client, admin_headers, name="Berliners", filter=BERLIN)
    twin = client.post("/api/segments", json={"name": "Berliners", "filter": KAZAN}, headers=admin_headers)
    assert twin.status_code == 422 and twin.json["errors"][0]["pointer"] == "/name"
    selfish = client.put(f"/api/segments/{berliners['id']}", headers=admin_headers,
                         json={"filter": {"any": [BERLIN, {"segment": berliners["id"]}]}})
    assert selfish.status_code == 422
    assert selfish.json["errors"][0]["pointer"] == "/filter/any/1/segment"
    assert client.get(f"/api/segments/{berliners['id']}", headers=admin_headers).json["filter"] == BERLIN


def test_update_changes_only_what_is_sent(client: FlaskClient, admin_headers: dict, people: dict) -> None:
    segment = create(client, admin_headers, name="Berliners", filter=BERLIN)
    renamed = client.put(f"/api/segments/{segment['id']}", json={"description": "Capital"}, headers=admin_headers)
    assert renamed.status_code == 200
    assert (renamed.json["name"], renamed.json["description"], renamed.json["count"]) == ("Berliners", "Capital", 2)
    moved = client.put(f"/api/segments/{segment['id']}", json={"name": "Kazan folk", "filter": KAZAN},
                       headers=admin_headers).json
    assert (moved["name"], moved["filter"], moved["description"]) == ("Kazan folk", KAZAN, "Capital")


def test_a_new_condition_refreshes_the_memberships_of_a_tracked_segment(client: FlaskClient, admin_headers: dict,
                                                                        people: dict, harness) -> None:  # noqa: ANN001
    segment = create(client, admin_headers, name="Berliners", filter=BERLIN)
    flow_id = harness.publish(segment_flow(segment["id"]))
    with harness.session() as session:
        harness.runtime.jobs.refresh_all_segments(session, harness.clock.now())
    harness.drain()

    def members() -> set[int]:
        with harness.session() as session:
            return set(session.scalars(select(SegmentMembership.contact_id)
                                       .where(SegmentMembership.segment_id == segment["id"])))

    def entered() -> list[int]:
        with harness.session() as session:
            return sorted(session.scalars(select(Run.contact_id).where(Run.flow_id == flow_id)))

    assert members() == {people["anna"], people["carla"]}
    assert entered() == sorted([people["anna"], people["carla"]])

    updated = client.put(f"/api/segments/{segment['id']}", json={"filter": KAZAN}, headers=admin_headers)
    assert updated.status_code == 200 and updated.json["tracked"] is True
    harness.drain()
    assert members() == {people["boris"], people["dmitri"]}, "Berliners left, Kazan entered"
    assert entered() == sorted(people.values()), "entering by the new condition starts the flow, as any entry"


def test_delete(client: FlaskClient, admin_headers: dict, harness) -> None:  # noqa: ANN001
    doomed = create(client, admin_headers, name="Doomed", filter=BERLIN)
    assert client.delete(f"/api/segments/{doomed['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/segments/{doomed['id']}", headers=admin_headers).status_code == 404

    used = create(client, admin_headers, name="Used", filter=BERLIN)
    flow_id = harness.publish(segment_flow(used["id"]))
    refused = client.delete(f"/api/segments/{used['id']}", headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json["message"] == (
        f"Segment 'Used' is used by the flow 'Welcome VIPs' (id {flow_id}): change their triggers, conditions, goals "
        "or exit rules so they no longer refer to it, then delete it.")
    with harness.session() as session:
        assert session.get(Segment, used["id"]) is not None


def condition_flow(name: str, condition: dict | None = None) -> dict:
    """A flow entered by hand that asks `condition` (by default one that names no segment)."""
    return {
        "schema_version": 2, "name": name,
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"on": "manual"}},
            {"id": "gate", "type": "condition", "config": {"filter": condition or {"property": "plan", "op": "exists"}}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [{"from": "start", "port": "next", "to": "gate"}, {"from": "gate", "port": "yes", "to": "done"},
                  {"from": "gate", "port": "no", "to": "done"}],
    }


def test_rules_that_refer_to_a_segment_use_it(client: FlaskClient, admin_headers: dict, harness) -> None:  # noqa: ANN001
    """A segment is used by flows that start on it, by flows whose conditions refer to it in their live version or
    their draft, and by segments that refer to it: all are listed, and deleting it is refused naming every one."""
    vip = create(client, admin_headers, name="VIP", filter=BERLIN)
    inner = {"segment": vip["id"]}
    by_trigger = harness.publish(segment_flow(vip["id"]))
    by_condition = harness.publish(condition_flow("Gatekeeper", {"all": [BERLIN, {"not": inner}]}))
    by_draft = harness.publish(condition_flow("Draft keeper"))
    edited = condition_flow("Draft keeper", {"any": [KAZAN, inner]})
    saved = client.put(f"/api/flows/{by_draft}", headers=admin_headers, json={"name": "Draft keeper", "document": edited})
    assert saved.status_code == 200, saved.json
    unrelated = client.post("/api/flows", headers=admin_headers,
                            json={"name": "Unrelated", "document": condition_flow("Unrelated")})
    assert unrelated.status_code == 201, unrelated.json
    wrapper = create(client, admin_headers, name="VIP or Kazan", filter={"any": [KAZAN, inner]})

    [listed] = [s for s in client.get("/api/segments", headers=admin_headers).json["segments"] if s["id"] == vip["id"]]
    expected_flows = [{"id": by_trigger, "name": "Welcome VIPs"}, {"id": by_condition, "name": "Gatekeeper"},
                      {"id": by_draft, "name": "Draft keeper"}]
    assert listed["used_by_flows"] == expected_flows
    assert listed["used_by_segments"] == [{"id": wrapper["id"], "name": "VIP or Kazan"}]
    assert client.get(f"/api/segments/{vip['id']}", headers=admin_headers).json["used_by_flows"] == expected_flows

    refused = client.delete(f"/api/segments/{vip['id']}", headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json["message"] == (
        f"Segment 'VIP' is used by the flow 'Welcome VIPs' (id {by_trigger}), the flow 'Gatekeeper' "
        f"(id {by_condition}), the flow 'Draft keeper' (id {by_draft}) and the segment 'VIP or Kazan' "
        f"(id {wrapper['id']}): change their triggers, conditions, goals or exit rules so they no longer refer to it, "
        "then delete it.")
    assert client.delete(f"/api/segments/{wrapper['id']}", headers=admin_headers).status_code == 204, \
        "nobody uses the wrapper"


def test_preview_of_an_unsaved_condition(client: FlaskClient, admin_headers: dict, people: dict,
                                         harness) -> None:  # noqa: ANN001
    """POST /api/segments/preview counts and lists the contacts a condition selects without saving it."""
    harness.track(people["anna"], "order_paid", {"amount": 150})
    harness.track(people["boris"], "order_paid", {"amount": 40})
    big_order = {"event": "order_paid", "where": [{"property": "amount", "op": "gte", "value": 100}], "within": "P14D"}
    answer = client.post("/api/segments/preview", headers=admin_headers, json={"filter": {"any": [big_order, KAZAN]}})
    assert answer.status_code == 200, answer.json
    assert answer.json["total"] == 3
    assert sorted(contact["id"] for contact in answer.json["contacts"]) == sorted(
        [people["anna"], people["boris"], people["dmitri"]])
    twice = {"event": "order_paid", "count": {"op": "gte", "value": 2}}
    assert client.post("/api/segments/preview", headers=admin_headers, json={"filter": twice}).json["total"] == 0
    first = client.post("/api/segments/preview", headers=admin_headers, json={"filter": KAZAN, "limit": 1}).json
    assert (first["total"], len(first["contacts"])) == (2, 1)
    # The page alone, for the segment page to show before the count: not counted unless the page holds them all.
    uncounted = client.post("/api/segments/preview", headers=admin_headers,
                            json={"filter": KAZAN, "limit": 1, "count": False}).json
    assert uncounted == {**first, "total": None}
    whole = client.post("/api/segments/preview", headers=admin_headers, json={"filter": KAZAN, "count": False}).json
    assert (whole["total"], len(whole["contacts"])) == (2, 2)
    created = create(client, admin_headers, name="Kazan", filter=KAZAN)
    for query, total in (("limit=1&count=false", None), ("limit=1", 2), ("count=false", 2)):
        page = client.get(f"/api/segments/{created['id']}/preview?{query}", headers=admin_headers).json
        assert page["total"] == total, query
    assert client.get(f"/api/segments/{created['id']}/preview?count=maybe", headers=admin_headers).status_code == 400
    with harness.session() as session:
        assert [segment.name for segment in session.scalars(select(Segment))] == ["Kazan"], "no preview was saved"


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, ["/filter"]),
        ({"filter": {"property": "city", "op": "is", "value": "x"}}, ["/filter/op"]),
        ({"filter": {"all": [BERLIN, {"event": "order_paid", "count": {"op": "gte", "value": -1}}]}},
         ["/filter/all/1/count/value"]),
        ({"filter": {"event": "order_paid", "where": [{"property": "amount", "op": "gte"}]}}, ["/filter/where/0/value"]),
        ({"filter": {"any": [{"segment": 404}]}}, ["/filter/any/0/segment"]),
        ({"filter": BERLIN, "limit": 1000}, ["/limit"]),
    ],
)
def test_preview_of_an_invalid_condition_is_400_naming_the_pointer(client: FlaskClient, admin_headers: dict,
                                                                   body: dict, pointers: list[str]) -> None:
    response = client.post("/api/segments/preview", headers=admin_headers, json=body)
    assert response.status_code == 400, response.json
    assert sorted(error["pointer"] for error in response.json["errors"]) == pointers
    assert all(error["message"] for error in response.json["errors"])


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/segments/77"), ("put", "/api/segments/77"), ("delete", "/api/segments/77"),
     ("get", "/api/segments/77/preview"), ("get", "/api/segments/99999999999999999999")],
)
def test_unknown_segments_are_404(client: FlaskClient, admin_headers: dict, method: str, path: str) -> None:
    response = getattr(client, method)(path, headers=admin_headers, json={"name": "x"} if method == "put" else None)
    assert response.status_code == 404
    if "/77" in path:
        assert response.json["message"] == "There is no segment with id 77."


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/segments"), ("post", "/api/segments"), ("get", "/api/segments/1"), ("put", "/api/segments/1"),
     ("delete", "/api/segments/1"), ("get", "/api/segments/1/preview"), ("post", "/api/segments/preview")],
)
def test_segments_need_the_admin_token(client: FlaskClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
