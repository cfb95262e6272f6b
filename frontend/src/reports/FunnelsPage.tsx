/** The saved funnels: each one's steps and when it was changed; open one, make a new one, delete one (confirmed). */
import { Trash2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { deleteSavedFunnel, listSavedFunnels } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ChangeNotice, useListChanges, useLoadedList } from "../components/ListChanges";
import { formatDate, formatDateTime } from "../components/localeFormat";
import { stepName } from "./funnelDraft";
import { ReportsTabs } from "./ReportsTabs";
import type { SavedFunnel } from "./types";
import "./reports.css";

export function FunnelsPage() {
  const navigate = useNavigate();
  const { items: funnels, problem, reload } = useLoadedList(listSavedFunnels);
  const [confirming, setConfirming] = useState<SavedFunnel | null>(null);
  const { busy, outcome, act } = useListChanges(() => {
    setConfirming(null);
    void reload();
  });

  const remove = (funnel: SavedFunnel) =>
    act(async () => {
      await deleteSavedFunnel(funnel.id);
      return `Deleted “${funnel.name}”.`;
    });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Reports</h1>
        <ReportsTabs />
        <div className="page-actions">
          <Link className="button" to="/reports/funnels/new" data-testid="new-funnel">
            New funnel
          </Link>
        </div>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      <ChangeNotice outcome={outcome} testId="funnels-notice" />
      {funnels === null && !problem && <p className="muted">Loading…</p>}
      {funnels?.length === 0 && (
        <div className="empty-state">
          <h2>No funnels yet</h2>
          <p>
            A funnel counts how many contacts go from one event to the next — viewed a product, added it to the cart, paid — how long each step takes,
            and who dropped out where.
          </p>
          <div className="page-actions center">
            <Link className="button" to="/reports/funnels/new">
              New funnel
            </Link>
          </div>
        </div>
      )}
      {funnels && funnels.length > 0 && (
        <table className="table" data-testid="funnels-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Steps</th>
              <th>Updated</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {funnels.map((funnel) => (
              <tr key={funnel.id} className="clickable" onClick={() => navigate(`/reports/funnels/${funnel.id}`)} data-testid="funnel-row">
                <td>
                  <Link to={`/reports/funnels/${funnel.id}`} onClick={(event) => event.stopPropagation()} data-testid="funnel-link">
                    {funnel.name}
                  </Link>
                </td>
                <td className="muted small">{funnel.definition.steps.map(stepName).join(" → ")}</td>
                <td className="muted small" title={formatDateTime(funnel.updated_at)}>
                  {formatDate(funnel.updated_at)}
                </td>
                <td className="flow-actions" onClick={(event) => event.stopPropagation()}>
                  <button type="button" className="icon-button danger" onClick={() => setConfirming(funnel)} disabled={busy} title="Delete" aria-label="Delete" data-testid="funnel-delete">
                    <Trash2 size={15} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirming && (
        <ConfirmDialog title={`Delete “${confirming.name}”?`} action="Delete" busyLabel="Deleting…" busy={busy} onConfirm={() => remove(confirming)} onCancel={() => setConfirming(null)}>
          <p>The saved funnel is deleted. Events, contacts and segments made from it stay.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
