import { describe, expect, it } from "vitest";

import { itemKey, withItem } from "./thread";
import { message, note, reply } from "./testData";

describe("withItem", () => {
  const thread = [message(1, "2026-03-02T10:00:00Z"), reply(1, "2026-03-02T10:05:00Z")];

  it("appends a new item at the end", () => {
    const added = withItem(thread, note(2, "2026-03-02T10:06:00Z"));
    expect(added.map(itemKey)).toEqual(["message:1", "reply:1", "note:2"]);
  });

  it("shows an item once when the stream repeats what the tab already added", () => {
    const sent = message(2, "2026-03-02T10:07:00Z", { operator: { id: 1, email: "ann@example.com", name: "Ann" } });
    const once = withItem(withItem(thread, sent), sent);
    expect(once.map(itemKey)).toEqual(["message:1", "reply:1", "message:2"]);
  });

  it("tells apart items of different kinds with the same id", () => {
    expect(withItem(thread, note(1, "2026-03-02T10:08:00Z")).map(itemKey)).toEqual(["message:1", "reply:1", "note:1"]);
  });

  it("replaces an item that changed where it stands", () => {
    const emailed = message(1, "2026-03-02T10:00:00Z", { forward: { state: "sent", at: "2026-03-02T10:05:00Z", reason: null } });
    const updated = withItem(thread, emailed);
    expect(updated.map(itemKey)).toEqual(["message:1", "reply:1"]);
    expect(updated[0]).toBe(emailed);
  });

  it("puts an item that arrives late in its place by time", () => {
    expect(withItem(thread, reply(2, "2026-03-02T10:01:00Z")).map(itemKey)).toEqual(["message:1", "reply:2", "reply:1"]);
  });
});
