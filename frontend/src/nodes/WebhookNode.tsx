/** The canvas card of a webhook node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

export function WebhookNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.url ? `${String(data.method ?? "POST")} ${clip(data.url, 40)}` : <Missing>Enter the URL to call</Missing>;
  return <NodeCard id={id} type="webhook" data={data} selected={selected} summary={summary} />;
}
