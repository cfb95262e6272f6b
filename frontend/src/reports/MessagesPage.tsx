/** Every send node of every flow, per channel, in one table: what was sent and what the contacts did with it, the goal
 * conversions and revenue after it, with rates; filtered by channel, flow and days; each number opens the contacts
 * behind it (the flow's drill-down); the same rows as CSV. */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";

import { type FlowSummary, getMessagesReport, getNodeContacts, listFlows, messagesReportCsvPath } from "../api";
import { formatNumber, formatPercent } from "../components/localeFormat";
import { downloadFromApi } from "../contacts/download";
import { ContactsDrawer } from "../components/ContactsDrawer";
import { CHANNELS, drilldownMetric, MESSAGE_COLUMNS, type MessageColumn, rowKey } from "./messagesReport";
import { ReportsTabs } from "./ReportsTabs";
import type { MessageChannel, MessagesFilter, MessagesReport, MessagesRow } from "./types";
import "./reports.css";

/** The number a drawer lists the contacts of. */
interface Opened {
  row: MessagesRow;
  column: MessageColumn;
}

function Figure({ column, value, rate }: { column: MessageColumn; value: number; rate: number | undefined }) {
  return (
    <>
      {column.key === "revenue" ? formatNumber(value, { maximumFractionDigits: 0 }) : formatNumber(value)}
      {rate !== undefined && <div className="muted small">{formatPercent(rate)}</div>}
    </>
  );
}

function NodeContactsDrawer({ opened, filter, onClose }: { opened: Opened; filter: MessagesFilter; onClose(): void }) {
  const { row, column } = opened;
  const metric = drilldownMetric(row.channel, column.key);
  const load = useCallback(
    (limit: number, offset: number) => getNodeContacts(row.flow.id, row.node_id, metric, { from: filter.from || null, to: filter.to || null, limit, offset }),
    [row.flow.id, row.node_id, metric, filter.from, filter.to],
  );
  return (
    <ContactsDrawer
      testId="report-drawer"
      className="report-drawer"
      context={`${row.flow.name} · ${row.node_label} · ${row.channel}`}
      title={column.title}
      timeTitle={metric === "converted" ? "Converted" : "Sent"}
      load={load}
      onClose={onClose}
      rowTestId="messages-contacts-row"
    >
      <p className="small">
        <Link to={`/flows/${row.flow.id}`}>Open the flow</Link> <span className="muted">(its Statistics mode shows every node's numbers)</span>
      </p>
    </ContactsDrawer>
  );
}

export function MessagesPage() {
  const [filter, setFilter] = useState<MessagesFilter>({ channel: "", flow_id: null, from: "", to: "" });
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [answer, setAnswer] = useState<{ filter: string; report?: MessagesReport; problem?: string } | null>(null);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [exportProblem, setExportProblem] = useState<string | null>(null);
  const asked = JSON.stringify(filter);
  const shown = answer?.filter === asked ? answer : null;
  const report = shown?.report ?? null;

  useEffect(() => {
    listFlows().then(setFlows, () => setFlows([])); // the flow filter only: the report says what failed
  }, []);

  useEffect(() => {
    let current = true;
    getMessagesReport(JSON.parse(asked) as MessagesFilter).then(
      (found) => current && setAnswer({ filter: asked, report: found }),
      (error: Error) => current && setAnswer({ filter: asked, problem: error.message }),
    );
    return () => {
      current = false;
    };
  }, [asked]);

  const sortedFlows = useMemo(() => [...(flows ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [flows]);
  const exportCsv = () => {
    setExportProblem(null);
    downloadFromApi(messagesReportCsvPath(filter), "messages.csv").catch((error: Error) => setExportProblem(`The export failed: ${error.message}`));
  };

  return (
    <div className={`page messages-page${opened ? " with-drawer" : ""}`}>
      <div className="page-head">
        <h1>Reports</h1>
        <ReportsTabs />
        <div className="page-actions">
          <button type="button" className="button secondary" onClick={exportCsv} data-testid="messages-export">
            Export CSV
          </button>
        </div>
      </div>
      <div className="filters messages-filters">
        <select value={filter.channel} onChange={(event) => setFilter({ ...filter, channel: event.target.value as MessageChannel | "" })} aria-label="Channel" data-testid="messages-channel">
          <option value="">All channels</option>
          {CHANNELS.map(({ value, title }) => (
            <option key={value} value={value}>
              {title}
            </option>
          ))}
        </select>
        <select
          value={filter.flow_id ?? ""}
          onChange={(event) => setFilter({ ...filter, flow_id: event.target.value ? Number(event.target.value) : null })}
          aria-label="Flow"
          data-testid="messages-flow"
        >
          <option value="">{flows === null ? "Loading flows…" : "All flows"}</option>
          {sortedFlows.map((flow) => (
            <option key={flow.id} value={flow.id}>
              {flow.name}
            </option>
          ))}
        </select>
        <label className="messages-date">
          From <input type="date" value={filter.from} max={filter.to || undefined} onChange={(event) => setFilter({ ...filter, from: event.target.value })} data-testid="messages-from" />
        </label>
        <label className="messages-date">
          To <input type="date" value={filter.to} min={filter.from || undefined} onChange={(event) => setFilter({ ...filter, to: event.target.value })} data-testid="messages-to" />
        </label>
      </div>
      {exportProblem && <p className="text-danger">{exportProblem}</p>}
      {shown?.problem && <p className="text-danger">{shown.problem}</p>}
      {!shown && <p className="muted">Loading…</p>}
      {report && report.items.length === 0 && (
        <div className="empty-state">
          <h2>No messages sent</h2>
          <p>Nothing was sent through a send node for these filters. Messages appear here once a live flow sends them.</p>
        </div>
      )}
      {report && report.items.length > 0 && (
        <div className="messages-table-wrap">
          <table className="table compact messages-table" data-testid="messages-table">
            <thead>
              <tr>
                <th>Flow</th>
                <th>Message</th>
                {MESSAGE_COLUMNS.map((column) => (
                  <th key={column.key} className="number" title={column.means}>
                    {column.title}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.items.map((row) => (
                <tr key={rowKey(row)} data-testid="messages-row" data-flow={row.flow.id} data-node={row.node_id} data-channel={row.channel}>
                  <td>
                    <Link to={`/flows/${row.flow.id}`}>{row.flow.name}</Link>
                    <div className="muted small">{row.flow.status}</div>
                  </td>
                  <td>
                    {row.node_label || row.node_id}
                    <div className="muted small">
                      <span className="badge">{row.channel}</span> {row.node_type}
                    </div>
                  </td>
                  {MESSAGE_COLUMNS.map((column) => (
                    <td key={column.key} className="number">
                      <button
                        type="button"
                        className="link messages-figure"
                        onClick={() => setOpened({ row, column })}
                        disabled={row[column.key] === 0}
                        title={`Who: ${column.means}`}
                        data-testid={`messages-${column.key}`}
                      >
                        <Figure column={column} value={row[column.key]} rate={column.rate ? row.rates[column.rate] : undefined} />
                      </button>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr data-testid="messages-totals">
                <th colSpan={2}>Total</th>
                {MESSAGE_COLUMNS.map((column) => (
                  <td key={column.key} className="number">
                    <Figure column={column} value={report.totals[column.key]} rate={column.rate ? report.totals.rates[column.rate] : undefined} />
                  </td>
                ))}
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      {opened && <NodeContactsDrawer key={`${rowKey(opened.row)}:${opened.column.key}:${filter.from}:${filter.to}`} opened={opened} filter={filter} onClose={() => setOpened(null)} />}
    </div>
  );
}
