import { describe, expect, it } from "vitest";

import { message } from "./testData";
import { agoText, contactName, durationText, forwardText, lastItemText, messageSender } from "./wording";

const UTC = { locale: "en-GB", timeZone: "UTC" };

describe("contactName", () => {
  it("says the name, else the email, else the visitor's number", () => {
    expect(contactName({ id: 5, name: "Eve", email: "eve@example.com" })).toBe("Eve");
    expect(contactName({ id: 5, name: null, email: "eve@example.com" })).toBe("eve@example.com");
    expect(contactName({ id: 5, name: "", email: null })).toBe("Visitor #5");
  });
});

describe("lastItemText", () => {
  it("marks notes and what the site sent, not the contact's words", () => {
    expect(lastItemText({ kind: "reply", body: "Is it in stock?", at: "2026-03-02T10:00:00Z" })).toBe("Is it in stock?");
    expect(lastItemText({ kind: "note", body: "VIP", at: "2026-03-02T10:00:00Z" })).toBe("Note: VIP");
    expect(lastItemText({ kind: "message", body: null, at: "2026-03-02T10:00:00Z" })).toBe("Sent: (no text)");
    expect(lastItemText(null)).toBe("No messages yet");
  });
});

describe("forwardText", () => {
  it("says what became of an operator message's email copy", () => {
    expect(forwardText({ state: "scheduled", at: "2026-03-02T12:10:00Z", reason: null }, UTC)).toBe("Will be emailed at 12:10 if unread");
    expect(forwardText({ state: "sent", at: "2026-03-02T12:05:00Z", reason: null }, UTC)).toBe("Emailed at 12:05");
    expect(forwardText({ state: "withdrawn", at: "2026-03-02T12:06:00Z", reason: null }, UTC)).toBe("Read on the site, not emailed");
    expect(forwardText({ state: "withdrawn", at: "2026-03-02T12:06:00Z", reason: "unsubscribed" }, UTC)).toBe("Not emailed: unsubscribed");
    expect(forwardText({ state: "failed", at: "2026-03-02T12:10:00Z", reason: "mailbox full" }, UTC)).toBe("Could not be emailed: mailbox full");
    expect(forwardText(null, UTC)).toBeNull();
  });
});

describe("messageSender", () => {
  it("names the operator, else the sender name, else the flow", () => {
    expect(messageSender(message(1, "2026-03-02T10:00:00Z", { operator: { id: 1, email: "ann@example.com", name: null } }))).toBe("ann@example.com");
    expect(messageSender(message(1, "2026-03-02T10:00:00Z", { sender_name: undefined, flow: { id: 3, name: "Abandoned cart", node_id: "chat" } }))).toBe(
      "Abandoned cart",
    );
  });
});

describe("durationText", () => {
  it("says a wait in its two largest units", () => {
    expect(durationText(45.4)).toBe("45 s");
    expect(durationText(12 * 60 + 5)).toBe("12 min");
    expect(durationText(80 * 60)).toBe("1 h 20 min");
    expect(durationText(3600)).toBe("1 h");
    expect(durationText(2 * 86400 + 3 * 3600 + 59)).toBe("2 d 3 h");
    expect(durationText(86400 + 60)).toBe("1 d");
    expect(durationText(null)).toBe("—");
  });
});

describe("agoText", () => {
  const now = new Date("2026-03-02T12:00:00Z");

  it("says how long ago, and 'now' for a moment just ahead of the clock", () => {
    expect(agoText("2026-03-02T11:55:00Z", now, { locale: "en" })).toBe("5 min. ago");
    expect(agoText("2026-03-02T12:00:02Z", now, { locale: "en" })).toBe("now");
  });
});
