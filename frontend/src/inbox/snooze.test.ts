import { describe, expect, it } from "vitest";

import { fromLocalInput, inAnHour, toLocalInput, tomorrowMorning } from "./snooze";

describe("snooze moments", () => {
  const now = new Date(2026, 2, 31, 22, 40); // 31 March, 22:40 local time

  it("snoozes until 9:00 the next day, across a month's end", () => {
    const until = tomorrowMorning(now);
    expect([until.getMonth(), until.getDate(), until.getHours(), until.getMinutes()]).toEqual([3, 1, 9, 0]);
  });

  it("snoozes for an hour", () => {
    expect(inAnHour(now).getTime() - now.getTime()).toBe(3_600_000);
  });

  it("reads and writes the custom moment as a datetime-local input does", () => {
    expect(toLocalInput(now)).toBe("2026-03-31T22:40");
    expect(fromLocalInput("2026-03-31T22:40")?.getTime()).toBe(now.getTime());
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("not a time")).toBeNull();
  });
});
