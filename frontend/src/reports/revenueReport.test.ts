import { describe, expect, it } from "vitest";

import {
  chartRows,
  chartSeries,
  countTitle,
  DEFAULT_FILTER,
  formatRevenue,
  groupTitle,
  hasRevenue,
  periodLabel,
  readFilter,
  shareOf,
  writeFilter,
} from "./revenueReport";
import type { RevenueReport } from "./types";

const point = (period: string, revenue: number, count = revenue ? 1 : 0) => ({ period, revenue, count });

/** The API test's shop (tests/builder_api/test_revenue_api.py): google's two orders, an untagged one, over two days. */
const REPORT: RevenueReport = {
  from: "2026-03-02",
  to: "2026-03-03",
  by: "source",
  interval: "day",
  periods: ["2026-03-02", "2026-03-03"],
  revenue_events: [{ event: "order_paid", amount_property: "amount" }],
  total: { revenue: 62.5, count: 3, contacts: 3, points: [point("2026-03-02", 42.5, 2), point("2026-03-03", 20)] },
  groups: [
    { key: "google", label: "google", revenue: 50, count: 2, contacts: 2, points: [point("2026-03-02", 30), point("2026-03-03", 20)] },
    { key: "(none)", label: "(none)", revenue: 12.5, count: 1, contacts: 1, points: [point("2026-03-02", 12.5), point("2026-03-03", 0)] },
  ],
  counts: "orders",
  additive: true,
  note: null,
};

describe("the revenue report's filter", () => {
  it("is read from the URL part by part, a wrong part being the default", () => {
    expect(readFilter(new URLSearchParams("from=2026-03-02&to=2026-03-03&by=flow&interval=week"))).toEqual({
      from: "2026-03-02",
      to: "2026-03-03",
      by: "flow",
      interval: "week",
    });
    expect(readFilter(new URLSearchParams("from=yesterday&by=colour&interval=year"))).toEqual(DEFAULT_FILTER);
    expect(readFilter(new URLSearchParams(""))).toEqual(DEFAULT_FILTER);
  });

  it("is written into the URL without its defaults, keeping the other parameters", () => {
    const written = writeFilter(new URLSearchParams("by=flow&x=1"), { ...DEFAULT_FILTER, from: "2026-03-02", interval: "month" });
    expect(written.toString()).toBe("x=1&from=2026-03-02&interval=month");
    expect(readFilter(written)).toEqual({ ...DEFAULT_FILTER, from: "2026-03-02", interval: "month" });
  });
});

describe("the revenue chart", () => {
  it("has a row per period with each group's revenue and the total", () => {
    expect(chartRows(REPORT)).toEqual([
      { period: "2026-03-02", total: 42.5, g0: 30, g1: 12.5 },
      { period: "2026-03-03", total: 20, g0: 20, g1: 0 },
    ]);
  });

  it("reads a group's points by period, a missing one as nothing", () => {
    const sparse = { ...REPORT, groups: [{ ...REPORT.groups[0], points: [point("2026-03-03", 20)] }] };
    expect(chartRows(sparse).map((row) => row.g0)).toEqual([0, 20]);
  });

  it("keys each group's bars by position, greys (none) and (other) but not a flow that is so named", () => {
    const dotted = { ...REPORT, groups: [{ ...REPORT.groups[0], key: "news.example", label: "news.example" }, REPORT.groups[1]] };
    const series = chartSeries(dotted);
    expect(series.map((one) => [one.dataKey, one.key])).toEqual([["g0", "news.example"], ["g1", "(none)"]]);
    expect(series[1].color).toBe("#cbd5e1");
    expect(new Set(chartSeries({ ...REPORT, by: "flow" }).map((one) => one.color)).has("#cbd5e1")).toBe(false);
  });

  it("names the periods by their first day", () => {
    const locale = { locale: "en-US" };
    expect(periodLabel("2026-03-02", "day", false, locale)).toBe("Mar 2");
    expect(periodLabel("2026-03-02", "day", true, locale)).toBe("Mar 2, 2026");
    expect(periodLabel("2026-03-02", "week", true, locale)).toBe("Week of Mar 2, 2026");
    expect(periodLabel("2026-03-01", "month", false, locale)).toBe("Mar 2026");
    expect(periodLabel("2026-03-01", "month", true, locale)).toBe("March 2026");
  });
});

describe("the revenue figures", () => {
  it("write revenue with two decimals", () => {
    expect(formatRevenue(62.5, { locale: "en-US" })).toBe("62.50");
    expect(formatRevenue(1234, { locale: "de-DE" })).toBe("1.234,00");
  });

  it("give each group's share of the total, none of nothing", () => {
    expect(shareOf(REPORT.groups[0], REPORT.total)).toBe(0.8);
    expect(shareOf({ revenue: 0 }, { revenue: 0 })).toBe(0);
  });

  it("know an empty range: no order and no credited conversion", () => {
    expect(hasRevenue(REPORT)).toBe(true);
    const empty = { total: { ...REPORT.total, revenue: 0, count: 0, contacts: 0 }, groups: [] };
    expect(hasRevenue(empty)).toBe(false);
    expect(hasRevenue({ ...empty, groups: [{ ...REPORT.groups[0], count: 1 }] })).toBe(true);
  });

  it("title the columns by the breakdown and what is counted", () => {
    expect(groupTitle("campaign")).toBe("Campaign");
    expect(groupTitle("flow")).toBe("Flow");
    expect(countTitle("orders")).toBe("Orders");
    expect(countTitle("conversions")).toBe("Conversions");
  });
});
