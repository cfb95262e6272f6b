/** The publish dialog's plan: where the contacts waiting at each node of an older version go, as the marketer chose,
 * and the words for the preview's rows and the versions' differences. */
import type { FlowDiff, MigrationPlan, WaitingNode } from "../api";

/** Where a node's contacts go: a node of the new version, or out of the flow (a node may be called "exit"). */
export type Destination = { to: string } | { exit: true };
/** The marketer's choices, by the (version, node) their contacts wait at. */
export type Choices = Map<string, { version: number; node_id: string; destination: Destination }>;

export const choiceKey = (node: Pick<WaitingNode, "version" | "node_id">) => `${node.version}:${node.node_id}`;

/** The plan to send: keep, or move with one entry per choice made. */
export function migrationPlan(move: boolean, choices: Choices): MigrationPlan {
  if (!move) return { mode: "keep", map: [] };
  const map = [...choices.values()].map(({ version, node_id, destination }) => ({ version, node_id, ...destination }));
  return { mode: "move", map };
}

/** What the preview says happens to a row's contacts. */
export function rowOutcome(node: WaitingNode): string {
  const count = node.waiting === 1 ? "1 contact" : `${node.waiting} contacts`;
  const staying = node.staying ? ` (${node.staying} more stay: a step away or waiting on a message)` : "";
  switch (node.action) {
    case "move":
      return `${count} → ${node.to_label ?? node.to}${node.wake === "recomputed" ? ", their wait counted again" : ""}${staying}`;
    case "exit":
      return `${count} leave the flow${staying}`;
    case "stay":
      return `${count} stay on version ${node.version}${staying}`;
    default:
      return `${count}: choose where they go${staying}`;
  }
}

/** Node changes that matter (a node only dragged elsewhere on the canvas has not changed). */
export function changedNodes(diff: FlowDiff): { added: string[]; removed: string[]; changed: string[] } {
  const moved = (pointer: string) => /^\/nodes\/\d+\/position(\/|$)/.test(pointer);
  return {
    added: diff.nodes.added.map((node) => String(node.id)),
    removed: diff.nodes.removed.map((node) => String(node.id)),
    changed: diff.nodes.changed
      .filter((node) => node.changes.some((change) => !moved(change.pointer)))
      .map((node) => String(node.id)),
  };
}
