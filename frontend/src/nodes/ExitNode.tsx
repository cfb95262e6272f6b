/** The canvas card of a exit node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip } from "./NodeCard";

export function ExitNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.reason ? clip(data.reason) : "The run ends here";
  return <NodeCard id={id} type="exit" data={data} selected={selected} summary={summary} />;
}
