import { describe, expect, it } from "vitest";

import type { FlowStatus, FlowSummary } from "../api";
import { archiveConsequence, deleteConsequence, nextSort, sortFlows } from "./flowList";

function flow(id: number, name: string, status: FlowStatus, entered: number, updated_at: string): FlowSummary {
  return { id, name, description: "", status, live_version: null, node_count: 3, entered, waiting: 0, converted: 0, revenue: 0, updated_at };
}

// As the API lists them: the last edited first.
const FLOWS = [
  flow(1, "Welcome", "draft", 0, "2026-03-04T09:00:00Z"),
  flow(2, "Cart (10)", "archived", 40, "2026-03-03T09:00:00Z"),
  flow(3, "cart (2)", "live", 210, "2026-03-02T09:00:00Z"),
  flow(4, "Win-back", "paused", 40, "2026-03-01T09:00:00Z"),
];

const ids = (flows: FlowSummary[]) => flows.map((item) => item.id);

describe("sorting the list of flows", () => {
  it("sorts names A to Z whatever their case, numbers by value", () => {
    expect(ids(sortFlows(FLOWS, { key: "name", descending: false }, "en"))).toEqual([3, 2, 1, 4]);
  });

  it("puts live flows first, then paused, drafts and archived ones", () => {
    expect(ids(sortFlows(FLOWS, { key: "status", descending: false }))).toEqual([3, 4, 1, 2]);
  });

  it("puts the most entered first, ties in the order they came", () => {
    expect(ids(sortFlows(FLOWS, { key: "entered", descending: true }))).toEqual([3, 2, 4, 1]);
    expect(ids(sortFlows(FLOWS, { key: "entered", descending: false }))).toEqual([1, 2, 4, 3]);
  });

  it("sorts by the last edit and leaves the list it was given as it was", () => {
    expect(ids(sortFlows(FLOWS, { key: "updated", descending: false }))).toEqual([4, 3, 2, 1]);
    expect(ids(FLOWS)).toEqual([1, 2, 3, 4]);
  });

  it("turns the order round when the sorted column is picked again", () => {
    expect(nextSort({ key: "updated", descending: true }, "name")).toEqual({ key: "name", descending: false });
    expect(nextSort({ key: "name", descending: false }, "name")).toEqual({ key: "name", descending: true });
    expect(nextSort({ key: "name", descending: false }, "entered")).toEqual({ key: "entered", descending: true });
  });
});

describe("what archiving and deleting do, said beforehand", () => {
  it("names the runs archiving ends", () => {
    expect(archiveConsequence(210)).toBe("Archiving ends the 210 runs waiting in it; its statistics stay.");
    expect(archiveConsequence(1)).toBe("Archiving ends the 1 run waiting in it; its statistics stay.");
    expect(archiveConsequence(12000, { locale: "de-DE" })).toBe("Archiving ends the 12.000 runs waiting in it; its statistics stay.");
    expect(archiveConsequence(0)).toBe("No one is waiting in it; its statistics stay.");
  });

  it("says deleting is for good, and that contacts who went through the flow stay", () => {
    expect(deleteConsequence(0)).toBe("Deleting removes the flow, its versions, runs and statistics for good.");
    expect(deleteConsequence(5)).toBe(
      "Deleting removes the flow, its versions, runs and statistics for good. Its contacts stay, with the messages they were sent.",
    );
  });
});
