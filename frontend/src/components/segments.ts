/** The segments, fetched once and shared by every place that chooses one by name (the rule builder's segment
 * rules, the segments list); a page that creates, renames or deletes one calls `reloadSegments`. */
import { useEffect, useSyncExternalStore } from "react";

import { listSegments, type Segment } from "../api";

let segments: Segment[] | null = null;
let request: Promise<Segment[]> | null = null;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The segments, asked for the first time only (and again after a failure or `reloadSegments`). */
export function loadSegments(): Promise<Segment[]> {
  request ??= listSegments({ counts: false }).then(
    (found) => {
      segments = found;
      listeners.forEach((listener) => listener());
      return found;
    },
    (error: Error) => {
      request = null;
      throw error;
    },
  );
  return request;
}

/** Asks for the segments again, after one was created, renamed or deleted. */
export function reloadSegments(): Promise<Segment[]> {
  request = null;
  return loadSegments();
}

/** The segments, by name, or null until they are loaded. */
export function useSegments(): Segment[] | null {
  const current = useSyncExternalStore(subscribe, () => segments);
  useEffect(() => {
    // A failure leaves the list null: the select says it could not load them, and the next use asks again.
    loadSegments().catch(() => undefined);
  }, []);
  return current;
}

/** "Pro plan", or "segment #7" for an id no loaded segment has. */
export function segmentName(list: Segment[] | null, id: unknown): string {
  return list?.find((segment) => segment.id === id)?.name ?? `segment #${String(id)}`;
}
