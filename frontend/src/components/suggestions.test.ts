import { describe, expect, it } from "vitest";

import { eventHint, propertyHint, SessionCache, sourceKey } from "./suggestions";

describe("suggestions", () => {
  it("shares a load between equal sources, not between different ones", () => {
    expect(sourceKey({ kind: "events" })).toBe("events");
    expect(sourceKey({ kind: "properties", scope: "event", event: "order_paid" })).toBe("properties:event:order_paid");
    expect(sourceKey({ kind: "properties", scope: "event" })).not.toBe(sourceKey({ kind: "properties", scope: "contact" }));
  });

  it("loads each key once a session, and again after a failure", async () => {
    const cache = new SessionCache<string[]>();
    let loads = 0;
    const load = async () => {
      loads += 1;
      if (loads === 1) throw new Error("offline");
      return [`load ${loads}`];
    };
    await expect(cache.get("events", load)).rejects.toThrow("offline");
    expect(await cache.get("events", load)).toEqual(["load 2"]);
    expect(await cache.get("events", load)).toEqual(["load 2"]);
    expect(loads).toBe(2);
    cache.clear();
    expect(await cache.get("events", load)).toEqual(["load 3"]);
  });

  it("hints how often an event was seen and a property's values", () => {
    expect(eventHint({ name: "order_paid", count: 12345 }, { locale: "en-US" })).toBe("12,345 seen");
    expect(propertyHint({ path: "plan", count: 3, examples: ["pro", 1500, true] }, { locale: "en-US" })).toBe("e.g. pro, 1,500, yes");
    expect(propertyHint({ path: "cart.items", count: 1, examples: [] })).toBe("");
  });
});
