/** The open conversation: loaded when picked, marked read when seen (on opening, and on news while the tab is in
 * view), and its thread kept current by the stream and by what this tab sends. */
import { useCallback, useEffect, useRef, useState } from "react";

import { getConversation, markConversationRead } from "../api";
import { refreshCounts, useInboxSignals } from "./liveInbox";
import { withItem } from "./thread";
import type { ConversationDetail, ConversationSummary, ThreadItem } from "./types";

/** What was last loaded or said, with the conversation it is about: picking another one shows nothing stale. */
interface Loaded {
  id: number;
  detail: ConversationDetail | null;
  problem: string | null;
}

/** `onChange` hears every new state of the conversation's summary (the list shows it). */
export function useConversation(id: number | null, onChange: (conversation: ConversationSummary) => void) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const shownId = useRef(id);
  const announce = useRef(onChange);
  useEffect(() => {
    shownId.current = id;
    announce.current = onChange;
  });

  const fail = useCallback((conversationId: number, error: Error) => {
    if (conversationId !== shownId.current) return;
    setLoaded((current) => (current?.id === conversationId ? { ...current, problem: error.message } : { id: conversationId, detail: null, problem: error.message }));
  }, []);

  /** Changes the shown conversation's detail, if it is still `conversationId`'s. */
  const change = useCallback((conversationId: number, next: (detail: ConversationDetail) => ConversationDetail) => {
    setLoaded((current) => (current?.id === conversationId && current.detail ? { ...current, detail: next(current.detail) } : current));
  }, []);

  /** Takes a new state of the conversation's summary. */
  const apply = useCallback(
    (conversation: ConversationSummary) => {
      change(conversation.id, (detail) => ({ ...detail, ...conversation }));
      announce.current(conversation);
    },
    [change],
  );

  const markRead = useCallback(
    (conversationId: number) => {
      markConversationRead(conversationId).then(
        (conversation) => {
          apply(conversation);
          refreshCounts();
        },
        (error: Error) => fail(conversationId, error),
      );
    },
    [apply, fail],
  );

  /** Reads the conversation; opening it marks it read, reading it again (after a reconnection) only when it holds
   * news and the tab is in view. */
  const load = useCallback(
    (conversationId: number, opening: boolean) => {
      getConversation(conversationId).then(
        (detail) => {
          if (conversationId !== shownId.current) return;
          setLoaded({ id: conversationId, detail, problem: null });
          if (opening || (detail.unread > 0 && document.visibilityState === "visible")) markRead(conversationId);
        },
        (error: Error) => fail(conversationId, error),
      );
    },
    [markRead, fail],
  );

  useEffect(() => {
    if (id !== null) load(id, true);
  }, [id, load]);

  useInboxSignals((signal) => {
    if (id === null) return;
    if (signal.kind === "connected") {
      load(id, false);
      return;
    }
    const { conversation, item } = signal.event;
    if (conversation.id !== id) return;
    change(id, (detail) => ({ ...detail, ...conversation, items: item ? withItem(detail.items, item) : detail.items }));
    if (conversation.unread > 0 && document.visibilityState === "visible") markRead(id);
  });

  const current = loaded !== null && loaded.id === id ? loaded : null;
  const detail = current?.detail ?? null;

  // News that came while the tab was hidden counts as read once it is looked at.
  const unread = detail?.unread ?? 0;
  useEffect(() => {
    if (id === null || unread === 0) return;
    const onVisible = () => document.visibilityState === "visible" && markRead(id);
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [id, unread, markRead]);

  /** Shows an item this tab just sent (the stream's copy of it, when it comes, replaces it). */
  const addItem = useCallback(
    (item: ThreadItem) => {
      if (id !== null) change(id, (shown) => ({ ...shown, items: withItem(shown.items, item) }));
    },
    [id, change],
  );

  return { detail, problem: current?.problem ?? null, apply, addItem };
}
