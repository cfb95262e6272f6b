/** "Send to a segment…": from a flow, choose a segment by name; from a segment, choose a live flow that starts by hand.
 * Then confirm, follow the broadcast while its jobs enrol the segment's members at the live flow's manual trigger, and
 * see what it did beside the flow's earlier broadcasts. */
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";

import {
  type Broadcast,
  type FlowVersion,
  getBroadcast,
  getFlowVersion,
  getSegment,
  listBroadcasts,
  listFlows,
  listSegments,
  type Segment,
  sendToSegment,
} from "../api";
import { audienceName, confirmation, documentSendsByHand, finished, NO_MANUAL_FLOW, outcome, progressNote, reentryNote } from "./broadcast";
import { formatDateTime } from "./localeFormat";

/** How often the broadcast is asked for while its jobs run. */
const POLL_MS = 500;
/** How many of the flow's earlier broadcasts are listed. */
const EARLIER_SHOWN = 5;

/** A live flow that can take a broadcast: its name and its live version, whose re-entry rule decides who is kept out. */
interface LiveFlow {
  id: number;
  name: string;
  version: FlowVersion;
}

/** Opened from a flow (the segment is chosen) or from a segment (`segmentId`: a live flow with a manual trigger is). */
type BroadcastDialogProps = { onClose(): void } & (
  | {
      flowId: number;
      flowName: string;
      /** The live version, whose re-entry rule decides who is kept out. */
      liveVersion: number;
    }
  | { segmentId: number }
);

/** The live flows whose live version starts by hand, by name. */
async function manualFlows(): Promise<LiveFlow[]> {
  const live = (await listFlows("", "live")).filter((flow) => flow.live_version !== null);
  const versions = await Promise.all(live.map((flow) => getFlowVersion(flow.id, flow.live_version!)));
  return live
    .map((flow, index) => ({ id: flow.id, name: flow.name, version: versions[index] }))
    .filter((flow) => documentSendsByHand(flow.version.document))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function BroadcastDialog(props: BroadcastDialogProps) {
  const { onClose } = props;
  const fromFlow = "flowId" in props ? props : null;
  const [fixedFlowId, fixedVersion] = fromFlow ? [fromFlow.flowId, fromFlow.liveVersion] : [null, null];
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [segments, setSegments] = useState<Segment[] | null>(null);
  const [flows, setFlows] = useState<LiveFlow[] | null>(null); // from a segment: the flows to choose from
  const [flowVersion, setFlowVersion] = useState<FlowVersion | null>(null); // from a flow: its live version
  const [chosenFlowId, setChosenFlowId] = useState<number | null>(null);
  const [earlier, setEarlier] = useState<{ items: Broadcast[]; total: number } | null>(null);
  const [segmentId, setSegmentId] = useState<number | null>("segmentId" in props ? props.segmentId : null);
  const [counted, setCounted] = useState<Segment | null>(null);
  const [sending, setSending] = useState(false);
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  const flowId = fixedFlowId ?? chosenFlowId;
  const chosenFlow = flows?.find((flow) => flow.id === chosenFlowId) ?? null;
  const flowName = fromFlow?.flowName ?? chosenFlow?.name ?? "";
  const version = fromFlow ? flowVersion : (chosenFlow?.version ?? null);

  // From a flow: the segments to choose from and the flow's live version; from a segment: the flows to choose from.
  useEffect(() => {
    let current = true;
    const fail = (error: Error) => current && setProblem(error.message);
    if (fixedFlowId !== null && fixedVersion !== null) {
      listSegments({ counts: false }).then((found) => current && setSegments(found), fail);
      getFlowVersion(fixedFlowId, fixedVersion).then((found) => current && setFlowVersion(found), fail);
    } else {
      manualFlows().then((found) => current && setFlows(found), fail);
    }
    return () => {
      current = false;
    };
  }, [fixedFlowId, fixedVersion]);

  useEffect(() => {
    if (flowId === null) return;
    let current = true;
    listBroadcasts(flowId, EARLIER_SHOWN).then(
      (found) => current && setEarlier(found),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [flowId]);

  // The chosen segment is counted afresh when chosen (an answer for an earlier choice is dropped).
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
    sendToSegment(flowId!, segmentId!)
      .then(setBroadcast, (error: Error) => setProblem(error.message))
      .finally(() => setSending(false));
  };

  return (
    <dialog ref={dialog} className="broadcast-dialog" onClose={onClose} aria-labelledby={titleId} data-testid="broadcast-dialog">
      <h2 id={titleId}>{fromFlow ? "Send to a segment" : "Send the segment to a flow"}</h2>
      {broadcast === null ? (
        <>
          {fromFlow ? (
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
          ) : (
            <label className="field">
              <span>Live flow that starts by hand</span>
              <select
                value={chosenFlowId ?? ""}
                disabled={flows === null || sending}
                onChange={(event) => setChosenFlowId(event.target.value ? Number(event.target.value) : null)}
                data-testid="broadcast-flow"
              >
                <option value="">{flows === null ? "Loading…" : "Choose a flow…"}</option>
                {flows?.map((flow) => (
                  <option key={flow.id} value={flow.id}>
                    {flow.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {segments?.length === 0 && (
            <p className="muted">
              There are no segments yet: <Link to="/segments/new">make one</Link>.
            </p>
          )}
          {flows?.length === 0 && <p className="muted">{NO_MANUAL_FLOW}</p>}
          {segmentId !== null && chosen === null && <p className="muted">Counting the segment's contacts…</p>}
          {chosen !== null && version !== null && flowId !== null && (
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
          <button type="button" className="button" onClick={send} disabled={chosen === null || chosen.count === 0 || version === null || flowId === null || sending} data-testid="broadcast-send">
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
