/** The canvas card of a split node. */
import type { NodeProps } from "@xyflow/react";

import type { FlowNode } from "../editor/graph";

import { NodeCard } from "./NodeCard";

export function SplitNode({ id, data, selected }: NodeProps<FlowNode>) {
  const variants = Array.isArray(data.variants) ? (data.variants as { id: string; label?: string; weight: number }[]) : [];
  const summary = variants.map((variant) => `${variant.label || variant.id} ${variant.weight}%`).join(" · ");
  return <NodeCard id={id} type="split" data={data} selected={selected} summary={summary} />;
}
