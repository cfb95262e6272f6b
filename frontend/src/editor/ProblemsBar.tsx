/** The validation problems under the canvas, then its warnings (which do not stop publishing, like a message that
 * prints a name with no fallback); clicking one selects the node it concerns. */
import type { FlowError } from "../api";
import { editorStore, useEditor, useNodeLabel } from "./store";

/** Whether the server marked `error` a warning (flows.errors.Severity): the flow can be published with it. */
export function isWarning(error: FlowError): boolean {
  return error.severity === "warning";
}

/** What stops the flow from being published: `found` without its warnings. */
export function blockingProblems(found: FlowError[]): FlowError[] {
  return found.filter((error) => !isWarning(error));
}

/** The node a problem concerns, by the name the canvas shows it under. */
function NodeName({ nodeId }: { nodeId: string }) {
  return <b className="problem-node">{useNodeLabel(nodeId)}: </b>;
}

function ProblemList({ errors, className }: { errors: FlowError[]; className?: string }) {
  return (
    <ul className={className}>
      {errors.map((error) => (
        <li key={`${error.pointer}:${error.code}:${error.message}`}>
          <button type="button" className="link" onClick={() => editorStore.getState().selectNode(error.node_id)} disabled={!error.node_id}>
            {error.node_id && <NodeName nodeId={error.node_id} />}
            {error.message}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function ProblemsBar() {
  const found = useEditor((state) => state.errors);
  if (!found.length) return null;
  const problems = blockingProblems(found);
  const warnings = found.filter(isWarning);
  return (
    <div className={problems.length ? "problems" : "problems warnings-only"} data-testid="problems">
      {problems.length > 0 && (
        <>
          <strong>
            {problems.length} problem{problems.length === 1 ? "" : "s"}
          </strong>
          <ProblemList errors={problems} />
        </>
      )}
      {warnings.length > 0 && (
        <>
          <strong data-testid="warnings">
            {warnings.length} warning{warnings.length === 1 ? "" : "s"} (the flow can still be published)
          </strong>
          <ProblemList errors={warnings} className="text-warning" />
        </>
      )}
    </div>
  );
}
