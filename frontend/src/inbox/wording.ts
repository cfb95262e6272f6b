/** How the inbox says things: who a contact is, what a message's email forward did, how long a wait was. */
import { formatRelative, type LocaleOptions } from "../components/localeFormat";
import type { ConversationContact, ConversationSummary, MessageItem, Person } from "./types";

/** The contact's name, else their email, else "Visitor #12". */
export function contactName(contact: Pick<ConversationContact, "id"> & { name?: string | null; email?: string | null }): string {
  return contact.name || contact.email || `Visitor #${contact.id}`;
}

/** A user by the name visitors see, else their email. */
export function personName(person: Person): string {
  return person.name || person.email;
}

// The contact's own words go bare; what the site sent them and notes say so.
const KIND_PREFIX: Record<string, string> = { note: "Note: ", message: "Sent: " };

/** The list row's line about the latest item: "Note: call back tomorrow", "Sent: Your invoice is attached", the contact's words. */
export function lastItemText(item: ConversationSummary["last_item"]): string {
  if (!item) return "No messages yet";
  return `${KIND_PREFIX[item.kind] ?? ""}${item.body || "(no text)"}`;
}

/** How long ago something happened, e.g. "5 min. ago"; "now" for a moment a little ahead of `now` (a clock that
 * ticks every half minute, a server's clock a little ahead of the browser's), never "in 2 sec.". */
export function agoText(iso: string, now: Date, options: LocaleOptions = {}): string {
  const latest = new Date(Math.max(now.getTime(), Date.parse(iso)));
  return formatRelative(iso, latest, options);
}

/** "12:05" in the reader's locale and time zone. */
export function clockTime(iso: string, options: LocaleOptions = {}): string {
  return new Intl.DateTimeFormat(options.locale, { timeStyle: "short", timeZone: options.timeZone }).format(new Date(iso));
}

/** What became of an operator chat message's email copy: "Will be emailed at 12:10 if unread", "Emailed at 12:05",
 * why it was not; null for messages no copy is kept for. */
export function forwardText(forward: MessageItem["forward"], options: LocaleOptions = {}): string | null {
  if (!forward) return null;
  const at = clockTime(forward.at, options);
  switch (forward.state) {
    case "scheduled":
      return `Will be emailed at ${at} if unread`;
    case "sent":
      return `Emailed at ${at}`;
    case "withdrawn":
      return forward.reason ? `Not emailed: ${forward.reason}` : "Read on the site, not emailed";
    case "failed":
      return forward.reason ? `Could not be emailed: ${forward.reason}` : "Could not be emailed";
  }
}

/** Who a message came from: the operator who wrote it, else its sender name, else the flow that sent it. */
export function messageSender(message: MessageItem): string {
  if (message.operator) return personName(message.operator);
  return message.sender_name || message.flow?.name || "Automated message";
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A wait in words, its two largest units: "45 s", "12 min", "1 h 20 min", "2 d 3 h"; "—" when there was none. */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const whole = Math.round(seconds);
  if (whole < MINUTE) return `${whole} s`;
  const parts: [number, string][] = [
    [Math.floor(whole / DAY), "d"],
    [Math.floor((whole % DAY) / HOUR), "h"],
    [Math.floor((whole % HOUR) / MINUTE), "min"],
  ];
  const first = parts.findIndex(([count]) => count > 0);
  return parts
    .slice(first, first + 2)
    .filter(([count]) => count > 0)
    .map(([count, unit]) => `${count} ${unit}`)
    .join(" ");
}
