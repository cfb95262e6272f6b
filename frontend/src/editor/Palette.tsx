/** The node palette, built from GET /api/node-types: drag a node onto the canvas, or click to add it. */
import type { NodeCategory, NodeTypeInfo } from "../api";
import { NodeIcon } from "../nodes/icons";
import { useEditor } from "./store";

export const DRAG_TYPE = "application/x-automap-node";

// Typed by the served categories: a category the API adds fails the build until it has a title here.
const CATEGORY_TITLES: Record<NodeCategory, string> = {
  trigger: "Start",
  timing: "Timing",
  logic: "Logic",
  message: "Messages",
  action: "Actions",
  outcome: "Outcome",
};

export function Palette({ onAdd }: { onAdd(type: string): void }) {
  const catalogue = useEditor((state) => state.catalogue);
  const groups = new Map<NodeCategory, NodeTypeInfo[]>();
  for (const info of Object.values(catalogue)) groups.set(info.category, [...(groups.get(info.category) ?? []), info]);
  return (
    <aside className="palette" aria-label="Node palette" data-testid="palette">
      {[...groups.entries()].map(([category, types]) => (
        <section key={category}>
          <h4>{CATEGORY_TITLES[category]}</h4>
          {types.map((info) => (
            <div
              key={info.type}
              className={`palette-item category-${info.category}`}
              data-testid={`palette-${info.type}`}
              draggable
              title={info.description}
              onDragStart={(event) => {
                event.dataTransfer.setData(DRAG_TYPE, info.type);
                event.dataTransfer.effectAllowed = "move";
              }}
              onDoubleClick={() => onAdd(info.type)}
            >
              <span className="palette-icon">
                <NodeIcon type={info.type} size={14} />
              </span>
              <span className="palette-text">
                <span className="palette-label">{info.label}</span>
                <span className="palette-description">{info.description}</span>
              </span>
            </div>
          ))}
        </section>
      ))}
    </aside>
  );
}
