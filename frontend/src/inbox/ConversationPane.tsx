/** The open conversation: who it is with and where it stands, its actions, the thread and the reply box. */
import type { UserAccount } from "../api";
import { formatDateTime } from "../components/localeFormat";
import { ConversationActions } from "./ConversationActions";
import { ReplyBox } from "./ReplyBox";
import { Thread } from "./Thread";
import type { useConversation } from "./useConversation";
import { contactName } from "./wording";

interface ConversationPaneProps {
  conversation: ReturnType<typeof useConversation>;
  users: UserAccount[];
}

export function ConversationPane({ conversation, users }: ConversationPaneProps) {
  const { detail, problem, apply, addItem } = conversation;
  if (!detail) return <section className="inbox-thread">{problem ? <p className="text-danger">{problem}</p> : <p className="muted">Loading…</p>}</section>;
  return (
    <section className="inbox-thread" data-testid="conversation" data-conversation-id={detail.id} data-status={detail.status}>
      <header className="inbox-thread-head">
        <div>
          <h2>{contactName(detail.contact)}</h2>
          <span className="muted small" data-testid="conversation-status">
            {detail.status === "snoozed" && detail.snoozed_until ? `Snoozed until ${formatDateTime(detail.snoozed_until)}` : detail.status === "closed" ? "Closed" : "Open"}
          </span>
        </div>
        <ConversationActions conversation={detail} users={users} onChanged={apply} />
      </header>
      {problem && <p className="text-danger small">{problem}</p>}
      <Thread items={detail.items} />
      <ReplyBox key={detail.id} conversationId={detail.id} onSent={addItem} />
    </section>
  );
}
