/** The inbox list as filtered: loaded page by page, read again when the stream reconnects, and kept current by the
 * stream's events in between (a conversation with news moves to the top, one that no longer fits leaves). */
import { useCallback, useEffect, useRef, useState } from "react";

import { listConversations } from "../api";
import { type ListFilter, mergeIntoPage } from "./conversationList";
import { useInboxSignals } from "./liveInbox";
import type { ConversationPage, ConversationSummary } from "./types";

const PER_PAGE = 50;
const MOST_PER_REQUEST = 500; // the API's limit

export function useConversationList(filter: ListFilter) {
  const [page, setPage] = useState<ConversationPage | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const latestRequest = useRef(0);
  const { view, status, q } = filter;

  /** The list from its top (replacing what is shown, at offset 0) or the next page (added below it); an answer
   * overtaken by a later request is dropped. */
  const load = useCallback(
    (offset: number, limit = PER_PAGE) => {
      const request = ++latestRequest.current;
      listConversations({ view, status, q: q.trim(), offset, limit })
        .then(
          (found) => {
            if (request !== latestRequest.current) return;
            setProblem(null);
            setPage((current) => {
              if (offset === 0 || !current) return found;
              const shown = new Set(current.items.map((conversation) => conversation.id));
              return { ...found, items: [...current.items, ...found.items.filter((conversation) => !shown.has(conversation.id))] };
            });
          },
          (error: Error) => request === latestRequest.current && setProblem(error.message),
        )
        .finally(() => request === latestRequest.current && setLoadingMore(false));
    },
    [view, status, q],
  );

  useEffect(() => load(0), [load]);

  useInboxSignals((signal) => {
    // Read again as many rows as are shown, so that a reconnection does not take back the pages shown so far.
    if (signal.kind === "connected") load(0, Math.min(MOST_PER_REQUEST, Math.max(PER_PAGE, page?.items.length ?? 0)));
    else setPage((current) => current && mergeIntoPage(current, signal.event.conversation, filter));
  });

  /** Shows a conversation as this tab's own change (read, assigned, closed…) left it. */
  const update = useCallback(
    (conversation: ConversationSummary) => setPage((current) => current && mergeIntoPage(current, conversation, filter)),
    [filter],
  );

  const loadMore = () => {
    if (!page) return;
    setLoadingMore(true);
    load(page.items.length);
  };
  const hasMore = page !== null && page.items.length < page.total;
  return { page, problem, loadingMore, hasMore, loadMore, update };
}
