import { describe, expect, it } from "vitest";

import type { FlowDiff, WaitingNode } from "../api";
import { changedNodes, type Choices, migrationPlan, rowOutcome } from "./migrationPlan";

function row(fields: Partial<WaitingNode>): WaitingNode {
  return { version: 1, node_id: "wait", node_type: "wait", label: "Wait", change: "removed", waiting: 3, staying: 0,
           action: "choose", chosen: false, to: null, to_label: null, wake: null, ...fields };
}

describe("migrationPlan", () => {
  it("keeps without a map, and moves with one entry per choice, a node called exit included", () => {
    const choices: Choices = new Map([
      ["1:wait", { version: 1, node_id: "wait", destination: { to: "exit" } }],
      ["2:old", { version: 2, node_id: "old", destination: { exit: true } }],
    ]);
    expect(migrationPlan(false, choices)).toEqual({ mode: "keep", map: [] });
    expect(migrationPlan(true, choices)).toEqual({ mode: "move", map: [
      { version: 1, node_id: "wait", to: "exit" }, { version: 2, node_id: "old", exit: true }] });
  });
});

describe("rowOutcome", () => {
  it("says how many go where, and who stays", () => {
    expect(rowOutcome(row({ action: "move", to: "later", to_label: "Later", wake: "kept" }))).toBe("3 contacts → Later");
    expect(rowOutcome(row({ action: "move", to: "later", to_label: "Later", wake: "recomputed", waiting: 1 })))
      .toBe("1 contact → Later, their wait counted again");
    expect(rowOutcome(row({ action: "exit", staying: 2 })))
      .toBe("3 contacts leave the flow (2 more stay: a step away or waiting on a message)");
    expect(rowOutcome(row({ action: "stay" }))).toBe("3 contacts stay on version 1");
    expect(rowOutcome(row({}))).toBe("3 contacts: choose where they go");
  });
});

describe("changedNodes", () => {
  it("leaves out nodes only dragged elsewhere", () => {
    const diff = {
      nodes: {
        added: [{ id: "new", type: "wait", pointer: "/nodes/4" }],
        removed: [{ id: "gone", type: "wait", pointer: "/nodes/2" }],
        changed: [
          { id: "dragged", type: "wait", pointer: "/nodes/1", changes: [{ op: "changed", pointer: "/nodes/1/position/x" }] },
          { id: "edited", type: "wait", pointer: "/nodes/3", changes: [{ op: "changed", pointer: "/nodes/3/config/duration" }] },
        ],
      },
    } as unknown as FlowDiff;
    expect(changedNodes(diff)).toEqual({ added: ["new"], removed: ["gone"], changed: ["edited"] });
  });
});
