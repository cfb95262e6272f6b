/** The canvas card of an update_conversation node: who the conversation goes to, and whether it closes or reopens. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

const STATUS_TEXT: Record<string, string> = { closed: "close the conversation", open: "reopen the conversation" };

export function UpdateConversationNode({ id, data, selected }: NodeProps<FlowNode>) {
  const changes = [
    ...(typeof data.assign_to === "string" ? [`assign to ${data.assign_to}`] : []),
    ...(typeof data.status === "string" ? [STATUS_TEXT[data.status] ?? data.status] : []),
  ];
  const summary = changes.length ? clip(changes.join(", ")) : <Missing>Choose what to change</Missing>;
  return <NodeCard id={id} type="update_conversation" data={data} selected={selected} summary={summary} />;
}
