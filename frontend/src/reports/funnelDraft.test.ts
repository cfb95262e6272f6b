import { describe, expect, it } from "vitest";

import type { FlowError } from "../api";
import {
  addStep,
  blankDraft,
  dayMoment,
  definitionOf,
  draftOf,
  draftProblems,
  type FunnelDraft,
  MAX_STEPS,
  momentDay,
  moveStep,
  problemsOf,
  problemsUnder,
  removeStep,
  stepName,
  unplacedProblems,
} from "./funnelDraft";

function draft(fields: Partial<FunnelDraft> = {}): FunnelDraft {
  return { ...blankDraft(), steps: [{ event: "viewed_product" }, { event: "cart_updated" }, { event: "order_paid" }], ...fields };
}

function apiError(pointer: string, message: string): FlowError {
  return { code: "invalid", node_id: null, pointer, message };
}

describe("editing the steps", () => {
  it("adds blank steps up to the most a funnel has", () => {
    let steps = blankDraft().steps;
    expect(steps).toEqual([{ event: "" }, { event: "" }]);
    for (let round = 0; round < 10; round += 1) steps = addStep(steps);
    expect(steps).toHaveLength(MAX_STEPS);
  });

  it("moves a step up or down, as far as the ends allow", () => {
    const steps = draft().steps;
    expect(moveStep(steps, 2, -1).map((step) => step.event)).toEqual(["viewed_product", "order_paid", "cart_updated"]);
    expect(moveStep(steps, 0, 1).map((step) => step.event)).toEqual(["cart_updated", "viewed_product", "order_paid"]);
    expect(moveStep(steps, 0, -1)).toBe(steps);
    expect(moveStep(steps, 2, 1)).toBe(steps);
  });

  it("removes the step asked for", () => {
    expect(removeStep(draft().steps, 1).map((step) => step.event)).toEqual(["viewed_product", "order_paid"]);
  });

  it("names a step by its label, else its event, else its place", () => {
    expect(stepName({ event: "order_paid", label: " Paid " }, 2)).toBe("Paid");
    expect(stepName({ event: "order_paid", label: null }, 2)).toBe("order_paid");
    expect(stepName({ event: " " }, 2)).toBe("Step 3");
  });
});

describe("the definition sent to the API", () => {
  it("leaves out blank labels and empty rules, and says the order by name", () => {
    const built = definitionOf(
      draft({
        steps: [
          { event: " viewed_product ", label: "  ", where: [] },
          { event: "order_paid", label: "Paid", where: [{ property: "amount", op: "gt", value: 0 }] },
        ],
        window: "P1DT2H",
        strict: true,
      }),
    );
    expect(built).toEqual({
      steps: [{ event: "viewed_product" }, { event: "order_paid", label: "Paid", where: [{ property: "amount", op: "gt", value: 0 }] }],
      window: "P1DT2H",
      order: "strict",
    });
  });

  it("falls back to the default window and sends no dates when none are chosen", () => {
    const built = definitionOf(draft({ window: "" }));
    expect(built.window).toBe("P7D");
    expect(built.order).toBe("sequence");
    expect(built).not.toHaveProperty("from");
    expect(built).not.toHaveProperty("to");
  });

  it("sends the chosen days as the first and last moment of those days where the reader is", () => {
    const built = definitionOf(draft({ from: "2026-03-01", to: "2026-03-31" }));
    expect(built.from).toBe(new Date(2026, 2, 1).toISOString());
    expect(built.to).toBe(new Date(2026, 2, 31, 23, 59, 59, 999).toISOString());
    expect(momentDay(built.from!)).toBe("2026-03-01");
    expect(momentDay(dayMoment("2026-03-31", true))).toBe("2026-03-31");
  });

  it("sends only the breakdown input that was chosen", () => {
    const kept = { property: "plan", segmentId: 4 };
    expect(definitionOf(draft({ breakdown: { by: "utm_source", ...kept } })).breakdown).toEqual({ by: "utm_source" });
    expect(definitionOf(draft({ breakdown: { by: "property", ...kept, property: " plan " } })).breakdown).toEqual({ by: "property", property: "plan" });
    expect(definitionOf(draft({ breakdown: { by: "segment", ...kept } })).breakdown).toEqual({ by: "segment", segment_id: 4 });
    expect(definitionOf(draft({ breakdown: { by: "", ...kept } }))).not.toHaveProperty("breakdown");
  });

  it("comes back as the same draft when a saved funnel is opened", () => {
    const edited = draft({
      steps: [{ event: "signed_up", label: "Signed up" }, { event: "order_paid", where: [{ property: "amount", op: "gt", value: 10 }] }],
      window: "PT12H",
      strict: true,
      from: "2026-02-01",
      to: "2026-02-28",
      breakdown: { by: "segment", property: "", segmentId: 9 },
    });
    expect(draftOf(definitionOf(edited))).toEqual(edited);
    expect(definitionOf(draftOf(definitionOf(edited)))).toEqual(definitionOf(edited));
  });
});

describe("what keeps a draft from being computed", () => {
  it("finds nothing wrong with a complete funnel", () => {
    expect(draftProblems(draft())).toEqual({});
  });

  it("names each step without an event, and each event rule without a property, by pointer", () => {
    const problems = draftProblems(
      draft({ steps: [{ event: "viewed_product" }, { event: " ", where: [{ property: "amount", op: "gt", value: 1 }, { property: "", op: "eq", value: "x" }] }] }),
    );
    expect(problems).toEqual({
      "/steps/1/event": "Step 2 needs an event, e.g. order_paid.",
      "/steps/1/where/1/property": "Name the event property the rule is about.",
    });
    expect(problemsUnder(problems, "/steps/1")).toHaveLength(2);
    expect(problemsUnder(problems, "/steps/0")).toEqual([]);
  });

  it("wants two steps at least", () => {
    expect(draftProblems(draft({ steps: [{ event: "order_paid" }] }))["/steps"]).toBe("A funnel needs at least 2 steps.");
  });

  it("wants the days in order and the breakdown's property or segment", () => {
    expect(draftProblems(draft({ from: "2026-03-02", to: "2026-03-01" }))).toHaveProperty("/to");
    expect(draftProblems(draft({ from: "2026-03-01", to: "2026-03-01" }))).toEqual({});
    expect(draftProblems(draft({ breakdown: { by: "property", property: " ", segmentId: null } }))).toHaveProperty("/breakdown/property");
    expect(draftProblems(draft({ breakdown: { by: "segment", property: "", segmentId: null } }))).toHaveProperty("/breakdown/segment_id");
  });
});

describe("the server's objections", () => {
  it("are placed by pointer, those inside a request's definition at the definition's own", () => {
    const problems = problemsOf([apiError("/definition/steps/1/event", "Unknown event."), apiError("/name", "Taken.")], "/definition");
    expect(problems).toEqual({ "/steps/1/event": "Unknown event.", "/name": "Taken." });
  });

  it("joins two messages at one pointer", () => {
    expect(problemsOf([apiError("/window", "Too long."), apiError("/window", "Use days.")])).toEqual({ "/window": "Too long. Use days." });
  });

  it("shows above the builder those it has no place for", () => {
    expect(unplacedProblems({ "/steps/0/event": "a", "/order": "b", "": "c", "/breakdown/by": "d" })).toEqual(["b", "c"]);
  });
});
