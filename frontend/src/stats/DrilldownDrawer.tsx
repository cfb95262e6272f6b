/** The contacts behind a number of statistics mode, with a link to each contact's card. */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { getNodeContacts, type NodeContact, type StatsQuery } from "../api";
import { type Drilldown, editorStore, useEditor } from "../editor/store";
import { formatDateTime } from "../components/localeFormat";
import { count } from "./format";

const PAGE = 50;

/** What the time beside each contact is: runs are dated by when they entered the flow, unless they ended or converted. */
function timeColumn(metric: string): string {
  if (metric === "converted") return "Converted";
  if (metric === "completed" || metric.startsWith("exited")) return "Left the flow";
  if (metric === "entered" || metric === "waiting" || metric.startsWith("left:")) return "Entered the flow";
  return "When";
}

interface DrawerProps {
  flowId: number;
  query: StatsQuery;
}

export function DrilldownDrawer({ flowId, query }: DrawerProps) {
  const drilldown = useEditor((state) => state.drilldown);
  if (!drilldown) return null;
  // A key per number: another number opens on its first page.
  return <DrilldownContacts key={`${drilldown.nodeId}:${drilldown.metric}`} drilldown={drilldown} flowId={flowId} query={query} />;
}

/** What one page of contacts answered, with the request it answers: until the current request's answer arrives, the drawer says it is loading. */
interface Answer {
  request: string;
  result?: { contacts: NodeContact[]; total: number };
  problem?: string;
}

function DrilldownContacts({ drilldown, flowId, query }: DrawerProps & { drilldown: Drilldown }) {
  const [page, setPage] = useState(0);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const request = JSON.stringify([flowId, drilldown.nodeId, drilldown.metric, query, page]);
  const shown = answer?.request === request ? answer : null;
  const result = shown?.result ?? null;
  const problem = shown?.problem ?? null;

  useEffect(() => {
    let current = true; // the answer for the page or dates asked before must not replace this one's
    getNodeContacts(flowId, drilldown.nodeId, drilldown.metric, { ...query, limit: PAGE, offset: page * PAGE }).then(
      (found) => current && setAnswer({ request, result: found }),
      (error: Error) => current && setAnswer({ request, problem: error.message }),
    );
    return () => {
      current = false;
    };
  }, [drilldown, flowId, query, page, request]);

  return (
    <aside className="drawer" data-testid="drilldown">
      <div className="drawer-head">
        <div>
          <div className="muted small">{drilldown.nodeLabel}</div>
          <h3>
            {drilldown.title} {result && <span className="muted">({count(result.total)})</span>}
          </h3>
        </div>
        <button type="button" className="icon-button" aria-label="Close" onClick={() => editorStore.getState().openDrilldown(null)}>
          ×
        </button>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {!result && !problem && <p className="muted">Loading…</p>}
      {result && result.contacts.length === 0 && <p className="empty">No contacts here for these dates.</p>}
      {result && result.contacts.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Contact</th>
              <th>{timeColumn(drilldown.metric)}</th>
            </tr>
          </thead>
          <tbody>
            {result.contacts.map((contact) => (
              <tr key={contact.id}>
                <td>
                  <Link to={`/contacts/${contact.id}`}>{contact.name || contact.email || `#${contact.id}`}</Link>
                  {contact.name && contact.email && <div className="muted small">{contact.email}</div>}
                </td>
                <td className="muted small">{contact.at ? formatDateTime(contact.at) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result && result.total > PAGE && (
        <div className="pager">
          <button type="button" className="button secondary small" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span className="muted small">
            {page * PAGE + 1}–{Math.min(result.total, (page + 1) * PAGE)} of {count(result.total)}
          </span>
          <button type="button" className="button secondary small" disabled={(page + 1) * PAGE >= result.total} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </div>
      )}
    </aside>
  );
}
