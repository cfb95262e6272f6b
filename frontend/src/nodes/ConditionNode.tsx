/** The canvas card of a condition node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";
import { describeRule } from "../forms/filterText";
import { NodeCard, Missing } from "./NodeCard";

export function ConditionNode({ id, data, selected }: NodeProps<FlowNode>) {
  const rule = describeRule(data.filter);
  const summary = rule ? <>If {rule}</> : <Missing>Add a rule</Missing>;
  return <NodeCard id={id} type="condition" data={data} selected={selected} summary={summary} />;
}
