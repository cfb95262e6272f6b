/** The inbox list kept current by live events: which conversations a filtered list shows, and where a changed one goes. */
import type { ConversationPage, ConversationSummary, InboxView, StatusFilter } from "./types";

export interface ListFilter {
  view: InboxView;
  status: StatusFilter;
  q: string;
  /** The signed-in user's id; null when it is not known (signed in with an API token). */
  me: number | null;
}

/** Whether a snoozed conversation's snooze has run out, which puts it back among the open ones. */
function snoozeOver(conversation: ConversationSummary, now: Date): boolean {
  return conversation.snoozed_until !== null && Date.parse(conversation.snoozed_until) <= now.getTime();
}

function hasStatus(conversation: ConversationSummary, status: StatusFilter, now: Date): boolean {
  if (status === "open") return conversation.status === "open" || (conversation.status === "snoozed" && snoozeOver(conversation, now));
  return conversation.status === status;
}

/** Whether the list as filtered shows the conversation: true or false, or null when only the server can tell (a
 * text search, or "mine" for a user whose id is not known). */
export function belongsIn(conversation: ConversationSummary, filter: ListFilter, now: Date = new Date()): boolean | null {
  if (!hasStatus(conversation, filter.status, now)) return false;
  if (filter.view === "unassigned" && conversation.assignee !== null) return false;
  if (filter.view === "mine") {
    if (filter.me === null) return null;
    if (conversation.assignee?.id !== filter.me) return false;
  }
  return filter.q.trim() ? null : true;
}

/** The list with `conversation` as it is now: in its place by latest activity (a new message moves it to the top),
 * left out when it no longer belongs, and, when only the server can tell, updated where shown and not added. */
export function mergeConversation(list: ConversationSummary[], conversation: ConversationSummary, belongs: boolean | null): ConversationSummary[] {
  const others = list.filter((shown) => shown.id !== conversation.id);
  if (belongs === false) return others;
  if (belongs === null && others.length === list.length) return list;
  const activity = Date.parse(conversation.last_activity_at);
  const index = others.findIndex((shown) => Date.parse(shown.last_activity_at) <= activity);
  return index === -1 ? [...others, conversation] : [...others.slice(0, index), conversation, ...others.slice(index)];
}

/** A loaded page of the list with `conversation` merged in, its total following the rows added or taken out. */
export function mergeIntoPage(page: ConversationPage, conversation: ConversationSummary, filter: ListFilter, now: Date = new Date()): ConversationPage {
  const items = mergeConversation(page.items, conversation, belongsIn(conversation, filter, now));
  if (items === page.items) return page;
  return { ...page, items, total: Math.max(0, page.total + items.length - page.items.length) };
}
