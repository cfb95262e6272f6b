/** One event of a contact's timeline: its name, when, on which page, and its properties. */
import type { ContactCard } from "../api";
import { formatDateTime } from "../components/localeFormat";
import { ValueTable } from "../components/ValueTable";

type CardEvent = ContactCard["events"][number];

export function EventItem({ event }: { event: CardEvent }) {
  return (
    <li>
      <b>{event.name}</b> <span className="muted small">{formatDateTime(event.timestamp)}</span>
      {(event.page_title || event.page_url) && <div className="muted small">{event.page_title || event.page_url}</div>}
      {Object.keys(event.properties).length > 0 && <ValueTable values={event.properties} compact />}
    </li>
  );
}
