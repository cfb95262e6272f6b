/** The canvas card of a wait_for_event node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";
import { describeDuration } from "../forms/duration";
import { NodeCard, Missing } from "./NodeCard";

export function WaitForEventNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.event ? (
    <>Waits for <b>{String(data.event)}</b> up to {describeDuration(String(data.timeout ?? ""))}</>
  ) : (
    <Missing>Choose the event to wait for</Missing>
  );
  return <NodeCard id={id} type="wait_for_event" data={data} selected={selected} summary={summary} />;
}
