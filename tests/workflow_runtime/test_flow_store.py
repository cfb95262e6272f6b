"""Importing, exporting and publishing flows: whole documents in, canonical documents out."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.document import canonical
from flows.scenarios import all_scenarios
from flows.validation import FlowInvalid
from workflow_runtime.authoring import flow_store
from workflow_runtime.storage.models import Flow, FlowStatus, FlowVersion


@pytest.fixture
def cart_document() -> dict:
    return copy.deepcopy(next(t.document for t in all_scenarios() if t.slug == "abandoned_cart"))


def test_export_of_an_import_is_the_canonical_document(session: Session, cart_document: dict) -> None:
    flow = flow_store.import_flow(session, cart_document)
    session.commit()
    session.expire_all()
    exported = flow_store.export_flow(session, flow.id)
    assert exported == canonical(cart_document)
    again = flow_store.import_flow(session, exported)
    assert flow_store.export_flow(session, again.id) == {**exported, "name": "Abandoned cart (2)"}


def test_a_version_1_document_is_stored_upgraded(session: Session) -> None:
    legacy = {
        "schema_version": 1,
        "name": "Legacy",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"event": "signed_up"}},
            {"id": "end", "type": "exit"},
        ],
        "edges": [{"from": "start", "to": "end"}],
    }
    flow = flow_store.import_flow(session, legacy)
    exported = flow_store.export_flow(session, flow.id)
    assert exported["schema_version"] == 2
    assert exported["edges"] == [{"from": "start", "port": "next", "to": "end"}]


def test_an_invalid_document_is_refused_whole_and_nothing_is_stored(session: Session, cart_document: dict) -> None:
    cart_document["nodes"][1]["config"]["timeout"] = "one hour"
    cart_document["edges"].append({"from": "start", "port": "next", "to": "nowhere"})
    with pytest.raises(FlowInvalid) as refused:
        flow_store.import_flow(session, cart_document)
    assert len(refused.value.errors) >= 2
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Flow)) == 0


def test_publishing_numbers_versions_and_keeps_old_ones(session: Session, cart_document: dict) -> None:
    flow = flow_store.import_flow(session, cart_document)
    first = flow_store.publish_flow(session, flow)
    assert (first.number, flow.status, flow.live_version) == (1, FlowStatus.LIVE, first)

    flow.draft = {**flow.draft, "name": "Abandoned cart, v2"}
    second = flow_store.publish_flow(session, flow)
    session.commit()
    assert second.number == 2
    assert flow.live_version_id == second.id
    assert flow_store.export_flow(session, flow.id, version=1)["name"] == cart_document["name"]
    assert flow_store.export_flow(session, flow.id, version=2)["name"] == "Abandoned cart, v2"


def test_an_invalid_draft_cannot_be_published(session: Session, cart_document: dict) -> None:
    flow = flow_store.import_flow(session, cart_document)
    flow.draft = {**flow.draft, "edges": []}
    with pytest.raises(FlowInvalid):
        flow_store.publish_flow(session, flow)
    assert session.scalar(select(func.count()).select_from(FlowVersion)) == 0


def test_unknown_flows_and_versions_are_named(session: Session, cart_document: dict) -> None:
    with pytest.raises(flow_store.FlowNotFound, match="no flow with id 404"):
        flow_store.export_flow(session, 404)
    flow = flow_store.import_flow(session, cart_document)
    with pytest.raises(flow_store.FlowNotFound, match="has no version 3"):
        flow_store.export_flow(session, flow.id, version=3)


def test_templates_load_once(session: Session) -> None:
    created = flow_store.load_scenarios(session)
    session.commit()
    assert {flow.scenario_slug for flow in created} == {t.slug for t in all_scenarios()}
    assert all(flow.status is FlowStatus.DRAFT for flow in created)
    assert flow_store.load_scenarios(session) == []


def test_a_name_another_flow_has_is_numbered_after_the_first_free_number(session: Session) -> None:
    def stored(name: str) -> str:
        return flow_store.create_flow(session, flow_store.unique_name(session, name)).name

    assert flow_store.unique_name(session, "Cart") == "Cart"
    assert [stored("Cart") for _ in range(3)] == ["Cart", "Cart (2)", "Cart (3)"]
    assert stored("Cart (2)") == "Cart (4)"  # a copy of a copy counts on from the first
    assert flow_store.unique_name(session, "cart") == "cart"  # names differ by case
    assert [stored("Sale (2024)") for _ in range(2)] == ["Sale (2024)", "Sale (2024) (2)"]


def test_numbers_go_on_past_one_query_and_fit_the_name_length(session: Session) -> None:
    for _ in range(60):
        flow_store.create_flow(session, flow_store.unique_name(session, "Welcome"))
    assert flow_store.unique_name(session, "Welcome") == "Welcome (61)"

    longest = "x" * flow_store.NAME_LENGTH
    flow_store.create_flow(session, longest)
    numbered = flow_store.unique_name(session, longest)
    assert numbered == "x" * (flow_store.NAME_LENGTH - 4) + " (2)"
    flow_store.create_flow(session, numbered)
    assert flow_store.unique_name(session, longest) == "x" * (flow_store.NAME_LENGTH - 4) + " (3)"


def test_imports_and_duplicates_get_names_of_their_own(session: Session, cart_document: dict) -> None:
    first = flow_store.import_flow(session, cart_document)
    second = flow_store.import_flow(session, cart_document)
    copy_of_first = flow_store.duplicate_flow(session, first)
    assert [flow.name for flow in (first, second, copy_of_first)] == [
        "Abandoned cart", "Abandoned cart (2)", "Abandoned cart (3)"]
    assert [flow.draft["name"] for flow in (first, second, copy_of_first)] == [
        "Abandoned cart", "Abandoned cart (2)", "Abandoned cart (3)"]
    assert cart_document["name"] == "Abandoned cart"  # the caller's document is left as it was


def test_renaming_changes_the_name_and_description_not_the_map(session: Session, cart_document: dict) -> None:
    flow = flow_store.import_flow(session, cart_document)
    nodes = flow.draft["nodes"]
    flow_store.rename_flow(flow, "Cart rescue")
    assert (flow.name, flow.draft["name"], flow.description) == ("Cart rescue", "Cart rescue", cart_document["description"])
    flow_store.rename_flow(flow, description="Brings shoppers back.")
    assert (flow.name, flow.draft["description"]) == ("Cart rescue", "Brings shoppers back.")
    assert flow.draft["nodes"] == nodes
