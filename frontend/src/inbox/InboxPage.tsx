/** The operator inbox: the conversations on the left, the open one in the middle, its contact on the right; and the
 * team's response times on a tab of their own. */
import "./inbox.css";

import { useCallback, useEffect, useMemo, useState } from "react";
import { useParams, useSearchParams } from "react-router-dom";

import { listUsers, type UserAccount } from "../api";
import { ContactSidebar } from "./ContactSidebar";
import { ConversationList } from "./ConversationList";
import type { ListFilter } from "./conversationList";
import { ConversationPane } from "./ConversationPane";
import { useInboxCounts } from "./liveInbox";
import { ResponseTimes } from "./ResponseTimes";
import { useConversation } from "./useConversation";
import { useConversationList } from "./useConversationList";

type Tab = "conversations" | "report";

export function InboxPage() {
  const { id } = useParams();
  const openId = id ? Number(id) : null;
  const [search, setSearch] = useSearchParams();
  const tab: Tab = search.get("tab") === "report" ? "report" : "conversations";
  const [users, setUsers] = useState<UserAccount[]>([]);
  const [choice, setChoice] = useState<Omit<ListFilter, "me">>({ view: "all", status: "open", q: "" });
  const me = users.find((user) => user.is_you)?.id ?? null;
  const filter = useMemo(() => ({ ...choice, me }), [choice, me]);
  const onFilter = useCallback(({ view, status, q }: ListFilter) => setChoice({ view, status, q }), []);
  const counts = useInboxCounts();
  const list = useConversationList(filter);
  const conversation = useConversation(openId, list.update);

  useEffect(() => {
    // Without the users the assignee select offers "Unassigned" only; the inbox works all the same.
    listUsers().then(setUsers, () => setUsers([]));
  }, []);

  return (
    <div className="inbox-page">
      <div className="inbox-head">
        <h1>Inbox</h1>
        <div className="segmented" role="tablist">
          <button type="button" role="tab" aria-selected={tab === "conversations"} className={tab === "conversations" ? "active" : ""}
                  data-testid="inbox-tab-conversations" onClick={() => setSearch({})}>
            Conversations
          </button>
          <button type="button" role="tab" aria-selected={tab === "report"} className={tab === "report" ? "active" : ""}
                  data-testid="inbox-tab-report" onClick={() => setSearch({ tab: "report" })}>
            Response times
          </button>
        </div>
      </div>
      {tab === "report" ? (
        <div className="page">
          <ResponseTimes />
        </div>
      ) : (
        <div className="inbox-columns">
          <ConversationList filter={filter} onFilter={onFilter} counts={counts} list={list}
                            selectedId={openId} />
          {openId === null ? (
            <section className="inbox-thread inbox-none">
              <p className="muted">Pick a conversation on the left.</p>
            </section>
          ) : (
            <ConversationPane conversation={conversation} users={users} />
          )}
          {conversation.detail && <ContactSidebar contactId={conversation.detail.contact.id} />}
        </div>
      )}
    </div>
  );
}
