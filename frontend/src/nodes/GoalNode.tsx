/** The canvas card of a goal node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, Missing } from "./NodeCard";

export function GoalNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.name ? <>Goal: <b>{String(data.name)}</b></> : <Missing>Name the goal</Missing>;
  return <NodeCard id={id} type="goal" data={data} selected={selected} summary={summary} />;
}
