/** One conversation in the inbox list: who, the latest item, how long ago, unread messages and who has it. */
import { Link } from "react-router-dom";

import { formatNumber } from "../components/localeFormat";
import type { ConversationSummary } from "./types";
import { agoText, contactName, lastItemText, personName } from "./wording";

interface ConversationRowProps {
  conversation: ConversationSummary;
  selected: boolean;
  now: Date;
}

export function ConversationRow({ conversation, selected, now }: ConversationRowProps) {
  const { id, contact, unread, assignee, last_item, last_activity_at, status } = conversation;
  const classes = ["inbox-row", selected ? "selected" : "", unread > 0 ? "unread" : ""].filter(Boolean).join(" ");
  return (
    <li>
      <Link to={`/inbox/${id}`} className={classes} data-testid="inbox-row" data-conversation-id={id} aria-current={selected ? "true" : undefined}>
        <div className="inbox-row-head">
          <span className="inbox-row-name">{contactName(contact)}</span>
          <span className="muted small" title={last_activity_at}>
            {agoText(last_activity_at, now)}
          </span>
        </div>
        <div className="inbox-row-text">{lastItemText(last_item)}</div>
        <div className="inbox-row-foot small">
          <span className="muted">{assignee ? personName(assignee) : "Unassigned"}</span>
          {status !== "open" && <span className={`badge conversation-${status}`}>{status}</span>}
          {unread > 0 && (
            <span className="unread-badge" data-testid="unread-count" aria-label={`${unread} unread`}>
              {formatNumber(unread)}
            </span>
          )}
        </div>
      </Link>
    </li>
  );
}
