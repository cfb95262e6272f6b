/** The list of flows: status, live version, entered and converted at a glance; search, sort, import, new; and per
 * flow rename, duplicate, pause or resume, archive and delete, the last two confirmed with what they do. */
import { Archive, ArrowDown, ArrowUp, Copy, Pause, Pencil, Play, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { deleteFlow, duplicateFlow, type FlowStatus, type FlowSummary, importFlow, listFlows, renameFlow, setFlowState } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ChangeNotice, useListChanges } from "../components/ListChanges";
import { FileDrop } from "../components/FileDrop";
import { archiveConsequence, deleteConsequence, type FlowSort, nextSort, type SortKey, sortFlows } from "../components/flowList";
import { InlineRename } from "../components/InlineRename";
import { formatDate, formatDateTime, formatNumber, formatPercent } from "../components/localeFormat";
import { StatusBadge } from "../components/StatusBadge";
import { rate } from "../stats/format";

const STATUSES: ("" | FlowStatus)[] = ["", "live", "draft", "paused", "archived"];
const NAME_LENGTH = 200; // the API's limit on a flow's name

/** An action that asks first, and the flow it is for. */
interface Confirming {
  action: "archive" | "delete";
  flow: FlowSummary;
}

function SortHeader({ label, by, sort, onSort, numeric = false }: { label: string; by: SortKey; sort: FlowSort; onSort(key: SortKey): void; numeric?: boolean }) {
  const sorted = sort.key === by;
  return (
    <th className={numeric ? "number" : undefined} aria-sort={sorted ? (sort.descending ? "descending" : "ascending") : "none"}>
      <button type="button" className="sort-header" onClick={() => onSort(by)}>
        {label}
        {sorted && (sort.descending ? <ArrowDown size={12} aria-hidden /> : <ArrowUp size={12} aria-hidden />)}
      </button>
    </th>
  );
}

