/** The canvas card of a trigger node. */
import type { NodeProps } from "@xyflow/react";

import { segmentName, useSegments } from "../components/segments";
import type { FlowNode } from "../editor/graph";
import { useFilterLanguage } from "../forms/FilterBuilder";
import { describeRules } from "../forms/filterText";
import { NodeCard, Missing } from "./NodeCard";

export function TriggerNode({ id, data, selected }: NodeProps<FlowNode>) {
  const language = useFilterLanguage();
  const segments = useSegments();
  let summary;
  if (data.on === "segment_entered") summary = data.segment ? <>Enters <b>{segmentName(segments, data.segment)}</b></> : <Missing>Choose a segment</Missing>;
  else if (data.on === "manual") summary = "Added by hand, the API or a broadcast";
  else if (data.event) {
    const where = language ? describeRules(data.where, language) : "";
    summary = <>When <b>{String(data.event)}</b>{where && ` where ${where}`}</>;
  } else summary = <Missing>Choose the event that starts the flow</Missing>;
  return <NodeCard id={id} type="trigger" data={data} selected={selected} summary={summary} />;
}
