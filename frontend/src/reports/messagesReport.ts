/** The messages report's columns: what each number is, its rate, and which contacts the flow's drill-down lists
 * behind it (GET /api/flows/<flow>/nodes/<node>/contacts?metric=…). */
import type { MessageChannel, MessageFigures, MessagesRow, RatedFigure } from "./types";

export interface MessageColumn {
  key: keyof MessageFigures;
  title: string;
  /** The rate shown under the number (a share of sent), when it has one. */
  rate?: RatedFigure;
  /** What the number means, for the column's tooltip. */
  means: string;
}

export const MESSAGE_COLUMNS: MessageColumn[] = [
  { key: "sent", title: "Sent", means: "Messages the send node recorded for this channel." },
  { key: "delivered", title: "Delivered", rate: "delivered", means: "Handed over: the SMTP server accepted it, or the widget showed it." },
  { key: "read", title: "Read", rate: "read", means: "Opened (email) or read (chat, popup)." },
  { key: "clicked", title: "Clicked", rate: "clicked", means: "Clicked a link or the popup's button." },
  { key: "replied", title: "Replied", rate: "replied", means: "Answered the message." },
  { key: "unsubscribed", title: "Unsubscribed", rate: "unsubscribed", means: "Unsubscribed through the message." },
  { key: "failed", title: "Failed", rate: "failed", means: "The channel gave up after its retries." },
  { key: "converted", title: "Converted", rate: "converted", means: "Passed the send node and reached the flow's goal (the node's, on each of its channels)." },
  { key: "revenue", title: "Revenue", means: "What the conversions brought, by the goal's revenue property." },
];

export const CHANNELS: { value: MessageChannel; title: string }[] = [
  { value: "email", title: "Email" },
  { value: "chat", title: "Chat" },
  { value: "popup", title: "Popup" },
];

/** The drill-down metric behind a row's number: "email:read" for a message status, "converted" for conversions and the
 * revenue they brought. */
export function drilldownMetric(channel: MessageChannel, key: keyof MessageFigures): string {
  return key === "converted" || key === "revenue" ? "converted" : `${channel}:${key}`;
}

/** A row's identity: a send node sends on each of its channels, one row each. */
export function rowKey(row: Pick<MessagesRow, "flow" | "node_id" | "channel">): string {
  return `${row.flow.id}:${row.node_id}:${row.channel}`;
}
