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
    assert [s["name"] for s in listed] == ["All Kazan", "Berliners"]
    assert "count" not in listed[0]


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
        harness.runtime.jobs.refresh_all_segments(session)
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
    harness.publish(segment_flow(used["id"]))
    refused = client.delete(f"/api/segments/{used['id']}", headers=admin_headers)
    assert refused.status_code == 409
    assert "Welcome VIPs" in refused.json["message"]
    with harness.session() as session:
        assert session.get(Segment, used["id"]) is not None


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
     ("delete", "/api/segments/1"), ("get", "/api/segments/1/preview")],
)
def test_segments_need_the_admin_token(client: FlaskClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
