/** The canvas card of a update_contact node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard, clip, Missing } from "./NodeCard";

export function UpdateContactNode({ id, data, selected }: NodeProps<FlowNode>) {
  const changes = [
    ...Object.keys((data.set as object) ?? {}).map((name) => `set ${name}`),
    ...((data.unset as string[]) ?? []).map((name) => `clear ${name}`),
    ...((data.add_tags as string[]) ?? []).map((tag) => `+${tag}`),
    ...((data.remove_tags as string[]) ?? []).map((tag) => `−${tag}`),
  ];
  const summary = changes.length ? clip(changes.join(", ")) : <Missing>Choose what to change</Missing>;
  return <NodeCard id={id} type="update_contact" data={data} selected={selected} summary={summary} />;
}
