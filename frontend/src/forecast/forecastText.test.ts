import { describe, expect, it } from "vitest";

import type { Forecast } from "../api";
import { forecastProgress, signed } from "./forecastText";

describe("signed", () => {
  it("shows the difference with its sign, nothing when there is none", () => {
    expect(signed(12)).toBe("+12");
    expect(signed(-3)).toBe("\u22123");
    expect(signed(0)).toBe("");
    expect(signed(undefined)).toBe("");
  });
});

describe("forecastProgress", () => {
  const forecast = (fields: Partial<Forecast>) => ({ events_total: 5000, events_replayed: 1200, error: null, ...fields }) as Forecast;
  it("says where the replay is", () => {
    expect(forecastProgress(forecast({ status: "queued" }))).toBe("Queued, waiting for a worker…");
    expect(forecastProgress(forecast({ status: "running" }))).toMatch(/^Replayed 1.200 of 5.000 events…$/);
    expect(forecastProgress(forecast({ status: "done", events_replayed: 5000 }))).toMatch(/^Done: 5.000 events replayed\.$/);
    expect(forecastProgress(forecast({ status: "failed", error: "The draft is not valid." }))).toBe("The draft is not valid.");
  });
});
