/** What an operator does to a conversation besides writing: assign it, snooze it, close or reopen it. */
import { useState } from "react";

import { updateConversation, type UserAccount } from "../api";
import { AssignSelect } from "./AssignSelect";
import { refreshCounts } from "./liveInbox";
import { SnoozeMenu } from "./SnoozeMenu";
import type { ConversationChanges, ConversationSummary } from "./types";

interface ConversationActionsProps {
  conversation: ConversationSummary;
  users: UserAccount[];
  onChanged(conversation: ConversationSummary): void;
}

export function ConversationActions({ conversation, users, onChanged }: ConversationActionsProps) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const change = (changes: ConversationChanges) => {
    setBusy(true);
    setProblem(null);
    updateConversation(conversation.id, changes)
      .then((changed) => {
        onChanged(changed);
        refreshCounts();
      }, (error: Error) => setProblem(error.message))
      .finally(() => setBusy(false));
  };

  return (
    <div className="conversation-actions">
      <AssignSelect assignee={conversation.assignee} users={users} disabled={busy} onAssign={(assignee_id) => change({ assignee_id })} />
      {conversation.status === "open" && (
        <SnoozeMenu disabled={busy} onSnooze={(until) => change({ status: "snoozed", snoozed_until: until.toISOString() })} />
      )}
      {conversation.status !== "open" && (
        <button type="button" className="button small secondary" data-testid="reopen-conversation" disabled={busy}
                onClick={() => change({ status: "open" })}>
          Reopen
        </button>
      )}
      {conversation.status !== "closed" && (
        <button type="button" className="button small" data-testid="close-conversation" disabled={busy} onClick={() => change({ status: "closed" })}>
          Close
        </button>
      )}
      {problem && <span className="text-danger small" role="status">{problem}</span>}
    </div>
  );
}
