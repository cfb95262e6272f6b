/** A conversation's thread kept current by live events and by what this tab sends, each item shown once. */
import type { ThreadItem } from "./types";

/** Items of different kinds share ids (message 4, note 4): kind and id together name one. */
export function itemKey(item: Pick<ThreadItem, "kind" | "id">): string {
  return `${item.kind}:${item.id}`;
}

/** The thread with `item`: an item already there is replaced where it stands (its statuses or email forward
 * changed), a new one goes in by time, oldest first (after any of the same moment). */
export function withItem(items: ThreadItem[], item: ThreadItem): ThreadItem[] {
  const key = itemKey(item);
  const existing = items.findIndex((shown) => itemKey(shown) === key);
  if (existing !== -1) return items.map((shown, index) => (index === existing ? item : shown));
  const at = Date.parse(item.at);
  const later = items.findIndex((shown) => Date.parse(shown.at) > at);
  return later === -1 ? [...items, item] : [...items.slice(0, later), item, ...items.slice(later)];
}
