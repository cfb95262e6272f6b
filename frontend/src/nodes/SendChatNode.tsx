/** The canvas card of a send_chat node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

export function SendChatNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.body ? <>“{clip(data.body)}”</> : <Missing>Write the message</Missing>;
  return <NodeCard id={id} type="send_chat" data={data} selected={selected} summary={summary} />;
}
