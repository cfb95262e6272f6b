import { describe, expect, it } from "vitest";

import { reconnectDelay } from "./reconnect";

describe("reconnectDelay", () => {
  const middle = () => 0.5;

  it("doubles from a second and stops growing at half a minute", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => reconnectDelay(attempt, middle))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("spreads each wait by a fifth either way", () => {
    expect(reconnectDelay(0, () => 0)).toBe(800);
    expect(reconnectDelay(0, () => 1)).toBe(1200);
  });
});
