import { describe, expect, it } from "vitest";

import type { FlowDocument } from "../api";
import { NODE_TYPES } from "../test/catalogue";
import { createEditorStore } from "./store";

const DOCUMENT: FlowDocument = {
  schema_version: 2,
  name: "Abandoned cart",
  description: "Reminds shoppers",
  settings: { goal: { event: "order_paid", within: "P7D" }, reentry: { mode: "after_exit" } },
  nodes: [
    { id: "cart", type: "trigger", label: "Cart updated", position: { x: 0, y: 120 }, config: { on: "event", event: "cart_updated", where: [{ property: "total", op: "gt", value: 0 }] } },
    { id: "paid", type: "wait_for_event", position: { x: 300, y: 120 }, config: { event: "order_paid", timeout: "PT1H" } },
    { id: "ab", type: "split", position: { x: 600, y: 120 }, config: { variants: [{ id: "a", weight: 50 }, { id: "b", weight: 50 }] } },
    { id: "done", type: "exit", position: { x: 900, y: 0 }, config: {} },
  ],
  edges: [
    { from: "cart", port: "next", to: "paid" },
    { from: "paid", port: "event", to: "done" },
    { from: "paid", port: "timeout", to: "ab" },
    { from: "ab", port: "b", to: "done" },
  ],
};

function storeWith(document: FlowDocument) {
  const store = createEditorStore();
  store.getState().setCatalogue({ node_types: NODE_TYPES, schemas: {} });
  store.getState().loadDocument(structuredClone(document));
  return store;
}

describe("document ↔ canvas", () => {
  it("round-trips the document unchanged", () => {
    expect(storeWith(DOCUMENT).getState().document()).toEqual(DOCUMENT);
  });

  it("keeps exactly the config in node.data and the port in sourceHandle", () => {
    const state = storeWith(DOCUMENT).getState();
    expect(state.nodes.map((node) => node.data)).toEqual(DOCUMENT.nodes.map((node) => node.config));
    expect(state.edges.map((edge) => [edge.source, edge.sourceHandle, edge.target])).toEqual(
      DOCUMENT.edges.map((edge) => [edge.from, edge.port, edge.to]),
    );
    expect(state.labels).toEqual({ cart: "Cart updated" });
  });
});

describe("editing", () => {
  it("adds a node with a fresh id and connects a free port", () => {
    const store = storeWith(DOCUMENT);
    const id = store.getState().addNode("send_email", { x: 5001, y: 2 });
    expect(id).toBe("send_email");
    expect(store.getState().connect({ source: "ab", sourceHandle: "a", target: id!, targetHandle: null })).toBe(true);
    const document = store.getState().document();
    expect(document.edges).toContainEqual({ from: "ab", port: "a", to: "send_email" });
    expect(document.nodes.at(-1)).toEqual({ id: "send_email", type: "send_email", label: "Send email", position: { x: 5001, y: 2 }, config: {} });
  });

  it("never drops a node onto another: it lands just below the cards in the way", () => {
    const store = storeWith(DOCUMENT);
    const [first] = store.getState().nodes;
    const id = store.getState().addNode("send_email", first.position);
    const dropped = store.getState().nodes.find((node) => node.id === id)!;
    expect(dropped.position.x).toBe(first.position.x);
    for (const other of store.getState().nodes.filter((node) => node.id !== id)) {
      const apart = Math.abs(other.position.x - dropped.position.x) >= 256 || Math.abs(other.position.y - dropped.position.y) >= 126;
      expect(apart).toBe(true);
    }
  });

  it("refuses a connection the graph cannot take and says why", () => {
    const store = storeWith(DOCUMENT);
    expect(store.getState().connect({ source: "paid", sourceHandle: "event", target: "ab", targetHandle: null })).toBe(false);
    expect(store.getState().notice).toMatch(/already connected/);
    expect(store.getState().document().edges).toEqual(DOCUMENT.edges);
  });

  it("drops the arrows of split variants that were removed", () => {
    const store = storeWith(DOCUMENT);
    store.getState().updateConfig("ab", { variants: [{ id: "a", weight: 50 }, { id: "c", weight: 50 }] });
    expect(store.getState().document().edges).not.toContainEqual({ from: "ab", port: "b", to: "done" });
  });

  it("undoes and redoes edits, a deletion included", () => {
    const store = storeWith(DOCUMENT);
    store.getState().selectNode("ab");
    store.getState().deleteSelection();
    expect(store.getState().document().nodes.map((node) => node.id)).toEqual(["cart", "paid", "done"]);
    expect(store.getState().document().edges).toHaveLength(2);
    store.getState().undo();
    expect(store.getState().document()).toEqual(DOCUMENT);
    store.getState().redo();
    expect(store.getState().document().nodes).toHaveLength(3);
  });

  it("makes one undo step of quick edits to the same field", () => {
    const store = storeWith(DOCUMENT);
    store.getState().updateConfig("paid", { event: "order_paid", timeout: "PT2H" });
    store.getState().updateConfig("paid", { event: "order_paid", timeout: "PT3H" });
    store.getState().undo();
    expect(store.getState().document()).toEqual(DOCUMENT);
  });

  it("lays the graph out left to right", () => {
    const store = storeWith(DOCUMENT);
    store.getState().autoLayout();
    const x = Object.fromEntries(store.getState().nodes.map((node) => [node.id, node.position.x]));
    expect(x.cart).toBeLessThan(x.paid);
    expect(x.paid).toBeLessThan(x.ab);
    expect(x.ab).toBeLessThan(x.done);
  });
});
