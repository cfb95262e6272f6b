import { describe, expect, it } from "vitest";

import { formatDate, formatDateTime, formatNumber, formatPercent, formatRelative, formatScalar, valueRows } from "./localeFormat";

const BERLIN = { locale: "de-DE", timeZone: "Europe/Berlin" };
const LONDON = { locale: "en-GB", timeZone: "Europe/London" };

describe("dates and times", () => {
  it("writes a moment in the reader's time zone and locale", () => {
    expect(formatDateTime("2026-03-02T10:00:00+00:00", BERLIN)).toBe("02.03.2026, 11:00");
    expect(formatDateTime("2026-03-02T10:00:00Z", LONDON)).toBe("2 Mar 2026, 10:00");
  });

  it("writes a moment's day where the reader is, and a bare date as that day everywhere", () => {
    expect(formatDate("2026-03-01T23:30:00Z", BERLIN)).toBe("02.03.2026");
    expect(formatDate("2026-03-01", { locale: "en-GB", timeZone: "America/Los_Angeles" })).toBe("1 Mar 2026");
  });

  it("says how far a moment is from now in the largest unit that fits", () => {
    const now = new Date("2026-03-02T10:00:00Z");
    expect(formatRelative("2026-03-02T12:00:00Z", now, { locale: "en-US" })).toBe("in 2 hr.");
    expect(formatRelative("2026-02-27T10:00:00Z", now, { locale: "en-US" })).toBe("3 days ago");
    expect(formatRelative("2026-03-02T10:20:00Z", now, { locale: "en-US" })).toBe("in 20 min.");
    expect(formatRelative("2026-03-02T10:00:00Z", now, { locale: "en-US" })).toBe("now");
    expect(formatRelative("2026-03-02T12:00:00Z", now, { locale: "de-DE" })).toBe("in 2 Std.");
  });
});

describe("numbers", () => {
  it("groups digits and marks decimals as the locale does", () => {
    expect(formatNumber(1234567.5, { locale: "de-DE" })).toBe("1.234.567,5");
    expect(formatNumber(1234567.5, { locale: "en-US", maximumFractionDigits: 0 })).toBe("1,234,568");
    expect(formatNumber(null, { locale: "en-US" })).toBe("0");
  });

  it("writes a rate as a percentage, with a decimal only below 10%", () => {
    expect(formatPercent(0.125, { locale: "en-US" })).toBe("13%");
    expect(formatPercent(0.0125, { locale: "en-US" })).toBe("1.3%");
    expect(formatPercent(0, { locale: "en-US" })).toBe("0%");
  });
});

describe("stored values", () => {
  it("writes dates as dates, numbers grouped, booleans as words and nothing as a dash", () => {
    expect(formatScalar("2026-03-02T10:00:00Z", BERLIN)).toBe("02.03.2026, 11:00");
    expect(formatScalar("2026-03-02", BERLIN)).toBe("02.03.2026");
    expect(formatScalar(12000.25, BERLIN)).toBe("12.000,25");
    expect(formatScalar(true)).toBe("yes");
    expect(formatScalar(null)).toBe("—");
    expect(formatScalar("")).toBe("—");
    expect(formatScalar("2026 was a good year")).toBe("2026 was a good year");
  });

  it("turns properties into key/value rows: nested objects indented, plain lists joined, object lists numbered", () => {
    const rows = valueRows(
      {
        plan: "pro",
        tags: ["vip", "early"],
        address: { city: "Berlin", geo: { lat: 52.5 } },
        orders: [{ total: 1200 }, "cancelled"],
        notes: [],
        extra: {},
        signed_up_at: "2026-03-02T10:00:00Z",
      },
      BERLIN,
    );
    expect(rows).toEqual([
      { key: "plan", depth: 0, text: "pro" },
      { key: "tags", depth: 0, text: "vip, early" },
      { key: "address", depth: 0, text: null },
      { key: "city", depth: 1, text: "Berlin" },
      { key: "geo", depth: 1, text: null },
      { key: "lat", depth: 2, text: "52,5" },
      { key: "orders", depth: 0, text: null },
      { key: "1", depth: 1, text: null },
      { key: "total", depth: 2, text: "1.200" },
      { key: "2", depth: 1, text: "cancelled" },
      { key: "notes", depth: 0, text: "—" },
      { key: "extra", depth: 0, text: "—" },
      { key: "signed_up_at", depth: 0, text: "02.03.2026, 11:00" },
    ]);
  });
});
