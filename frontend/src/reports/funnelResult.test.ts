import { describe, expect, it } from "vitest";

import { barHeights, breakdownTitle, breakdownValue, cohortSegmentName, cohortTitle, droppedAfter, resultStepName } from "./funnelResult";
import type { FunnelResult } from "./types";

const RESULT: FunnelResult = {
  steps: [
    { index: 1, event: "viewed_product", label: "viewed_product", count: 400, rate_from_first: 1, rate_from_previous: 1, median_seconds_from_previous: null },
    { index: 2, event: "cart_updated", label: "Added to cart", count: 100, rate_from_first: 0.25, rate_from_previous: 0.25, median_seconds_from_previous: 7500 },
    { index: 3, event: "order_paid", label: "order_paid", count: 1, rate_from_first: 0.0025, rate_from_previous: 0.01, median_seconds_from_previous: 60 },
  ],
  breakdown: null,
  from: "2026-02-01T10:00:00+00:00",
  to: "2026-03-02T10:00:00+00:00",
  computed_at: "2026-03-02T10:00:00Z",
};

describe("the bars", () => {
  it("are as tall as their share of the tallest", () => {
    expect(barHeights([400, 100, 0])).toEqual([100, 25, 0]);
  });

  it("keep a sliver for a step a few reached, and none for one nobody did", () => {
    expect(barHeights([400, 1, 0])).toEqual([100, 1, 0]);
    expect(barHeights([1000, 1], 2)).toEqual([100, 2]);
  });

  it("are all empty when nobody entered", () => {
    expect(barHeights([0, 0])).toEqual([0, 0]);
    expect(barHeights([])).toEqual([]);
  });
});

describe("who dropped", () => {
  it("is who reached a step but not the next, and nobody after the last", () => {
    expect(droppedAfter(RESULT.steps, 0)).toBe(300);
    expect(droppedAfter(RESULT.steps, 1)).toBe(99);
    expect(droppedAfter(RESULT.steps, 2)).toBeNull();
  });
});

describe("the words", () => {
  it("name a step by its label, else its event", () => {
    expect(RESULT.steps.map(resultStepName)).toEqual(["viewed_product", "Added to cart", "order_paid"]);
  });

  it("say whose contacts the drawer lists", () => {
    expect(cohortTitle({ step: 2, outcome: "reached" }, RESULT)).toBe("Reached step 2: Added to cart");
    expect(cohortTitle({ step: 1, outcome: "dropped" }, RESULT)).toBe("Dropped after step 1: viewed_product");
  });

  it("suggest a segment name with the funnel, the cohort and the day", () => {
    const options = { locale: "en-US", timeZone: "UTC" };
    expect(cohortSegmentName("Checkout", { step: 2, outcome: "dropped" }, RESULT, options)).toBe("Checkout — Dropped after step 2: Added to cart (Mar 2, 2026)");
    expect(cohortSegmentName(" ", { step: 1, outcome: "reached" }, RESULT, options)).toBe("Funnel — Reached step 1: viewed_product (Mar 2, 2026)");
    expect(cohortSegmentName("x".repeat(300), { step: 1, outcome: "reached" }, RESULT, options)).toHaveLength(200);
  });

  it("read a breakdown value nobody had as (none), and (other) as itself", () => {
    expect(breakdownValue({ value: null })).toBe("(none)");
    expect(breakdownValue({ value: "" })).toBe("(none)");
    expect(breakdownValue({ value: "(other)" })).toBe("(other)");
    expect(breakdownValue({ value: "google" })).toBe("google");
  });
});

describe("the breakdown's heading", () => {
  it("names the UTM tag, the property's path, or the segment", () => {
    expect(breakdownTitle({ by: "utm_campaign" })).toBe("UTM campaign");
    expect(breakdownTitle({ by: "property", property: "address.city" })).toBe("address.city");
    expect(breakdownTitle({ by: "segment", segment_id: 3 })).toBe("Segment");
    expect(breakdownTitle(undefined)).toBe("Value");
  });
});
