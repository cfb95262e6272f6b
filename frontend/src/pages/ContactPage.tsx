/** A contact's card: who they are, what they bought (their lifetime revenue) and where they first came from, the flows
 * they are in and at which step (each run's journey, and what an operator may do to it), what we sent them and what they answered, and what they did; every time in the
 * reader's time zone and locale. */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { type ContactCard, getContact, getJourneys, type Journey } from "../api";
import { formatDateTime, formatNumber } from "../components/localeFormat";
import { ValueTable } from "../components/ValueTable";
import { EventItem } from "../contacts/EventItem";
import { RunItem } from "../contacts/RunItem";
import { loadCatalogue } from "../editor/store";
import { ContactConversationLink } from "../inbox/ContactConversationLink";
import { formatRevenue } from "../reports/revenueReport";

type CardMessage = ContactCard["messages"][number];

const CHANNELS: Record<string, string> = { email: "Email", chat: "Chat", popup: "Popup", webhook: "Webhook" };
const REPLY_SOURCES: Record<string, string> = { widget: "in the chat", email: "by email" };

/** The contact's own fields, by the names a marketer reads. */
function details(contact: ContactCard["contact"]): Record<string, unknown> {
  return {
    Email: contact.email,
    Phone: contact.phone,
    "User id": contact.user_id,
    "Time zone": contact.time_zone,
    Tags: contact.tags,
    "First seen": contact.first_seen_at,
    "Last seen": contact.last_seen_at,
    ...(contact.unsubscribed_at ? { Unsubscribed: contact.unsubscribed_at } : {}),
    "Anonymous ids": contact.anonymous_ids,
    Id: `#${contact.id}`,
  };
}

const UTM_TAGS = [
  ["utm_source", "source"],
  ["utm_medium", "medium"],
  ["utm_campaign", "campaign"],
] as const;

/** What the contact bought (their revenue events, each once) and the UTM tags of their first tagged event. */
function RevenueSummary({ contact }: { contact: ContactCard["contact"] }) {
  const { lifetime } = contact;
  const touch = contact.first_touch;
  const tags = UTM_TAGS.filter(([tag]) => touch?.[tag]);
  return (
    <dl className="contact-summary" data-testid="contact-summary">
      <div>
        <dt>Lifetime revenue</dt>
        <dd data-testid="contact-lifetime-revenue">{formatRevenue(lifetime.revenue)}</dd>
      </div>
      <div>
        <dt>Orders</dt>
        <dd data-testid="contact-orders">{formatNumber(lifetime.orders)}</dd>
      </div>
      <div>
        <dt>First order</dt>
        <dd data-testid="contact-first-order">{lifetime.first_order_at ? formatDateTime(lifetime.first_order_at) : "—"}</dd>
      </div>
      <div>
        <dt>Last order</dt>
        <dd data-testid="contact-last-order">{lifetime.last_order_at ? formatDateTime(lifetime.last_order_at) : "—"}</dd>
      </div>
      <div>
        <dt>First touch</dt>
        <dd data-testid="contact-first-touch">
          {tags.length === 0 && <span className="muted">no event with UTM tags</span>}
          {tags.map(([tag, name], index) => (
            <span key={tag}>
              {index > 0 && " / "}
              {touch?.[tag]} <span className="muted small">{name}</span>
            </span>
          ))}
        </dd>
      </div>
    </dl>
  );
}

function MessageItem({ message }: { message: CardMessage }) {
  return (
    <li className="card-item">
      <div>
        <span className="badge">{CHANNELS[message.channel] ?? message.channel}</span> {message.subject && <b>{message.subject}</b>}{" "}
        <span className="muted small">{formatDateTime(message.created_at)}</span>
      </div>
      {message.excerpt && <p className="message-excerpt">{message.excerpt}</p>}
      {message.flow_id !== null && message.flow_id !== undefined && (
        <div className="muted small">
          Sent by <Link to={`/flows/${message.flow_id}`}>{message.flow_name}</Link> at {message.node_label}
        </div>
      )}
      <div className="muted small">
        {message.statuses.join(" → ")}
        {message.updated_at !== message.created_at ? ` · last ${formatDateTime(message.updated_at)}` : ""}
      </div>
      {message.error && <div className="text-danger small">{message.error}</div>}
      {message.replies.length > 0 && (
        <ol className="replies">
          {message.replies.map((reply) => (
            <li key={reply.id}>
              <div className="muted small">
                Reply {REPLY_SOURCES[reply.source] ?? reply.source} · {formatDateTime(reply.created_at)}
              </div>
              <p className="reply-body">{reply.body}</p>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

export function ContactPage() {
  const { id } = useParams();
  const [card, setCard] = useState<ContactCard | null>(null);
  const [journeys, setJourneys] = useState<Journey[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [loads, setLoads] = useState(0); // bumped after an operator acts on a run: the card and journeys reload

  useEffect(() => {
    const contactId = Number(id);
    getContact(contactId).then(setCard, (error: Error) => setProblem(error.message));
    getJourneys(contactId).then(setJourneys, (error: Error) => setProblem(error.message));
  }, [id, loads]);
  useEffect(() => {
    loadCatalogue().catch((error: Error) => setProblem(error.message)); // the filter language names conditions' rules
  }, []);

  if (problem) return <div className="page"><p className="text-danger">{problem}</p></div>;
  if (!card) return <div className="page"><p className="muted">Loading…</p></div>;
  const contact = card.contact;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <Link to="/contacts" className="muted small">
            ← Contacts
          </Link>
          <h1>{contact.name || contact.email || `Contact #${contact.id}`}</h1>
          {contact.name && contact.email ? <span className="muted">{contact.email}</span> : null}
        </div>
        <ContactConversationLink contactId={contact.id} />
      </div>
      <RevenueSummary contact={contact} />
      <div className="contact-grid">
        <section className="card">
          <h3>Contact</h3>
          <ValueTable values={details(contact)} />
          <h3>Properties</h3>
          <ValueTable values={contact.properties} />
        </section>
        <section className="card">
          <h3>Flows</h3>
          {card.runs.length === 0 && <p className="muted">Not in any flow.</p>}
          <ul className="card-list" data-testid="contact-runs">
            {card.runs.map((run) => {
              const journey = journeys.find((traced) => traced.run_id === run.id);
              const traced = journey && { contactId: contact.id, journey, onChanged: () => setLoads((n) => n + 1) };
              return <RunItem key={run.id} run={run} traced={traced} />;
            })}
          </ul>
        </section>
        <section className="card">
          <h3>Messages and replies</h3>
          {card.messages.length === 0 && <p className="muted">No messages sent.</p>}
          <ul className="card-list" data-testid="contact-messages">
            {card.messages.map((message) => (
              <MessageItem key={message.id} message={message} />
            ))}
          </ul>
        </section>
        <section className="card">
          <h3>Timeline</h3>
          {card.events.length === 0 && <p className="muted">No events yet.</p>}
          {card.events_total > card.events.length && (
            <p className="muted small">
              The latest {formatNumber(card.events.length)} of {formatNumber(card.events_total)} events.
            </p>
          )}
          <ol className="timeline">
            {card.events.map((event) => (
              <EventItem key={event.id} event={event} />
            ))}
          </ol>
        </section>
      </div>
    </div>
  );
}
