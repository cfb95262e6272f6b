/** How the revenue report is shown: its filter kept in the URL (to share a view), the chart's bars per period and
 * group, each group's share of the total, and revenue written the same way wherever it appears (the report, the
 * contact list's column, a contact's card). */
import { formatNumber, type LocaleOptions } from "../components/localeFormat";
import type { RevenueBreakdown, RevenueFilter, RevenueFigures, RevenueInterval, RevenueReport } from "./types";

export const BREAKDOWNS: { value: RevenueBreakdown; title: string; column: string }[] = [
  { value: "source", title: "First-touch source", column: "Source" },
  { value: "medium", title: "First-touch medium", column: "Medium" },
  { value: "campaign", title: "First-touch campaign", column: "Campaign" },
  { value: "flow", title: "Flow (its goal's credit)", column: "Flow" },
];

export const INTERVALS: { value: RevenueInterval; title: string }[] = [
  { value: "day", title: "Day" },
  { value: "week", title: "Week" },
  { value: "month", title: "Month" },
];

/** No days given: the server's last 30 days (up to today), by source, a bar a day. */
export const DEFAULT_FILTER: RevenueFilter = { from: "", to: "", by: "source", interval: "day" };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filter the URL names, part by part, the default for a part it does not name (or names wrongly). */
export function readFilter(search: URLSearchParams): RevenueFilter {
  const day = (name: string) => {
    const value = search.get(name) ?? "";
    return DAY.test(value) ? value : "";
  };
  return {
    from: day("from"),
    to: day("to"),
    by: BREAKDOWNS.find((breakdown) => breakdown.value === search.get("by"))?.value ?? DEFAULT_FILTER.by,
    interval: INTERVALS.find((interval) => interval.value === search.get("interval"))?.value ?? DEFAULT_FILTER.interval,
  };
}

/** `search` with the filter written in: the parts that differ from the default, the others left out. */
export function writeFilter(search: URLSearchParams, filter: RevenueFilter): URLSearchParams {
  const next = new URLSearchParams(search);
  for (const name of ["from", "to", "by", "interval"] as const) {
    if (filter[name] && filter[name] !== DEFAULT_FILTER[name]) next.set(name, filter[name]);
    else next.delete(name);
  }
  return next;
}

/** Revenue as every page writes it: two decimals, the reader's grouping and decimal mark. No currency symbol: the
 * amounts are what the revenue events carry, in whatever currency the shop sells. */
export function formatRevenue(value: number, options: LocaleOptions = {}): string {
  return formatNumber(value, { ...options, minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A group's share of the total revenue (0 when there is none); meaningful only when the groups add up. */
export function shareOf(group: Pick<RevenueFigures, "revenue">, total: Pick<RevenueFigures, "revenue">): number {
  return total.revenue > 0 ? group.revenue / total.revenue : 0;
}

/** Whether the range has anything to show: an order, or a flow's credited conversion. */
export function hasRevenue(report: Pick<RevenueReport, "total" | "groups">): boolean {
  return report.total.count > 0 || report.groups.some((group) => group.count > 0);
}

/** One group in the chart: the bar's data key (`g0`, `g1`…, never the group's own key, which may hold a dot that
 * the chart would read as a path), its name and colour. */
export interface ChartSeries {
  dataKey: string;
  key: string;
  label: string;
  color: string;
}

/** One period of the chart: its first day, each group's revenue by data key, and the orders' total. */
export type ChartRow = { period: string; total: number } & Record<string, number | string>;

// Distinct, calm colours for up to ten groups; "(other)" and "(none)" stay grey, as the rest of the data.
const PALETTE = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ec4899", "#8b5cf6", "#14b8a6", "#ef4444", "#84cc16", "#f97316"];
const GREYS: Record<string, string> = { "(other)": "#94a3b8", "(none)": "#cbd5e1" };

export function chartSeries(report: Pick<RevenueReport, "groups" | "by">): ChartSeries[] {
  let coloured = 0;
  return report.groups.map((group, index) => {
    const grey = report.by === "flow" ? undefined : GREYS[group.key];
    return { dataKey: `g${index}`, key: group.key, label: group.label, color: grey ?? PALETTE[coloured++ % PALETTE.length] };
  });
}

/** A row per period of the report, with every group's revenue in it (0 where the group had none). */
export function chartRows(report: Pick<RevenueReport, "periods" | "groups" | "total" | "by">): ChartRow[] {
  const revenueByPeriod = (points: RevenueFigures["points"]) => new Map(points.map((point) => [point.period, point.revenue]));
  const totals = revenueByPeriod(report.total.points);
  const groups = chartSeries(report).map((series, index) => ({ series, revenue: revenueByPeriod(report.groups[index].points) }));
  return report.periods.map((period) => {
    const row: ChartRow = { period, total: totals.get(period) ?? 0 };
    for (const { series, revenue } of groups) row[series.dataKey] = revenue.get(period) ?? 0;
    return row;
  });
}

/** A period (its first day, YYYY-MM-DD) as the chart names it: "Mar 2" for a day or a week (from Monday), "Mar 2026"
 * for a month; `long` for the tooltip: "Mar 2, 2026", "Week of Mar 2, 2026", "March 2026". */
export function periodLabel(period: string, interval: RevenueInterval, long = false, options: LocaleOptions = {}): string {
  const format: Intl.DateTimeFormatOptions =
    interval === "month" ? { month: long ? "long" : "short", year: "numeric" } : { month: "short", day: "numeric", ...(long ? { year: "numeric" } : {}) };
  const text = new Intl.DateTimeFormat(options.locale, { ...format, timeZone: "UTC" }).format(new Date(`${period}T00:00:00Z`));
  return long && interval === "week" ? `Week of ${text}` : text;
}

/** The heading of the table's first column: "Source", "Flow"… */
export function groupTitle(by: RevenueBreakdown): string {
  return BREAKDOWNS.find((breakdown) => breakdown.value === by)?.column ?? by;
}

/** What the count is: orders (by a first-touch tag) or the goal's conversions (by flow). */
export function countTitle(counts: RevenueReport["counts"]): string {
  return counts === "conversions" ? "Conversions" : "Orders";
}