export function FlowsListPage() {
  const navigate = useNavigate();
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<"" | FlowStatus>("");
  const [sort, setSort] = useState<FlowSort>({ key: "updated", descending: true });
  const [revision, setRevision] = useState(0); // bumped to load the list again after a change
  const [problem, setProblem] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const { busy, outcome, act } = useListChanges(() => {
    setConfirming(null);
    setRevision((value) => value + 1);
  });

  useEffect(() => {
    let current = true; // an answer for an older search must not overwrite the newer one
    const timer = setTimeout(() => {
      listFlows(q, status).then(
        (answer) => {
          if (!current) return;
          setFlows(answer);
          setProblem(null);
        },
        (error: Error) => current && setProblem(error.message),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q, status, revision]);

  const onImport = (document: unknown) =>
    importFlow(document).then(
      (flow) => navigate(`/flows/${flow.id}`),
      (error: Error) => setProblem(`Import failed: ${error.message}`),
    );


  const rename = (flow: FlowSummary, name: string) => {
    setRenaming(null);
    setFlows((rows) => rows && rows.map((row) => (row.id === flow.id ? { ...row, name } : row))); // shown at once
    act(async () => {
      await renameFlow(flow.id, name);
      return `Renamed “${flow.name}” to “${name}”.`;
    });
  };
  const duplicate = (flow: FlowSummary) =>
    act(async () => `Duplicated “${flow.name}” as “${(await duplicateFlow(flow.id)).name}”.`);
  const pauseOrResume = (flow: FlowSummary) =>
    act(async () => {
      if (flow.status === "paused") {
        await setFlowState(flow.id, "resume");
        return `Resumed “${flow.name}”: contacts enter it again.`;
      }
      await setFlowState(flow.id, "pause");
      return `Paused “${flow.name}”: no new contacts enter; waiting runs hold.`;
    });
  const confirmed = ({ action, flow }: Confirming) =>
    act(async () => {
      if (action === "archive") {
        await setFlowState(flow.id, "archive");
        return `Archived “${flow.name}”.`;
      }
      await deleteFlow(flow.id);
      return `Deleted “${flow.name}”.`;
    });

  const filtering = q !== "" || status !== "";
  const shown = flows && sortFlows(flows, sort);
  const onSort = (key: SortKey) => setSort((current) => nextSort(current, key));
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
      <ChangeNotice outcome={outcome} testId="flows-notice" />
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
      {shown && shown.length > 0 && (
        <table className="table flows-table">
          <thead>
            <tr>
              <SortHeader label="Name" by="name" sort={sort} onSort={onSort} />
              <SortHeader label="Status" by="status" sort={sort} onSort={onSort} />
              <SortHeader label="Entered" by="entered" sort={sort} onSort={onSort} numeric />
              <th className="number">Converted</th>
              <th className="number">Revenue</th>
              <SortHeader label="Updated" by="updated" sort={sort} onSort={onSort} />
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {shown.map((flow) => {
              const running = flow.status === "live" || flow.status === "paused";
              return (
                <tr key={flow.id} onClick={() => navigate(`/flows/${flow.id}`)} className="clickable">
                  <td>
                    {renaming === flow.id ? (
                      <InlineRename name={flow.name} label="Flow name" maxLength={NAME_LENGTH} onRename={(name) => rename(flow, name)} onCancel={() => setRenaming(null)} />
                    ) : (
                      <Link to={`/flows/${flow.id}`} onClick={(event) => event.stopPropagation()}>
                        {flow.name}
                      </Link>
                    )}
                    <div className="muted small">
                      {formatNumber(flow.node_count)} steps{flow.description ? ` · ${flow.description.slice(0, 90)}` : ""}
                    </div>
                  </td>
                  <td>
                    <StatusBadge status={flow.status} /> {flow.live_version !== null && <span className="muted small">v{flow.live_version}</span>}
                  </td>
                  <td className="number">
                    {formatNumber(flow.entered)}
                    {flow.waiting > 0 && <div className="muted small">{formatNumber(flow.waiting)} waiting</div>}
                  </td>
                  <td className="number">
                    {formatNumber(flow.converted)} <span className="muted small">{formatPercent(rate(flow.converted, flow.entered))}</span>
                  </td>
                  <td className="number">{formatNumber(flow.revenue, { maximumFractionDigits: 0 })}</td>
                  <td className="muted small" title={formatDateTime(flow.updated_at)}>
                    {formatDate(flow.updated_at)}
                  </td>
                  <td className="flow-actions" onClick={(event) => event.stopPropagation()}>
                    <button type="button" className="icon-button" onClick={() => setRenaming(flow.id)} disabled={busy} title="Rename" aria-label="Rename">
                      <Pencil size={15} />
                    </button>
                    <button type="button" className="icon-button" onClick={() => duplicate(flow)} disabled={busy} title="Duplicate as a new draft" aria-label="Duplicate">
                      <Copy size={15} />
                    </button>
                    {running && (
                      <button type="button" className="icon-button" onClick={() => pauseOrResume(flow)} disabled={busy} title={flow.status === "paused" ? "Resume" : "Pause"} aria-label={flow.status === "paused" ? "Resume" : "Pause"}>
                        {flow.status === "paused" ? <Play size={15} /> : <Pause size={15} />}
                      </button>
                    )}
                    {running && (
                      <button type="button" className="icon-button" onClick={() => setConfirming({ action: "archive", flow })} disabled={busy} title="Archive" aria-label="Archive">
                        <Archive size={15} />
                      </button>
                    )}
                    <button
                      type="button"
                      className="icon-button danger"
                      onClick={() => setConfirming({ action: "delete", flow })}
                      disabled={busy || running}
                      title={running ? "Archive it first: only drafts and archived flows can be deleted" : "Delete"}
                      aria-label="Delete"
                    >
                      <Trash2 size={15} />
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {confirming?.action === "archive" && (
        <ConfirmDialog title={`Archive “${confirming.flow.name}”?`} action="Archive" busyLabel="Archiving…" busy={busy} onConfirm={() => confirmed(confirming)} onCancel={() => setConfirming(null)}>
          <p>{archiveConsequence(confirming.flow.waiting)}</p>
          <p className="muted">No one enters it until it is published again.</p>
        </ConfirmDialog>
      )}
      {confirming?.action === "delete" && (
        <ConfirmDialog title={`Delete “${confirming.flow.name}”?`} action="Delete" busyLabel="Deleting…" busy={busy} onConfirm={() => confirmed(confirming)} onCancel={() => setConfirming(null)}>
          <p>{deleteConsequence(confirming.flow.entered)}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
