/** The canvas card of a wait node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";
import { describeDuration } from "../forms/duration";
import { NodeCard, Missing } from "./NodeCard";

export function WaitNode({ id, data, selected }: NodeProps<FlowNode>) {
  const until = data.until as { weekdays?: string[]; time?: string } | undefined;
  const summary = data.duration
    ? `Wait ${describeDuration(String(data.duration))}`
    : until
      ? `Until ${until.weekdays?.length ? until.weekdays.map((day) => day.slice(0, 3)).join(", ") : "any day"} at ${until.time ?? "?"}`
      : <Missing>Choose how long to wait</Missing>;
  return <NodeCard id={id} type="wait" data={data} selected={selected} summary={summary} />;
}
