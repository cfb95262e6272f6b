/** A flow's status as a coloured badge. */
import type { FlowStatus } from "../api";

const LABELS: Record<FlowStatus, string> = { draft: "Draft", live: "Live", paused: "Paused", archived: "Archived" };

export function StatusBadge({ status }: { status: FlowStatus }) {
  return <span className={`badge status-${status}`}>{LABELS[status] ?? status}</span>;
}
