/** Publishing a flow that already has a live version: what changed since it (nodes added, removed, changed), and
 * what happens to the contacts waiting in older versions — they keep their version, or they move, each node's
 * contacts where the marketer says, with the preview's numbers ("3 contacts waiting at Wait (v1) → Later") before
 * anything happens. */
import { useEffect, useId, useMemo, useRef, useState } from "react";

import { diffFlow, type MigrationPreview, previewMigration, publishFlow, type WaitingNode } from "../api";
import { changedNodes, type Choices, choiceKey, type Destination, migrationPlan, rowOutcome } from "./migrationPlan";
import { useEditor } from "./store";

type Changes = ReturnType<typeof changedNodes>;

/** A removed node, or one whose type or wait changed: the plan must say where its contacts go. */
const needsChoice = (node: WaitingNode) => !["unchanged", "changed"].includes(node.change);

const destinationValue = (destination: Destination | undefined) =>
  destination === undefined ? "" : "exit" in destination ? "exit" : `to:${destination.to}`;

function Destinations({ node, choices, onChoose }: { node: WaitingNode; choices: Choices; onChoose(key: string, to: Destination | null): void }) {
  const nodes = useEditor((state) => state.nodes);
  const labels = useEditor((state) => state.labels);
  const catalogue = useEditor((state) => state.catalogue);
  const targets = useMemo(
    () =>
      nodes
        .filter((each) => !catalogue[each.type ?? ""]?.is_entry)
        .map((each) => ({ id: each.id, label: labels[each.id] || catalogue[each.type ?? ""]?.label || each.id })),
    [nodes, labels, catalogue],
  );
  const key = choiceKey(node);
  const value = destinationValue(choices.get(key)?.destination);
  return (
    <select
      value={value}
      aria-label={`Where the contacts at ${node.label} (v${node.version}) go`}
      onChange={(event) => {
        const chosen = event.target.value;
        onChoose(key, chosen === "" ? null : chosen === "exit" ? { exit: true } : { to: chosen.slice(3) });
      }}
    >
      <option value="">{needsChoice(node) ? "Choose…" : "The same node"}</option>
      {targets.map((target) => (
        <option key={target.id} value={`to:${target.id}`}>
          {target.label} ({target.id})
        </option>
      ))}
      <option value="exit">Leave the flow</option>
    </select>
  );
}

export function PublishDialog({ flowId, liveVersion, onClose, onPublished }: {
  flowId: number;
  liveVersion: number;
  onClose(): void;
  onPublished(version: number, moving: number): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [changes, setChanges] = useState<Changes | null>(null);
  const [move, setMove] = useState(false);
  const [choices, setChoices] = useState<Choices>(new Map());
  const [preview, setPreview] = useState<MigrationPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const labels = useEditor((state) => state.labels);
  const label = (nodeId: string) => labels[nodeId] || nodeId;

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);
  useEffect(() => {
    let current = true;
    diffFlow(flowId, String(liveVersion), "draft").then(
      (diff) => current && setChanges(changedNodes(diff)),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [flowId, liveVersion]);
  // The preview follows every choice (an answer for an earlier plan is dropped).
  useEffect(() => {
    let current = true;
    previewMigration(flowId, migrationPlan(move, choices)).then(
      (answer) => current && (setPreview(answer), setProblem(null)),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [flowId, move, choices]);

  const choose = (key: string, destination: Destination | null) => {
    const node = preview?.nodes.find((each) => choiceKey(each) === key);
    if (!node) return;
    const next = new Map(choices);
    if (destination === null) next.delete(key);
    else next.set(key, { version: node.version, node_id: node.node_id, destination });
    setChoices(next);
  };
  const publish = () => {
    setPublishing(true);
    publishFlow(flowId, move ? migrationPlan(true, choices) : undefined).then(
      (result) => onPublished(result.version, move ? (preview?.moving ?? 0) + (preview?.exiting ?? 0) : 0),
      (error: Error) => {
        setProblem(error.message);
        setPublishing(false);
      },
    );
  };
  const waiting = preview?.nodes.reduce((sum, node) => sum + node.waiting + node.staying, 0) ?? 0;
  const ready = preview !== null && (!move || preview.complete);
  return (
    <dialog ref={dialog} className="broadcast-dialog publish-dialog" onClose={onClose} aria-labelledby={titleId} data-testid="publish-dialog">
      <h2 id={titleId}>Publish version {preview?.to_version ?? "…"}</h2>
      <h3>Changed since version {liveVersion}</h3>
      {changes === null ? (
        <p className="muted small">Comparing…</p>
      ) : (
        <ul className="small version-changes" data-testid="publish-changes">
          {(["added", "removed", "changed"] as const).map((kind) => (
            <li key={kind} className={`change-${kind}`}>
              {kind[0].toUpperCase() + kind.slice(1)}: {changes[kind].length ? changes[kind].map(label).join(", ") : "none"}
            </li>
          ))}
        </ul>
      )}
      <h3>Contacts in older versions</h3>
      {preview !== null && waiting === 0 ? (
        <p className="muted small">No one is waiting in an older version: contacts enter the new one.</p>
      ) : (
        <>
          <label className="radio">
            <input type="radio" name="migration" checked={!move} onChange={() => setMove(false)} /> Keep them on the version they entered
          </label>
          <label className="radio">
            <input type="radio" name="migration" checked={move} onChange={() => setMove(true)} data-testid="migration-move" /> Move the
            waiting ones to the new version
          </label>
          <table className="migration-rows" data-testid="migration-preview">
            <tbody>
              {preview?.nodes.map((node) => (
                <tr key={choiceKey(node)} data-testid={`migration-row-${node.version}-${node.node_id}`}>
                  <td>
                    <b>{node.label}</b> <span className="muted small">v{node.version} · {node.change.replace("_", " ")}</span>
                  </td>
                  <td>{rowOutcome(node)}</td>
                  <td>{move && <Destinations node={node} choices={choices} onChoose={choose} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {move && preview && (
            <p className="small">
              {preview.moving} move, {preview.exiting} leave the flow, {preview.staying} stay.
              {!preview.complete && " Choose where the contacts of every removed or changed wait go."}
            </p>
          )}
        </>
      )}
      {problem && <p className="text-danger small">{problem}</p>}
      <div className="confirm-dialog-actions">
        <button type="button" className="button secondary" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
        <button type="button" className="button" onClick={publish} disabled={!ready || publishing} data-testid="publish-confirm">
          {publishing ? "Publishing…" : "Publish"}
        </button>
      </div>
    </dialog>
  );
}
