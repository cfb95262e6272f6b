/** Revenue over time (issue 22): the orders' total in a range, and per period by the contacts' first-touch source,
 * medium or campaign (adding up to the total) or by what each flow's goal credited (which does not, and says so);
 * every number of a row opens the contacts behind it; the events that count as revenue are named, with the way to
 * Settings where they change. The filter is kept in the URL, so a view can be shared. */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { getRevenueReport, listRevenueContacts } from "../api";
import { ContactsDrawer } from "../components/ContactsDrawer";
import { formatDate, formatNumber, formatPercent } from "../components/localeFormat";
import { ReportsTabs } from "./ReportsTabs";
import { RevenueChart } from "./RevenueChart";
import { BREAKDOWNS, chartSeries, countTitle, formatRevenue, groupTitle, hasRevenue, INTERVALS, readFilter, shareOf, writeFilter } from "./revenueReport";
import type { RevenueBreakdown, RevenueFilter, RevenueGroup, RevenueInterval, RevenueReport } from "./types";
import "./reports.css";

/** The filter a report answered: the range it covered (the server fills in the default days) and its breakdown. */
function answeredFilter(report: RevenueReport): RevenueFilter {
  return { from: report.from, to: report.to, by: report.by, interval: report.interval };
}

function GroupContactsDrawer({ report, group, onClose }: { report: RevenueReport; group: RevenueGroup; onClose(): void }) {
  const load = useCallback(
    (limit: number, offset: number) =>
      listRevenueContacts(answeredFilter(report), group.key, limit, offset).then((found) => ({
        ...found,
        contacts: found.contacts.map((contact) => ({ ...contact, value: contact.revenue })),
      })),
    [report, group.key],
  );
  const flows = report.by === "flow";
  return (
    <ContactsDrawer
      testId="revenue-drawer"
      className="report-drawer"
      context={`Revenue by ${report.by} · ${formatDate(report.from)} – ${formatDate(report.to)}`}
      title={group.label}
      timeTitle={flows ? "Converted" : "Last order"}
      value={{ title: flows ? "Credited" : "Revenue", format: (amount) => formatRevenue(amount) }}
      load={load}
      onClose={onClose}
      rowTestId="revenue-contacts-row"
    >
      <p className="muted small">
        {flows
          ? `The contacts whose run reached the flow's goal in the range: ${formatRevenue(group.revenue)} credited.`
          : `The contacts whose first touch was ${group.label === "(none)" ? "untagged" : group.label}, with ${formatRevenue(group.revenue)} of orders in the range.`}
      </p>
    </ContactsDrawer>
  );
}

/** The range's orders: revenue, how many, by how many contacts. */
function Totals({ report }: { report: RevenueReport }) {
  return (
    <div className="revenue-totals" data-testid="revenue-totals">
      <div className="revenue-total">
        <span className="stat-label">{report.additive ? "Revenue" : "Revenue of all orders"}</span>
        <b data-testid="revenue-total">{formatRevenue(report.total.revenue)}</b>
      </div>
      <div className="revenue-total">
        <span className="stat-label">Orders</span>
        <b data-testid="revenue-total-count">{formatNumber(report.total.count)}</b>
      </div>
      <div className="revenue-total">
        <span className="stat-label">Contacts who ordered</span>
        <b data-testid="revenue-total-contacts">{formatNumber(report.total.contacts)}</b>
      </div>
    </div>
  );
}

function GroupsTable({ report, onOpen }: { report: RevenueReport; onOpen(group: RevenueGroup): void }) {
  const colours = new Map(chartSeries(report).map((series) => [series.key, series.color]));
  const figure = (group: RevenueGroup, testId: string, text: string, who: string) => (
    <button type="button" className="link revenue-figure" onClick={() => onOpen(group)} title={`Who: ${who}`} data-testid={testId}>
      {text}
    </button>
  );
  const counted = countTitle(report.counts);
  return (
    <table className="table compact revenue-table" data-testid="revenue-table">
      <thead>
        <tr>
          <th>{groupTitle(report.by)}</th>
          <th className="number">Revenue</th>
          {report.additive && <th className="number">Share</th>}
          <th className="number">{counted}</th>
          <th className="number">Contacts</th>
        </tr>
      </thead>
      <tbody>
        {report.groups.map((group) => (
          <tr key={group.key} data-testid="revenue-row" data-key={group.key}>
            <td data-testid="revenue-row-label">
              <span className="revenue-swatch" style={{ background: colours.get(group.key) }} aria-hidden />
              {report.by === "flow" ? <Link to={`/flows/${group.key}`}>{group.label}</Link> : group.label}
            </td>
            <td className="number">{figure(group, "revenue-row-revenue", formatRevenue(group.revenue), "the contacts behind this revenue")}</td>
            {report.additive && (
              <td className="number muted" data-testid="revenue-row-share">
                {formatPercent(shareOf(group, report.total))}
              </td>
            )}
            <td className="number">{figure(group, "revenue-row-count", formatNumber(group.count), `the contacts behind these ${counted.toLowerCase()}`)}</td>
            <td className="number">{figure(group, "revenue-row-contacts", formatNumber(group.contacts), "these contacts")}</td>
          </tr>
        ))}
      </tbody>
      {report.additive && (
        <tfoot>
          <tr data-testid="revenue-table-total">
            <th>Total</th>
            <td className="number">{formatRevenue(report.total.revenue)}</td>
            <td className="number muted">{formatPercent(1)}</td>
            <td className="number">{formatNumber(report.total.count)}</td>
            <td className="number">{formatNumber(report.total.contacts)}</td>
          </tr>
        </tfoot>
      )}
    </table>
  );
}

