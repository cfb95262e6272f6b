/** The canvas card of a send_email node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

export function SendEmailNode({ id, data, selected }: NodeProps<FlowNode>) {
  const summary = data.template_id ? (
    `Template #${data.template_id}`
  ) : data.subject ? (
    <>“{clip(data.subject)}”</>
  ) : (
    <Missing>Write the email or pick a template</Missing>
  );
  return <NodeCard id={id} type="send_email" data={data} selected={selected} summary={summary} />;
}
