/** The node catalogue GET /api/node-types serves, as `make node-catalogue` wrote it from the node registry (a test fails when it is stale). */
import type { NodeCatalogue } from "../api";
import type { Catalogue } from "../editor/graph";
import served from "./node-catalogue.json";

// Through unknown: TypeScript infers each JSON object literally (a record of ports becomes optional keys), not as the API type.
export const NODE_CATALOGUE = served as unknown as NodeCatalogue;
export const NODE_TYPES = NODE_CATALOGUE.node_types;
export const CATALOGUE: Catalogue = Object.fromEntries(NODE_TYPES.map((info) => [info.type, info]));
