/** The tab's title counts the conversations with unread messages, "(3) automap", so a background tab shows them. */
import { useEffect } from "react";

const COUNTER = /^\(\d+\+?\) /;
const MOST_SHOWN = 99;

/** `title` with the counter for `unread` in front (none when nothing is unread), replacing any counter it had. */
export function titleWithUnread(title: string, unread: number): string {
  const bare = title.replace(COUNTER, "");
  if (unread <= 0) return bare;
  return `(${unread > MOST_SHOWN ? `${MOST_SHOWN}+` : unread}) ${bare}`;
}

/** Keeps the counter in the document's title while the caller is shown; takes it away after. */
export function useUnreadTitle(unread: number): void {
  useEffect(() => {
    document.title = titleWithUnread(document.title, unread);
    return () => {
      document.title = titleWithUnread(document.title, 0);
    };
  }, [unread]);
}
