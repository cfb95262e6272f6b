import { describe, expect, it } from "vitest";

import { CATALOGUE } from "../test/catalogue";
import { connectionProblem, defaultConfig, type FlowEdge, type FlowNode, outputPorts } from "./graph";

const node = (id: string, type: string, data: Record<string, unknown> = {}): FlowNode => ({ id, type, position: { x: 0, y: 0 }, data });

const nodes: FlowNode[] = [
  node("start", "trigger"),
  node("wait", "wait_for_event"),
  node("check", "condition"),
  node("ab", "split", { variants: [{ id: "plain", weight: 50 }, { id: "button", weight: 50 }] }),
  node("mail", "send_email"),
  node("start2", "trigger"),
  node("pause", "wait"),
];
const edges: FlowEdge[] = [{ id: "e1", source: "start", sourceHandle: "next", target: "wait" }];

describe("connectionProblem", () => {
  it("accepts a free port into an ordinary node", () => {
    expect(connectionProblem({ source: "wait", sourceHandle: "timeout", target: "mail" }, nodes, edges, CATALOGUE)).toBeNull();
    expect(connectionProblem({ source: "check", sourceHandle: "no", target: "mail" }, nodes, edges, CATALOGUE)).toBeNull();
  });

  it("refuses a port that is already used", () => {
    expect(connectionProblem({ source: "start", sourceHandle: "next", target: "mail" }, nodes, edges, CATALOGUE)).toMatch(
      /'next' port is already connected/,
    );
  });

  it("refuses an arrow into a trigger", () => {
    expect(connectionProblem({ source: "mail", sourceHandle: "next", target: "start2" }, nodes, edges, CATALOGUE)).toMatch(/trigger/);
  });

  it("refuses a self-loop, unless the node waits", () => {
    expect(connectionProblem({ source: "mail", sourceHandle: "next", target: "mail" }, nodes, edges, CATALOGUE)).toMatch(/itself/);
    expect(connectionProblem({ source: "pause", sourceHandle: "next", target: "pause" }, nodes, edges, CATALOGUE)).toBeNull();
  });

  it("refuses a port the node does not have", () => {
    expect(connectionProblem({ source: "check", sourceHandle: "maybe", target: "mail" }, nodes, edges, CATALOGUE)).toMatch(/no 'maybe' port/);
  });

  it("takes split ports from the variants in the config", () => {
    expect(connectionProblem({ source: "ab", sourceHandle: "button", target: "mail" }, nodes, edges, CATALOGUE)).toBeNull();
    expect(connectionProblem({ source: "ab", sourceHandle: "a", target: "mail" }, nodes, edges, CATALOGUE)).toMatch(/no 'a' port/);
  });
});

describe("outputPorts", () => {
  it("lists fixed ports and split variants in order", () => {
    expect(outputPorts(CATALOGUE.wait_for_event, {})).toEqual(["event", "timeout"]);
    expect(outputPorts(CATALOGUE.webhook, {})).toEqual(["next", "failed"]);
    expect(outputPorts(CATALOGUE.split, { variants: [{ id: "x" }, { id: "y" }, { id: "z" }] })).toEqual(["x", "y", "z"]);
    expect(outputPorts(CATALOGUE.split, { variants: "broken" })).toEqual([]);
    expect(outputPorts(CATALOGUE.exit, {})).toEqual([]);
  });
});

describe("defaultConfig", () => {
  it("starts a node with its required defaults and choices", () => {
    expect(defaultConfig(CATALOGUE.wait_for_event)).toEqual({ timeout: "PT1H" });
    expect(defaultConfig(CATALOGUE.trigger)).toEqual({ on: "event" });
    expect(defaultConfig(CATALOGUE.wait)).toEqual({ duration: "P1D" });
    expect(defaultConfig(CATALOGUE.split)).toEqual({ variants: [{ id: "a", label: "A", weight: 50 }, { id: "b", label: "B", weight: 50 }] });
  });
});
