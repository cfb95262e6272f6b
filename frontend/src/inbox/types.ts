/** The operator inbox's shapes, from the API's OpenAPI document (api-schema.d.ts), narrowed where the generated
 * types are looser than what the API sends: a nested object that may be null comes out as `{} | null | T`, and a
 * thread item is one shape with every kind's fields optional, where the inbox reads three kinds. */
import type { components } from "../api-schema";

type Schemas = components["schemas"];

export type Person = Schemas["UserRef"];
export type ConversationContact = Schemas["ConversationContact"];

export type ConversationSummary = Omit<Schemas["ConversationSummary"], "assignee" | "last_item"> & {
  assignee: Person | null;
  last_item: Schemas["LastItem"] | null;
};

type ApiItem = Schemas["ThreadItem"];

/** What the site showed the contact: a flow's chat message or popup, or an operator's message. */
export type MessageItem = Pick<ApiItem, "id" | "at" | "title" | "button" | "sender_name"> & {
  kind: "message";
  channel: string;
  body?: string | null;
  statuses: string[];
  operator: Person | null;
  flow: Schemas["FlowRef"] | null;
  /** An operator's chat message's email copy, sent if the contact leaves it unread. */
  forward: Schemas["Forward"] | null;
};

/** What the contact wrote, in the widget or by email. */
export type ReplyItem = Pick<ApiItem, "id" | "at"> & { kind: "reply"; body: string; source: string; message_id: number | null };

/** What a teammate wrote for the team only. */
export type NoteItem = Pick<ApiItem, "id" | "at"> & { kind: "note"; body: string; author: Person | null };

export type ThreadItem = MessageItem | ReplyItem | NoteItem;

export type ConversationDetail = ConversationSummary & { items: ThreadItem[] };
export type ConversationPage = Omit<Schemas["ConversationList"], "items"> & { items: ConversationSummary[] };
export type ConversationCounts = Schemas["ConversationCounts"];
export type ConversationChanges = Schemas["ConversationChange"];
export type StreamToken = Schemas["StreamToken"];

/** What a `conversation` event of the inbox stream carries: the conversation as it is now, and its new item if any. */
export interface ConversationEvent {
  conversation: ConversationSummary;
  item: ThreadItem | null;
}

export type TimeFigures = Schemas["Spread"];
/** The report, each operator's `user` null for answers given through the API with a token. */
export type InboxReport = Omit<Schemas["InboxReport"], "operators"> & {
  operators: (Omit<Schemas["OperatorResponses"], "user"> & { user: Person | null })[];
};

export type InboxView = "unassigned" | "mine" | "all";
export type StatusFilter = "open" | "snoozed" | "closed";
