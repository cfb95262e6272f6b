/** Conversations and thread items for the inbox's tests, each field the contract gives, overridable. */
import type { ConversationSummary, MessageItem, NoteItem, ReplyItem } from "./types";

export function conversation(id: number, fields: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id,
    contact: { id: 100 + id, name: null, email: null, user_id: null },
    status: "open",
    snoozed_until: null,
    assignee: null,
    unread: 0,
    last_item: { kind: "reply", body: "Hello", at: "2026-03-02T10:00:00Z" },
    last_activity_at: "2026-03-02T10:00:00Z",
    waiting_since: null,
    created_at: "2026-03-01T10:00:00Z",
    ...fields,
  };
}

export function reply(id: number, at: string, body = "A question"): ReplyItem {
  return { kind: "reply", id, at, body, source: "widget", message_id: null };
}

export function note(id: number, at: string, body = "Call them back"): NoteItem {
  return { kind: "note", id, at, body, author: { id: 1, email: "ann@example.com", name: "Ann" } };
}

export function message(id: number, at: string, fields: Partial<MessageItem> = {}): MessageItem {
  return {
    kind: "message", id, at, channel: "chat", body: "Hi there", sender_name: "Ann", statuses: ["sent"], operator: null, flow: null, forward: null,
    ...fields,
  };
}
