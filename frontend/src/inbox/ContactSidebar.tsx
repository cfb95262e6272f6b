/** The contact beside their conversation: who they are, their properties, the flows they are in and what they did
 * lately, with a link to their full card. */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { type ContactCard, getContact } from "../api";
import { ValueTable } from "../components/ValueTable";
import { EventItem } from "../contacts/EventItem";
import { RunItem } from "../contacts/RunItem";
import { contactName } from "./wording";

const EVENTS_SHOWN = 10;

export function ContactSidebar({ contactId }: { contactId: number }) {
  const [card, setCard] = useState<ContactCard | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    getContact(contactId).then(
      (found) => current && setCard(found),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [contactId]);

  if (problem) return <aside className="inbox-contact"><p className="text-danger small">{problem}</p></aside>;
  if (!card || card.contact.id !== contactId) return <aside className="inbox-contact"><p className="muted">Loading…</p></aside>;
  const { contact, runs, events } = card;
  return (
    <aside className="inbox-contact" data-testid="inbox-contact">
      <h3>{contactName(contact)}</h3>
      <ValueTable values={{ Email: contact.email, Phone: contact.phone, "User id": contact.user_id, "Last seen": contact.last_seen_at }} />
      <Link to={`/contacts/${contact.id}`} className="small" data-testid="contact-card-link">
        Full card →
      </Link>
      <h4>Properties</h4>
      <ValueTable values={contact.properties} compact />
      <h4>Flows</h4>
      {runs.length === 0 && <p className="muted small">Not in any flow.</p>}
      <ul className="card-list">
        {runs.map((run) => (
          <RunItem key={run.id} run={run} />
        ))}
      </ul>
      <h4>Latest events</h4>
      {events.length === 0 && <p className="muted small">No events yet.</p>}
      <ol className="timeline">
        {events.slice(0, EVENTS_SHOWN).map((event) => (
          <EventItem key={event.id} event={event} />
        ))}
      </ol>
    </aside>
  );
}
