/** "Send to a segment…": choose a segment by name, confirm, then follow the broadcast while its jobs enrol the segment's
 * members at the live flow's manual trigger, and see what it did beside the flow's earlier broadcasts. */
import { useEffect, useId, useRef, useState } from "react";

import {
  type Broadcast,
  type FlowVersion,
  getBroadcast,
  getFlowVersion,
  getSegment,
  listBroadcasts,
  listSegments,
  type Segment,
  sendToSegment,
} from "../api";
import { audienceName, confirmation, finished, outcome, progressNote, reentryNote } from "./broadcast";
import { formatDateTime } from "./localeFormat";

/** How often the broadcast is asked for while its jobs run. */
const POLL_MS = 500;
/** How many of the flow's earlier broadcasts are listed. */
const EARLIER_SHOWN = 5;

interface BroadcastDialogProps {
  flowId: number;
  flowName: string;
  /** The live version, whose re-entry rule decides who is kept out. */
  liveVersion: number;
  onClose(): void;
}

export function BroadcastDialog({ flowId, flowName, liveVersion, onClose }: BroadcastDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [segments, setSegments] = useState<Segment[] | null>(null);
  const [version, setVersion] = useState<FlowVersion | null>(null);
  const [earlier, setEarlier] = useState<{ items: Broadcast[]; total: number } | null>(null);
  const [segmentId, setSegmentId] = useState<number | null>(null);
  const [counted, setCounted] = useState<Segment | null>(null);
  const [sending, setSending] = useState(false);
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  useEffect(() => {
    let current = true;
    const fail = (error: Error) => current && setProblem(error.message);
    listSegments().then((found) => current && setSegments(found), fail);
    getFlowVersion(flowId, liveVersion).then((found) => current && setVersion(found), fail);
    listBroadcasts(flowId, EARLIER_SHOWN).then((found) => current && setEarlier(found), fail);
    return () => {
      current = false;
    };
  }, [flowId, liveVersion]);

  // The list of segments has no counts: the chosen one is counted when chosen (an answer for an earlier choice is dropped).
  useEffect(() => {
    if (segmentId === null) return;
    let current = true;
    getSegment(segmentId).then(
      (segment) => current && setCounted(segment),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [segmentId]);

  // Until its jobs stop, the broadcast is asked for again POLL_MS after each answer.
  useEffect(() => {
    if (broadcast === null || finished(broadcast)) return;
    let current = true;
    const timer = setTimeout(
      () =>
        getBroadcast(broadcast.id).then(
          (answer) => current && setBroadcast(answer),
          (error: Error) => current && setProblem(error.message),
        ),
      POLL_MS,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [broadcast]);

  const chosen = counted !== null && counted.id === segmentId ? { name: counted.name, count: counted.count ?? 0 } : null;

  const send = () => {
    setSending(true);
    setProblem(null);
    sendToSegment(flowId, segmentId!)
      .then(setBroadcast, (error: Error) => setProblem(error.message))
      .finally(() => setSending(false));
  };

  return (
    <dialog ref={dialog} className="broadcast-dialog" onClose={onClose} aria-labelledby={titleId} data-testid="broadcast-dialog">
      <h2 id={titleId}>Send to a segment</h2>
      {broadcast === null ? (
        <>
          <label className="field">
            <span>Segment</span>
            <select
              value={segmentId ?? ""}
              disabled={segments === null || sending}
              onChange={(event) => setSegmentId(event.target.value ? Number(event.target.value) : null)}
              data-testid="broadcast-segment"
            >
              <option value="">{segments === null ? "Loading…" : "Choose a segment…"}</option>
              {segments?.map((segment) => (
                <option key={segment.id} value={segment.id}>
                  {segment.name}
                </option>
              ))}
            </select>
          </label>
          {segments?.length === 0 && <p className="muted">There are no segments yet: POST /api/segments makes one (see /api/docs).</p>}
          {segmentId !== null && chosen === null && <p className="muted">Counting the segment's contacts…</p>}
          {chosen !== null && version !== null && (
            <div className="broadcast-confirm" data-testid="broadcast-confirm">
              <p>
                <strong>{confirmation(flowName, chosen)}</strong>
              </p>
              <p>{reentryNote(version.document.settings)}</p>
            </div>
          )}
        </>
      ) : (
        <div data-testid="broadcast-progress">
          <p>
            Sending '{flowName}' to {audienceName(broadcast)}.
          </p>
          <progress max={1} value={broadcast.progress} aria-label="Contacts checked" />
          <p data-testid="broadcast-progress-note">{progressNote(broadcast)}</p>
          {finished(broadcast) ? (
            <p className={broadcast.status === "failed" ? "text-danger" : "text-ok"} data-testid="broadcast-result">
              {outcome(broadcast)}
            </p>
          ) : (
            <p className="muted small">You may close this window: the broadcast carries on, and is listed here next time.</p>
          )}
        </div>
      )}
      {problem && (
        <p className="text-danger" role="alert">
          {problem}
        </p>
      )}
      {earlier !== null && (
        <section data-testid="broadcast-earlier">
          <h3>Earlier broadcasts{earlier.total > earlier.items.length && ` (the latest ${earlier.items.length} of ${earlier.total})`}</h3>
          {earlier.total === 0 ? (
            <p className="muted small">None yet.</p>
          ) : (
            <ul className="broadcast-earlier">
              {earlier.items.map((item) => (
                <li key={item.id}>
                  <span className="muted">{formatDateTime(item.created_at)}</span> to {audienceName(item)}:{" "}
                  {finished(item) ? outcome(item) : progressNote(item)}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <div className="broadcast-actions">
        {broadcast === null && (
          <button type="button" className="button" onClick={send} disabled={chosen === null || chosen.count === 0 || version === null || sending} data-testid="broadcast-send">
            {sending ? "Sending…" : "Send"}
          </button>
        )}
        <button type="button" className="button secondary" onClick={() => dialog.current?.close()}>
          {broadcast === null ? "Cancel" : "Close"}
        </button>
      </div>
    </dialog>
  );
}
