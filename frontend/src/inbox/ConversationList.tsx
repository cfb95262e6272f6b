/** The inbox's left column: the views with their counts, the status filter, the search box and the conversations. */
import { useEffect, useState } from "react";

import { formatNumber } from "../components/localeFormat";
import { ConversationRow } from "./ConversationRow";
import type { ListFilter } from "./conversationList";
import type { ConversationCounts, InboxView, StatusFilter } from "./types";
import type { useConversationList } from "./useConversationList";
import { useNow } from "./useNow";

const VIEWS: { view: InboxView; label: string }[] = [
  { view: "unassigned", label: "Unassigned" },
  { view: "mine", label: "Mine" },
  { view: "all", label: "All" },
];
const STATUSES: { status: StatusFilter; label: string }[] = [
  { status: "open", label: "Open" },
  { status: "snoozed", label: "Snoozed" },
  { status: "closed", label: "Closed" },
];
// Typing asks the server once the typist pauses.
const SEARCH_DELAY_MS = 300;

interface ConversationListProps {
  filter: ListFilter;
  onFilter(filter: ListFilter): void;
  counts: ConversationCounts | null;
  list: ReturnType<typeof useConversationList>;
  selectedId: number | null;
}

export function ConversationList({ filter, onFilter, counts, list, selectedId }: ConversationListProps) {
  const [search, setSearch] = useState(filter.q);
  const now = useNow();

  useEffect(() => {
    if (search === filter.q) return;
    const timer = setTimeout(() => onFilter({ ...filter, q: search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, filter, onFilter]);

  const { page, problem, loadingMore, hasMore, loadMore } = list;
  return (
    <aside className="inbox-list">
      <div className="segmented full inbox-views" role="tablist">
        {VIEWS.map(({ view, label }) => (
          <button key={view} type="button" role="tab" aria-selected={filter.view === view} className={filter.view === view ? "active" : ""}
                  data-testid={`view-${view}`} onClick={() => onFilter({ ...filter, view })}>
            {label} {counts && <span className="muted small">{formatNumber(counts[view])}</span>}
          </button>
        ))}
      </div>
      <div className="inbox-list-filters">
        <select aria-label="Status" data-testid="status-filter" value={filter.status}
                onChange={(event) => onFilter({ ...filter, status: event.target.value as StatusFilter })}>
          {STATUSES.map(({ status, label }) => (
            <option key={status} value={status}>{label}</option>
          ))}
        </select>
        <input type="search" placeholder="Search name, email, text…" aria-label="Search conversations" data-testid="inbox-search"
               value={search} onChange={(event) => setSearch(event.target.value)} />
      </div>
      {problem && <p className="text-danger small">{problem}</p>}
      {page && page.items.length === 0 && <p className="muted inbox-list-empty">No conversations here.</p>}
      <ul className="inbox-rows">
        {page?.items.map((conversation) => (
          <ConversationRow key={conversation.id} conversation={conversation} selected={conversation.id === selectedId} now={now} />
        ))}
      </ul>
      {page && hasMore && (
        <button type="button" className="link inbox-more" disabled={loadingMore} onClick={loadMore}>
          {loadingMore ? "Loading…" : `Show more (${formatNumber(page.total - page.items.length)} left)`}
        </button>
      )}
    </aside>
  );
}
