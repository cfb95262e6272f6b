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
    assert flow_store.export_flow(session, again.id) == exported


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
