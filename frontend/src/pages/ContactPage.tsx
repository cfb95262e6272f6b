/** A contact's card: who they are, the flows they are in and at which step, what we sent them and what they answered,
 * and what they did; every time in the reader's time zone and locale. */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { type ContactCard, getContact } from "../api";
import { formatDateTime, formatNumber, formatRelative } from "../components/localeFormat";
import { ValueTable } from "../components/ValueTable";

type CardRun = ContactCard["runs"][number];
type CardMessage = ContactCard["messages"][number];
type CardEvent = ContactCard["events"][number];

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

/** How soon a waiting run wakes up, e.g. "in 2 hr."; one whose time has come is due. */
function wakeUp(at: string): string {
  return new Date(at).getTime() > Date.now() ? formatRelative(at) : "due now";
}

/** Where a run stands: when a waiting run wakes up, why an ended run ended, why an errored run stopped. */
function RunState({ run }: { run: CardRun }) {
  if (run.status === "errored") return <div className="text-danger small">Stopped by an error: {run.error ?? run.end_reason}</div>;
  if (run.status === "waiting") {
    const event = run.waiting_for ? `for “${run.waiting_for}”` : "";
    const until = run.waiting_until ? `until ${formatDateTime(run.waiting_until)} (${wakeUp(run.waiting_until)})` : "";
    return <div className="small">Waits {[event, until].filter(Boolean).join(" ") || "for its next step"}</div>;
  }
  if (run.status === "active") return <div className="small">Moving on to its next step now</div>;
  return (
    <div className="small">
      Ended {run.ended_at ? formatDateTime(run.ended_at) : ""}
      {run.end_reason ? `: ${run.end_reason}` : ""}
    </div>
  );
}

function RunItem({ run }: { run: CardRun }) {
  return (
    <li className="card-item">
      <div>
        <Link to={`/flows/${run.flow_id}`}>{run.flow_name}</Link> <span className="muted small">v{run.version}</span>{" "}
        <span className={`badge run-${run.status}`}>{run.status}</span>
      </div>
      <div>
        At <b>{run.node_label}</b>
      </div>
      <RunState run={run} />
      <div className="muted small">
        Entered {formatDateTime(run.entered_at)}
        {run.converted_at ? ` · reached the goal ${formatDateTime(run.converted_at)}` : ""}
        {run.revenue !== null && run.revenue !== undefined ? ` · revenue ${formatNumber(run.revenue)}` : ""}
      </div>
    </li>
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

function EventItem({ event }: { event: CardEvent }) {
  return (
    <li>
      <b>{event.name}</b> <span className="muted small">{formatDateTime(event.timestamp)}</span>
      {(event.page_title || event.page_url) && <div className="muted small">{event.page_title || event.page_url}</div>}
      {Object.keys(event.properties).length > 0 && <ValueTable values={event.properties} compact />}
    </li>
  );
}

export function ContactPage() {
  const { id } = useParams();
  const [card, setCard] = useState<ContactCard | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    getContact(Number(id)).then(setCard, (error: Error) => setProblem(error.message));
  }, [id]);

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
      </div>
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
            {card.runs.map((run) => (
              <RunItem key={run.id} run={run} />
            ))}
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
