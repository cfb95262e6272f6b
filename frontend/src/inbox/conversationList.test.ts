import { describe, expect, it } from "vitest";

import { belongsIn, type ListFilter, mergeConversation, mergeIntoPage } from "./conversationList";
import { conversation } from "./testData";

const ALL_OPEN: ListFilter = { view: "all", status: "open", q: "", me: 7 };
const NOW = new Date("2026-03-02T12:00:00Z");
const ANN = { id: 7, email: "ann@example.com", name: "Ann" };
const BOB = { id: 8, email: "bob@example.com", name: null };

describe("belongsIn", () => {
  it("puts an open conversation in the open list and a closed one out of it", () => {
    expect(belongsIn(conversation(1), ALL_OPEN, NOW)).toBe(true);
    expect(belongsIn(conversation(1, { status: "closed" }), ALL_OPEN, NOW)).toBe(false);
    expect(belongsIn(conversation(1, { status: "closed" }), { ...ALL_OPEN, status: "closed" }, NOW)).toBe(true);
  });

  it("counts a snoozed conversation as open once its snooze has run out", () => {
    const sleeping = conversation(1, { status: "snoozed", snoozed_until: "2026-03-02T13:00:00Z" });
    const awake = conversation(1, { status: "snoozed", snoozed_until: "2026-03-02T11:00:00Z" });
    expect(belongsIn(sleeping, ALL_OPEN, NOW)).toBe(false);
    expect(belongsIn(awake, ALL_OPEN, NOW)).toBe(true);
    expect(belongsIn(sleeping, { ...ALL_OPEN, status: "snoozed" }, NOW)).toBe(true);
  });

  it("keeps assigned conversations out of Unassigned, and others' out of Mine", () => {
    expect(belongsIn(conversation(1, { assignee: ANN }), { ...ALL_OPEN, view: "unassigned" }, NOW)).toBe(false);
    expect(belongsIn(conversation(1), { ...ALL_OPEN, view: "unassigned" }, NOW)).toBe(true);
    expect(belongsIn(conversation(1, { assignee: ANN }), { ...ALL_OPEN, view: "mine" }, NOW)).toBe(true);
    expect(belongsIn(conversation(1, { assignee: BOB }), { ...ALL_OPEN, view: "mine" }, NOW)).toBe(false);
  });

  it("leaves it to the server when searching, or when the user's id is unknown", () => {
    expect(belongsIn(conversation(1), { ...ALL_OPEN, q: "invoice" }, NOW)).toBeNull();
    expect(belongsIn(conversation(1, { assignee: ANN }), { ...ALL_OPEN, view: "mine", me: null }, NOW)).toBeNull();
    // What is known to be out stays out, search or not.
    expect(belongsIn(conversation(1, { status: "closed" }), { ...ALL_OPEN, q: "invoice" }, NOW)).toBe(false);
  });
});

describe("mergeConversation", () => {
  const list = [
    conversation(1, { last_activity_at: "2026-03-02T11:00:00Z" }),
    conversation(2, { last_activity_at: "2026-03-02T10:00:00Z" }),
    conversation(3, { last_activity_at: "2026-03-02T09:00:00Z" }),
  ];
  const ids = (shown: { id: number }[]) => shown.map((item) => item.id);

  it("moves a conversation with news to the top, once", () => {
    const news = conversation(3, { last_activity_at: "2026-03-02T11:30:00Z", unread: 1 });
    const merged = mergeConversation(list, news, true);
    expect(ids(merged)).toEqual([3, 1, 2]);
    expect(merged[0].unread).toBe(1);
  });

  it("adds a new conversation by its latest activity", () => {
    expect(ids(mergeConversation(list, conversation(4, { last_activity_at: "2026-03-02T10:30:00Z" }), true))).toEqual([1, 4, 2, 3]);
    expect(ids(mergeConversation(list, conversation(5, { last_activity_at: "2026-03-01T00:00:00Z" }), true))).toEqual([1, 2, 3, 5]);
  });

  it("keeps a conversation whose state changed without news where it is", () => {
    const assigned = { ...list[1], assignee: ANN };
    const merged = mergeConversation(list, assigned, true);
    expect(ids(merged)).toEqual([1, 2, 3]);
    expect(merged[1].assignee).toEqual(ANN);
  });

  it("takes out a conversation that no longer belongs", () => {
    expect(ids(mergeConversation(list, { ...list[0], status: "closed" }, false))).toEqual([2, 3]);
  });

  it("updates a shown conversation but adds none when only the server can tell", () => {
    expect(mergeConversation(list, conversation(4), null)).toBe(list);
    expect(mergeConversation(list, { ...list[2], unread: 2 }, null)[2].unread).toBe(2);
  });
});

describe("mergeIntoPage", () => {
  const page = { items: [conversation(1), conversation(2)], total: 12 };

  it("follows the rows added and taken out in the total", () => {
    expect(mergeIntoPage(page, conversation(3, { last_activity_at: "2026-03-02T11:00:00Z" }), ALL_OPEN, NOW).total).toBe(13);
    expect(mergeIntoPage(page, conversation(2, { status: "closed" }), ALL_OPEN, NOW).total).toBe(11);
    expect(mergeIntoPage(page, conversation(2, { unread: 3 }), ALL_OPEN, NOW).total).toBe(12);
  });

  it("answers the same page when nothing it shows changed", () => {
    expect(mergeIntoPage(page, conversation(9), { ...ALL_OPEN, q: "x" }, NOW)).toBe(page);
  });
});
