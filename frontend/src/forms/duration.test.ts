import { describe, expect, it } from "vitest";

import { describeDuration, formatDuration, parseDuration } from "./duration";

describe("parseDuration", () => {
  it("reads days, hours and minutes", () => {
    expect(parseDuration("P1DT2H")).toEqual({ days: 1, hours: 2, minutes: 0 });
    expect(parseDuration("PT30M")).toEqual({ days: 0, hours: 0, minutes: 30 });
    expect(parseDuration("P7D")).toEqual({ days: 7, hours: 0, minutes: 0 });
    expect(parseDuration("P2W")).toEqual({ days: 14, hours: 0, minutes: 0 });
  });

  it("returns null for what the picker cannot show", () => {
    for (const text of ["", "P", "PT", "P1M", "PT30S", "1 day", "P1DT"]) expect(parseDuration(text)).toBeNull();
  });
});

describe("formatDuration", () => {
  it("writes the shortest ISO text", () => {
    expect(formatDuration({ days: 1, hours: 2, minutes: 0 })).toBe("P1DT2H");
    expect(formatDuration({ days: 0, hours: 0, minutes: 45 })).toBe("PT45M");
    expect(formatDuration({ days: 0, hours: 0, minutes: 0 })).toBe("");
  });

  it("carries minutes into hours and hours into days", () => {
    expect(formatDuration({ days: 0, hours: 25, minutes: 90 })).toBe("P1DT2H30M");
  });

  it("round-trips every value it writes", () => {
    for (const parts of [{ days: 3, hours: 0, minutes: 5 }, { days: 0, hours: 23, minutes: 59 }, { days: 14, hours: 0, minutes: 0 }]) {
      expect(parseDuration(formatDuration(parts))).toEqual(parts);
    }
  });
});

describe("describeDuration", () => {
  it("says it in words", () => {
    expect(describeDuration("P1DT2H")).toBe("1 day 2 hours");
    expect(describeDuration("PT1M")).toBe("1 minute");
    expect(describeDuration("P1M")).toBe("P1M");
  });
});
