/** The validation problems under the canvas; clicking one selects the node it concerns. */
import { editorStore, useEditor } from "./store";

export function ProblemsBar() {
  const errors = useEditor((state) => state.errors);
  if (!errors.length) return null;
  return (
    <div className="problems" data-testid="problems">
      <strong>
        {errors.length} problem{errors.length === 1 ? "" : "s"}
      </strong>
      <ul>
        {errors.map((error) => (
          <li key={`${error.pointer}:${error.code}:${error.message}`}>
            <button type="button" className="link" onClick={() => editorStore.getState().selectNode(error.node_id)} disabled={!error.node_id}>
              {error.message}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
