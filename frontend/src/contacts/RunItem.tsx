/** A flow the contact is in (or was): the step they are at, what they wait for, how the run ended; shown on the
 * contact's card and beside their conversation in the inbox. */
import { useState } from "react";
import { Link } from "react-router-dom";

import type { ContactCard, Journey as TracedRun } from "../api";
import { formatDateTime, formatNumber, formatRelative } from "../components/localeFormat";
import { JourneyActions } from "./JourneyActions";
import { JourneyTrace } from "./JourneyTrace";

type CardRun = ContactCard["runs"][number];

/** How soon a waiting run wakes up, e.g. "in 2 hr."; one whose time has come is due. */
function wakeUp(at: string): string {
  return new Date(at).getTime() > Date.now() ? formatRelative(at) : "due now";
}

/** Where a run stands: when a waiting run wakes up, why an ended run ended, why an errored run stopped. */
function RunState({ run }: { run: CardRun }) {
  if (run.status === "errored") return <div className="text-danger small">Stopped by an error: {run.error ?? run.end_reason}</div>;
  if (run.status === "waiting") {
    const event = run.waiting_for ? `for “${run.waiting_for}”` : "";
    const until = run.waiting_until ? `until ${formatDateTime(run.waiting_until)} (${wakeUp(run.waiting_until)})` : "";
    return <div className="small">Waits {[event, until].filter(Boolean).join(" ") || "for its next step"}</div>;
  }
  if (run.status === "active") return <div className="small">Moving on to its next step now</div>;
  return (
    <div className="small">
      Ended {run.ended_at ? formatDateTime(run.ended_at) : ""}
      {run.end_reason ? `: ${run.end_reason}` : ""}
    </div>
  );
}

/** What the contact page adds to a run: its journey, and a way to act on it that tells the page to reload. */
type Traced = { contactId: number; journey: TracedRun; onChanged: () => void };

/** The run's journey, folded: drawn only once unfolded (a contact may have a hundred runs). */
function Journey({ traced, runId }: { traced: Traced; runId: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details data-testid={`run-journey-${runId}`} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="small">Journey</summary>
      {open && (
        <>
          <JourneyTrace journey={traced.journey} />
          <JourneyActions contactId={traced.contactId} journey={traced.journey} onDone={traced.onChanged} />
        </>
      )}
    </details>
  );
}

/** The run; with `traced` (the contact page), its steps and what an operator may do to it, unfolded on demand. */
export function RunItem({ run, traced }: { run: CardRun; traced?: Traced }) {
  return (
    <li className="card-item">
      <div>
        <Link to={`/flows/${run.flow_id}`}>{run.flow_name}</Link> <span className="muted small">v{run.version}</span>{" "}
        <span className={`badge run-${run.status}`}>{run.status}</span>
      </div>
      <div>
        At <b>{run.node_label}</b>
      </div>
      <RunState run={run} />
      <div className="muted small">
        Entered {formatDateTime(run.entered_at)}
        {run.converted_at ? ` · reached the goal ${formatDateTime(run.converted_at)}` : ""}
        {run.revenue !== null && run.revenue !== undefined ? ` · revenue ${formatNumber(run.revenue)}` : ""}
      </div>
      {traced && <Journey traced={traced} runId={run.id} />}
    </li>
  );
}
