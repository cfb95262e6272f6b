/** The list of flows: status, live version, entered and converted at a glance; search, import, new. */
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { type FlowStatus, type FlowSummary, importFlow, listFlows } from "../api";
import { FileDrop } from "../components/FileDrop";
import { formatDate, formatDateTime, formatNumber, formatPercent } from "../components/localeFormat";
import { StatusBadge } from "../components/StatusBadge";
import { rate } from "../stats/format";

const STATUSES: ("" | FlowStatus)[] = ["", "live", "draft", "paused", "archived"];

export function FlowsListPage() {
  const navigate = useNavigate();
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<"" | FlowStatus>("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => {
      listFlows(q, status).then(
        (answer) => {
          setFlows(answer);
          setProblem(null);
        },
        (error: Error) => setProblem(error.message),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [q, status]);

  const onImport = (document: unknown) =>
    importFlow(document).then(
      (flow) => navigate(`/flows/${flow.id}`),
      (error: Error) => setProblem(`Import failed: ${error.message}`),
    );

  const filtering = q !== "" || status !== "";
  return (
    <div className="page">
      <div className="page-head">
        <h1>Flows</h1>
        <div className="page-actions">
          <FileDrop onFile={onImport} />
          <Link className="button secondary" to="/scenarios">
            Start from a scenario
          </Link>
          <Link className="button" to="/flows/new" data-testid="new-flow">
            New flow
          </Link>
        </div>
      </div>
      <div className="filters">
        <input type="search" placeholder="Search flows" value={q} onChange={(event) => setQ(event.target.value)} aria-label="Search flows" />
        <select value={status} onChange={(event) => setStatus(event.target.value as FlowStatus | "")} aria-label="Status">
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value ? value[0].toUpperCase() + value.slice(1) : "Any status"}
            </option>
          ))}
        </select>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {flows === null && !problem && <p className="muted">Loading…</p>}
      {flows?.length === 0 && (
        <FileDrop onFile={onImport} label="Choose a JSON file">
          <div className="empty-state">
            {filtering ? (
              <>
                <h2>No flow matches</h2>
                <p>Try another search or status.</p>
              </>
            ) : (
              <>
                <h2>No flows yet</h2>
                <p>Start from a proven scenario such as an abandoned cart, draw your own, or drop an exported JSON file here.</p>
                <div className="page-actions center">
                  <Link className="button" to="/scenarios">
                    Browse scenarios
                  </Link>
                  <Link className="button secondary" to="/flows/new">
                    Blank flow
                  </Link>
                </div>
              </>
            )}
          </div>
        </FileDrop>
      )}
      {flows && flows.length > 0 && (
        <table className="table flows-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th className="number">Entered</th>
              <th className="number">Converted</th>
              <th className="number">Revenue</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {flows.map((flow) => (
              <tr key={flow.id} onClick={() => navigate(`/flows/${flow.id}`)} className="clickable">
                <td>
                  <Link to={`/flows/${flow.id}`} onClick={(event) => event.stopPropagation()}>
                    {flow.name}
                  </Link>
                  <div className="muted small">
                    {formatNumber(flow.node_count)} steps{flow.description ? ` · ${flow.description.slice(0, 90)}` : ""}
                  </div>
                </td>
                <td>
                  <StatusBadge status={flow.status} /> {flow.live_version !== null && <span className="muted small">v{flow.live_version}</span>}
                </td>
                <td className="number">{formatNumber(flow.entered)}</td>
                <td className="number">
                  {formatNumber(flow.converted)} <span className="muted small">{formatPercent(rate(flow.converted, flow.entered))}</span>
                </td>
                <td className="number">{formatNumber(flow.revenue, { maximumFractionDigits: 0 })}</td>
                <td className="muted small" title={formatDateTime(flow.updated_at)}>
                  {formatDate(flow.updated_at)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
