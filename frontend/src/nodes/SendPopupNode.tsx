/** The canvas card of a send_popup node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

export function SendPopupNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.title ? (
    <>
      {data.size === "large" ? "Large" : "Small"} popup: “{clip(data.title, 40)}”
    </>
  ) : (
    <Missing>Write the popup</Missing>
  );
  return <NodeCard id={id} type="send_popup" data={data} selected={selected} summary={summary} />;
}
