/** The segments: each one's live count and who uses it; search by name, make a new one, delete one nobody uses
 * (confirmed first; the server refuses, naming them, while flows or other segments use it). */
import { Trash2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { deleteSegment, listSegments, type Segment } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ChangeNotice, useListChanges, useLoadedList } from "../components/ListChanges";
import { formatDate, formatDateTime, formatNumber } from "../components/localeFormat";
import { reloadSegments } from "../components/segments";
import { whyInUse } from "../components/segmentText";
import { UsedBy } from "../components/UsedBy";

export function SegmentsPage() {
  const navigate = useNavigate();
  // The counts are live: the list is asked for afresh each time the page is shown (the pickers' list, without
  // counts, is the shared one of components/segments).
  const { items: segments, problem, reload } = useLoadedList(listSegments);
  const [q, setQ] = useState("");
  const [confirming, setConfirming] = useState<Segment | null>(null);
  const { busy, outcome, act } = useListChanges(() => {
    setConfirming(null);
    void reload();
    reloadSegments().catch(() => undefined); // the pickers forget a deleted segment
  });

  const remove = (segment: Segment) =>
    act(async () => {
      await deleteSegment(segment.id);
      return `Deleted “${segment.name}”.`;
    });

  const needle = q.trim().toLowerCase();
  const shown = segments?.filter((segment) => segment.name.toLowerCase().includes(needle));
  return (
    <div className="page">
      <div className="page-head">
        <h1>Segments</h1>
        <div className="page-actions">
          <Link className="button" to="/segments/new" data-testid="new-segment">
            New segment
          </Link>
        </div>
      </div>
      <div className="filters">
        <input type="search" placeholder="Search segments by name" value={q} onChange={(event) => setQ(event.target.value)} aria-label="Search segments" data-testid="segments-search" />
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      <ChangeNotice outcome={outcome} testId="segments-notice" />
      {segments === null && !problem && <p className="muted">Loading…</p>}
      {shown?.length === 0 && (
        <div className="empty-state">
          {needle ? (
            <h2>No segment matches</h2>
          ) : (
            <>
              <h2>No segments yet</h2>
              <p>A segment is a saved condition over your contacts — “plan is pro and paid in the last 14 days” — to send to, to start flows on, or to use in conditions.</p>
              <div className="page-actions center">
                <Link className="button" to="/segments/new">
                  New segment
                </Link>
              </div>
            </>
          )}
        </div>
      )}
      {shown && shown.length > 0 && (
        <table className="table segments-table" data-testid="segments-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="number">Contacts now</th>
              <th>Used by</th>
              <th>Updated</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {shown.map((segment) => {
              const inUse = whyInUse(segment);
              return (
                <tr key={segment.id} className="clickable" onClick={() => navigate(`/segments/${segment.id}`)} data-testid="segment-row">
                  <td>
                    <Link to={`/segments/${segment.id}`} onClick={(event) => event.stopPropagation()} data-testid="segment-link">
                      {segment.name}
                    </Link>
                    {segment.description && <div className="muted small">{segment.description.slice(0, 120)}</div>}
                  </td>
                  <td className="number" data-testid="segment-count">
                    {formatNumber(segment.count)}
                  </td>
                  <td data-testid="segment-used-by">
                    <UsedBy segment={segment} />
                  </td>
                  <td className="muted small" title={formatDateTime(segment.updated_at)}>
                    {formatDate(segment.updated_at)}
                  </td>
                  <td className="flow-actions" onClick={(event) => event.stopPropagation()}>
                    <button
                      type="button"
                      className="icon-button danger"
                      onClick={() => setConfirming(segment)}
                      disabled={busy || inUse !== null}
                      title={inUse ?? "Delete"}
                      aria-label="Delete"
                      data-testid="segment-delete"
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
      {confirming && (
        <ConfirmDialog title={`Delete “${confirming.name}”?`} action="Delete" busyLabel="Deleting…" busy={busy} onConfirm={() => remove(confirming)} onCancel={() => setConfirming(null)}>
          <p>The segment and its condition are deleted for good. Contacts are not: only the grouping goes.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
