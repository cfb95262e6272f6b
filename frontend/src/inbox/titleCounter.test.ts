import { describe, expect, it } from "vitest";

import { titleWithUnread } from "./titleCounter";

describe("titleWithUnread", () => {
  it("puts the count of unread conversations in front", () => {
    expect(titleWithUnread("automap", 3)).toBe("(3) automap");
  });

  it("replaces the counter it put there before, and takes it away at zero", () => {
    expect(titleWithUnread("(3) automap", 4)).toBe("(4) automap");
    expect(titleWithUnread("(4) automap", 0)).toBe("automap");
    expect(titleWithUnread("automap", 0)).toBe("automap");
  });

  it("caps the number shown", () => {
    expect(titleWithUnread("automap", 250)).toBe("(99+) automap");
    expect(titleWithUnread("(99+) automap", 2)).toBe("(2) automap");
  });
});
