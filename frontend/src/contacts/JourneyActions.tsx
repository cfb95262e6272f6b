/** What an operator may do to a run from the contact's journey — move it to a node, skip its wait, end it, restart
 * it — each asking why, for the audit log. */
import { useState } from "react";

import { actOnRun, type Journey, type JourneyActionRequest } from "../api";

type Action = JourneyActionRequest["action"];

const BUTTONS: [action: Action, label: string, allowed: (journey: Journey) => boolean][] = [
  ["skip_wait", "Skip the wait", (journey) => journey.status === "waiting"],
  ["move", "Move to…", (journey) => journey.status === "waiting" || journey.status === "active"],
  ["exit", "End", (journey) => journey.status === "waiting" || journey.status === "active"],
  ["restart", "Restart", (journey) => journey.status !== "errored"],
];

export function JourneyActions({ contactId, journey, onDone }: { contactId: number; journey: Journey; onDone: () => void }) {
  const [action, setAction] = useState<Action | null>(null);
  const [nodeId, setNodeId] = useState("");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const targets = journey.nodes.filter((node) => node.type !== "trigger");

  const choose = (chosen: Action) => {
    setAction(chosen);
    setNodeId(targets[0]?.id ?? "");
    setReason("");
    setProblem(null);
  };
  const submit = () => {
    if (!action) return;
    setBusy(true);
    const body: JourneyActionRequest = { action, reason, ...(action === "move" ? { node_id: nodeId } : {}) };
    actOnRun(contactId, journey.run_id, body).then(
      () => {
        setAction(null);
        setBusy(false);
        onDone();
      },
      (error: Error) => {
        setProblem(error.message);
        setBusy(false);
      },
    );
  };

  const allowed = BUTTONS.filter(([, , when]) => when(journey));
  if (allowed.length === 0) return null;
  return (
    <div className="journey-operator" data-testid={`journey-actions-${journey.run_id}`}>
      <div className="row-actions">
        {allowed.map(([key, label]) => (
          <button key={key} type="button" className="button secondary small" onClick={() => choose(key)}>
            {label}
          </button>
        ))}
      </div>
      {action && (
        <form
          className="journey-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          {action === "move" && (
            <label>
              Move to{" "}
              <select value={nodeId} onChange={(event) => setNodeId(event.target.value)} aria-label="Node to move to">
                {targets.map((node) => (
                  <option key={node.id} value={node.id}>
                    {node.label} ({node.id})
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Why (kept in the audit log)
            <textarea value={reason} onChange={(event) => setReason(event.target.value)} required maxLength={1000}
                      aria-label="Reason" />
          </label>
          {problem && <p className="text-danger small">{problem}</p>}
          <div className="row-actions">
            <button type="submit" className="button small" disabled={busy || !reason.trim()}>
              Confirm
            </button>
            <button type="button" className="button secondary small" onClick={() => setAction(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
