/** The list of flows' rules: how its columns sort, and what archiving and deleting a flow do, said beforehand. */
import type { FlowStatus, FlowSummary } from "../api";
import { formatNumber, type LocaleOptions } from "./localeFormat";

export type SortKey = "name" | "status" | "entered" | "updated";

export interface FlowSort {
  key: SortKey;
  descending: boolean;
}

/** How a column sorts when first picked: names A to Z, live flows first, the most entered and the latest edited first. */
export const FIRST_DESCENDING: Record<SortKey, boolean> = { name: false, status: false, entered: true, updated: true };

// Running flows first, then the ones still being drawn, then those done with.
const STATUS_ORDER: Record<FlowStatus, number> = { live: 0, paused: 1, draft: 2, archived: 3 };

/** Picking a column sorts by it; picking the sorted column again turns the order round. */
export function nextSort(current: FlowSort, key: SortKey): FlowSort {
  return current.key === key ? { key, descending: !current.descending } : { key, descending: FIRST_DESCENDING[key] };
}

/** The flows in the sort's order (a new array); ties keep the order they came in, the last edited first. */
export function sortFlows(flows: FlowSummary[], { key, descending }: FlowSort, locale?: string): FlowSummary[] {
  const names = new Intl.Collator(locale, { sensitivity: "base", numeric: true }); // "Cart (2)" before "Cart (10)"
  const compare = (a: FlowSummary, b: FlowSummary): number => {
    if (key === "name") return names.compare(a.name, b.name);
    if (key === "status") return STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
    if (key === "entered") return a.entered - b.entered;
    return Date.parse(a.updated_at) - Date.parse(b.updated_at);
  };
  return [...flows].sort((a, b) => (descending ? compare(b, a) : compare(a, b)));
}

/** What archiving does to the contacts waiting in the flow. */
export function archiveConsequence(waiting: number, options: LocaleOptions = {}): string {
  if (waiting === 0) return "No one is waiting in it; its statistics stay.";
  return `Archiving ends the ${formatNumber(waiting, options)} ${waiting === 1 ? "run" : "runs"} waiting in it; its statistics stay.`;
}

/** What deleting does (only a draft or an archived flow, where no one waits, can be deleted). */
export function deleteConsequence(entered: number): string {
  const removed = "Deleting removes the flow, its versions, runs and statistics for good.";
  return entered === 0 ? removed : `${removed} Its contacts stay, with the messages they were sent.`;
}