/** Which events are orders, and where that is changed. */
function RevenueEvents({ report }: { report: RevenueReport }) {
  return (
    <p className="muted small revenue-events" data-testid="revenue-events">
      {report.revenue_events.length === 0 ? (
        <>No event counts as revenue. </>
      ) : (
        <>
          Orders are{" "}
          {report.revenue_events.map((revenue, index) => (
            <span key={revenue.event}>
              {index > 0 && (index === report.revenue_events.length - 1 ? " and " : ", ")}
              <code>{revenue.event}</code> events (amount in <code>{revenue.amount_property}</code>)
            </span>
          ))}
          .{" "}
        </>
      )}
      <Link to="/settings#revenue" data-testid="revenue-events-settings">
        Change which events count in Settings
      </Link>
    </p>
  );
}

export function RevenuePage() {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => readFilter(params), [params]);
  const asked = JSON.stringify(filter);
  const [answer, setAnswer] = useState<{ filter: string; report?: RevenueReport; problem?: string } | null>(null);
  const [opened, setOpened] = useState<{ filter: string; group: RevenueGroup } | null>(null);
  const shown = answer?.filter === asked ? answer : null;
  const report = shown?.report ?? null;
  const openedGroup = opened?.filter === asked ? opened.group : null;

  useEffect(() => {
    let current = true;
    getRevenueReport(JSON.parse(asked) as RevenueFilter).then(
      (found) => current && setAnswer({ filter: asked, report: found }),
      (error: Error) => current && setAnswer({ filter: asked, problem: error.message }),
    );
    return () => {
      current = false;
    };
  }, [asked]);

  const change = (changes: Partial<RevenueFilter>) => setParams(writeFilter(params, { ...filter, ...changes }), { replace: true });
  // A day left empty is the server's default: the dates it answered with are shown.
  const from = filter.from || report?.from || "";
  const to = filter.to || report?.to || "";

  return (
    <div className={`page revenue-page${openedGroup ? " with-drawer" : ""}`}>
      <div className="page-head">
        <h1>Reports</h1>
        <ReportsTabs />
      </div>
      <div className="filters revenue-filters">
        <label>
          From <input type="date" value={from} max={to || undefined} onChange={(event) => change({ from: event.target.value })} data-testid="revenue-from" />
        </label>
        <label>
          To <input type="date" value={to} min={from || undefined} onChange={(event) => change({ to: event.target.value })} data-testid="revenue-to" />
        </label>
        <label>
          By
          <select value={filter.by} onChange={(event) => change({ by: event.target.value as RevenueBreakdown })} data-testid="revenue-by">
            {BREAKDOWNS.map(({ value, title }) => (
              <option key={value} value={value}>
                {title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Every
          <select value={filter.interval} onChange={(event) => change({ interval: event.target.value as RevenueInterval })} data-testid="revenue-interval">
            {INTERVALS.map(({ value, title }) => (
              <option key={value} value={value}>
                {title.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {shown?.problem && (
        <p className="text-danger" data-testid="revenue-problem">
          {shown.problem}
        </p>
      )}
      {!shown && <p className="muted">Loading…</p>}
      {report && <RevenueEvents report={report} />}
      {report && !hasRevenue(report) && (
        <div className="empty-state" data-testid="revenue-empty">
          <h2>No revenue in this range</h2>
          <p>
            No order (a revenue event with an amount) from {formatDate(report.from)} to {formatDate(report.to)}. Pick a longer range, or check in Settings
            which events count as revenue.
          </p>
        </div>
      )}
      {report && hasRevenue(report) && (
        <>
          <Totals report={report} />
          <section className="card revenue-chart-card">
            <RevenueChart report={report} />
          </section>
          {report.note && (
            <p className="revenue-note" role="note" data-testid="revenue-note">
              {report.note}
            </p>
          )}
          {report.groups.length > 0 ? (
            <GroupsTable report={report} onOpen={(group) => setOpened({ filter: asked, group })} />
          ) : (
            <p className="muted" data-testid="revenue-no-groups">
              No flow's goal credited a conversion in this range.
            </p>
          )}
        </>
      )}
      {openedGroup && report && (
        <GroupContactsDrawer key={`${asked}:${openedGroup.key}`} report={report} group={openedGroup} onClose={() => setOpened(null)} />
      )}
    </div>
  );
}
