/** The canvas card of a condition node. */
import type { NodeProps } from "@xyflow/react";

import { useSegments } from "../components/segments";
import type { FlowNode } from "../editor/graph";
import { useFilterLanguage } from "../forms/FilterBuilder";
import { describeRule } from "../forms/filterText";
import { NodeCard, Missing } from "./NodeCard";

export function ConditionNode({ id, data, selected }: NodeProps<FlowNode>) {
  const language = useFilterLanguage();
  const segments = useSegments();
  const rule = language ? describeRule(data.filter, language, segments) : "";
  const summary = rule ? <>If {rule}</> : <Missing>Add a rule</Missing>;
  return <NodeCard id={id} type="condition" data={data} selected={selected} summary={summary} />;
}
