import { describe, expect, it } from "vitest";

import type { ListedContact } from "../api";
import { cellText, columnInfo, DEFAULT_VIEW, nextSort, pageLabel, parseColumns, readView, typedColumn, writeView } from "./columns";

const CONTACT: ListedContact = {
  id: 7,
  name: "Anna",
  email: "anna@example.com",
  user_id: null,
  tags: ["vip", "newsletter"],
  properties: { plan: "pro", address: { city: "Berlin" }, revenue: 99, trial: true, cart: { items: 2 } },
  first_seen_at: "2026-03-01T10:00:00Z",
  last_seen_at: "2026-03-02T10:00:00Z",
  first_touch: { utm_source: "newsletter", utm_medium: null, utm_campaign: "spring" },
  lifetime: { revenue: 1234.5, orders: 3, first_order_at: "2026-03-01T11:00:00Z", last_order_at: "2026-03-02T09:00:00Z" },
};

describe("the contact list's columns", () => {
  it("knows the named columns and any property path, and which sort", () => {
    expect(columnInfo("last_seen_at")).toMatchObject({ label: "Last seen", sortable: true });
    expect(columnInfo("source")?.sortable).toBe(false);
    expect(columnInfo("revenue")).toEqual({ key: "revenue", label: "Lifetime revenue", sortable: false });
    expect(columnInfo("properties.address.city")).toEqual({ key: "properties.address.city", label: "address.city", sortable: true });
    expect(columnInfo("properties.a b")).toBeNull();
    expect(columnInfo("properties.a..b")).toBeNull();
    expect(columnInfo("colour")).toBeNull();
  });

  it("reads what was typed in the picker as a named column or a property", () => {
    expect(typedColumn("City")).toBe("city");
    expect(typedColumn(" plan ")).toBe("properties.plan");
    expect(typedColumn("properties.address.zip")).toBe("properties.address.zip");
    expect(typedColumn("two words")).toBeNull();
    expect(typedColumn(".hidden")).toBeNull();
  });

  it("keeps the known columns of a list, each once", () => {
    expect(parseColumns("name,colour,properties.plan,name,,email")).toEqual(["name", "properties.plan", "email"]);
    expect(parseColumns(null)).toEqual([]);
  });

  it("shows each cell as text", () => {
    const cells = ["name", "city", "revenue", "tags", "source", "properties.plan", "properties.trial", "properties.cart", "properties.nothing", "user_id"].map(
      (key) => cellText(CONTACT, key, { locale: "en-US" }),
    );
    expect(cells).toEqual(["Anna", "Berlin", "1,234.50", "vip, newsletter", "newsletter / spring", "pro", "yes", '{"items":2}', "", ""]);
    expect(cellText({ ...CONTACT, first_touch: null }, "source")).toBe("");
    expect(cellText(CONTACT, "properties.revenue", { locale: "en-US" }), "a property named revenue stays the property").toBe("99");
    expect(cellText(CONTACT, "last_seen_at", { locale: "en-US", timeZone: "UTC" })).toBe("Mar 2, 2026, 10:00 AM");
  });
});

describe("the contact list's view", () => {
  it("sorts by a picked column in its first direction, then the other way round", () => {
    expect(nextSort("-last_seen_at", "name")).toBe("name");
    expect(nextSort("name", "name")).toBe("-name");
    expect(nextSort("-name", "name")).toBe("name");
    expect(nextSort("name", "first_seen_at")).toBe("-first_seen_at");
    expect(nextSort("name", "properties.plan")).toBe("properties.plan");
  });

  it("takes the URL's view first, then the stored one, part by part, then the default", () => {
    const stored = JSON.stringify({ columns: ["name", "properties.plan"], sort: "-properties.plan", size: 100 });
    expect(readView(new URLSearchParams("columns=email,city&sort=name"), stored)).toEqual({ columns: ["email", "city"], sort: "name", size: 100 });
    expect(readView(new URLSearchParams(""), stored)).toEqual({ columns: ["name", "properties.plan"], sort: "-properties.plan", size: 100 });
    expect(readView(new URLSearchParams("sort=tags&size=7&columns=colour"), "{broken")).toEqual(DEFAULT_VIEW);
    const revenueSorted = JSON.stringify({ sort: "-revenue" }); // kept by a canvas from before the lifetime revenue
    expect(readView(new URLSearchParams("sort=revenue"), revenueSorted).sort).toBe(DEFAULT_VIEW.sort);
  });

  it("writes the view into the URL, keeping its other parameters", () => {
    const written = writeView(new URLSearchParams("segment=3"), { columns: ["name", "properties.plan"], sort: "-properties.plan", size: 25 });
    expect(written.toString()).toBe("segment=3&columns=name%2Cproperties.plan&sort=-properties.plan&size=25");
  });

  it("says where a page is in the list", () => {
    expect(pageLabel(0, 50, 12345, { locale: "en-US" })).toBe("1–50 of 12,345");
    expect(pageLabel(12300, 45, 12345, { locale: "en-US" })).toBe("12,301–12,345 of 12,345");
    expect(pageLabel(0, 0, 0, { locale: "en-US" })).toBe("0 of 0");
  });
});
