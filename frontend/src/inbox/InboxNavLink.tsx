/** The nav's "Inbox" link with the number of conversations that have unread messages, also put in the tab's title. */
import { NavLink } from "react-router-dom";

import { formatNumber } from "../components/localeFormat";
import { useInboxCounts } from "./liveInbox";
import { useUnreadTitle } from "./titleCounter";

export function InboxNavLink() {
  const unread = useInboxCounts()?.unread ?? 0;
  useUnreadTitle(unread);
  return (
    <NavLink to="/inbox" className="inbox-nav-link">
      Inbox
      {unread > 0 && (
        <span className="nav-badge" data-testid="inbox-badge" aria-label={`${unread} with unread messages`}>
          {formatNumber(unread)}
        </span>
      )}
    </NavLink>
  );
}
