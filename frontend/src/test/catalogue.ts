/** A node catalogue shaped like GET /api/node-types, with the ports of the real node types. */
import type { NodeTypeInfo } from "../api";
import type { Catalogue } from "../editor/graph";

function nodeType(type: string, ports: string[], extra: Partial<NodeTypeInfo> = {}): NodeTypeInfo {
  return {
    type,
    label: type,
    category: "action",
    description: "",
    ports,
    dynamic_ports: false,
    waits: false,
    is_entry: false,
    config_schema: { type: "object" },
    ...extra,
  };
}

export const NODE_TYPES: NodeTypeInfo[] = [
  nodeType("trigger", ["next"], {
    is_entry: true,
    config_schema: { type: "object", properties: { on: { enum: ["event", "manual"], default: "event" }, event: { type: "string" } } },
  }),
  nodeType("wait", ["next"], {
    waits: true,
    config_schema: { type: "object", minProperties: 1, properties: { duration: { type: "string", default: "P1D" }, until: { type: "object" } } },
  }),
  nodeType("wait_for_event", ["event", "timeout"], {
    config_schema: { type: "object", required: ["event", "timeout"], properties: { event: { type: "string" }, timeout: { type: "string", default: "PT1H" } } },
  }),
  nodeType("condition", ["yes", "no"]),
  nodeType("split", [], {
    dynamic_ports: true,
    config_schema: { type: "object", required: ["variants"], properties: { variants: { type: "array", default: [{ id: "a", weight: 50 }, { id: "b", weight: 50 }] } } },
  }),
  nodeType("send_email", ["next"]),
  nodeType("webhook", ["next", "failed"]),
  nodeType("exit", []),
];

export const CATALOGUE: Catalogue = Object.fromEntries(NODE_TYPES.map((info) => [info.type, info]));
