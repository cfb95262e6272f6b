/** The inbox's live state shared by the whole tab: one event stream, however many parts of the page listen (the nav
 * badge, the title counter, the inbox page), and the counts of each view, read again as conversations change. */
import { useEffect, useRef, useSyncExternalStore } from "react";

import { getConversationCounts } from "../api";
import { openInboxStream } from "./inboxStream";
import type { ConversationCounts, ConversationEvent } from "./types";

/** What the stream tells a listener: a conversation changed, or the stream (re)connected and may have missed some. */
export type InboxSignal = { kind: "conversation"; event: ConversationEvent } | { kind: "connected" };

// A burst of events (a broadcast's replies) reads the counts once.
const COUNTS_DELAY_MS = 300;

let counts: ConversationCounts | null = null;
const countWatchers = new Set<() => void>();
const signalWatchers = new Set<(signal: InboxSignal) => void>();
let holders = 0;
let closeStream: (() => void) | null = null;
let closeTimer: ReturnType<typeof setTimeout> | undefined;
let countsTimer: ReturnType<typeof setTimeout> | undefined;

function announce(signal: InboxSignal): void {
  signalWatchers.forEach((watcher) => watcher(signal));
  refreshCounts();
}

/** Reads the counts again soon (once for several calls close together). */
export function refreshCounts(): void {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(() => {
    getConversationCounts().then(
      (found) => {
        counts = found;
        countWatchers.forEach((watcher) => watcher());
      },
      // The badge keeps its last figure; the next event or reconnection reads them again.
      () => undefined,
    );
  }, COUNTS_DELAY_MS);
}

/** Keeps the stream open until the answer is called; the last one to let go closes it. */
function holdStream(): () => void {
  holders += 1;
  clearTimeout(closeTimer);
  if (!closeStream) {
    closeStream = openInboxStream({
      onConnected: () => announce({ kind: "connected" }),
      onConversation: (event) => announce({ kind: "conversation", event }),
    });
    refreshCounts(); // now, not only once the stream is open: the badge shows even while it cannot connect
  }
  return () => {
    holders -= 1;
    // A component shown again at once (a route change, React's strict mode) keeps the same stream.
    closeTimer = setTimeout(() => {
      if (holders > 0 || !closeStream) return;
      closeStream();
      closeStream = null;
      counts = null;
    }, 0);
  };
}

function watchCounts(watcher: () => void): () => void {
  countWatchers.add(watcher);
  return () => countWatchers.delete(watcher);
}

/** The counts of the inbox's views and of unread conversations, kept current; null until first read. */
export function useInboxCounts(): ConversationCounts | null {
  const current = useSyncExternalStore(watchCounts, () => counts);
  useEffect(holdStream, []);
  return current;
}

/** Calls `listener` (its latest version) with every signal of the stream while the caller is shown. */
export function useInboxSignals(listener: (signal: InboxSignal) => void): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => {
    const watcher = (signal: InboxSignal) => latest.current(signal);
    signalWatchers.add(watcher);
    const release = holdStream();
    return () => {
      signalWatchers.delete(watcher);
      release();
    };
  }, []);
}
