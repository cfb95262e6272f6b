/** A contact's card: properties, event timeline, messages and the flows they are in. */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { type ContactCard, getContact } from "../api";

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function when(at: string): string {
  return new Date(at).toLocaleString();
}

function Properties({ contact }: { contact: ContactCard["contact"] }) {
  const rows = [...Object.entries(contact).filter(([, value]) => typeof value !== "object" || value === null), ...Object.entries(contact.properties)];
  return (
    <dl className="properties">
      {rows.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{text(value)}</dd>
        </div>
      ))}
    </dl>
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
          <h1>{text(contact.name) || text(contact.email) || `Contact #${id}`}</h1>
          {contact.email ? <span className="muted">{text(contact.email)}</span> : null}
        </div>
      </div>
      <div className="contact-grid">
        <section className="card">
          <h3>Properties</h3>
          <Properties contact={contact} />
        </section>
        <section className="card">
          <h3>Timeline</h3>
          {card.events.length === 0 && <p className="muted">No events yet.</p>}
          <ol className="timeline">
            {card.events.map((event) => (
              <li key={event.id}>
                <b>{event.name}</b> <span className="muted small">{when(event.timestamp)}</span>
                {Object.keys(event.properties).length > 0 && <div className="muted small">{text(event.properties)}</div>}
              </li>
            ))}
          </ol>
        </section>
        <section className="card">
          <h3>Messages</h3>
          {card.messages.length === 0 && <p className="muted">No messages sent.</p>}
          <table className="table compact">
            <tbody>
              {card.messages.map((message) => (
                <tr key={message.id}>
                  <td>{message.channel}</td>
                  <td>{text(message.content.subject ?? message.content.title ?? message.node_id)}</td>
                  <td>
                    <span className="badge">{message.status}</span>
                  </td>
                  <td className="muted small">{when(message.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card">
          <h3>Flows</h3>
          {card.runs.length === 0 && <p className="muted">Not in any flow.</p>}
          <table className="table compact">
            <tbody>
              {card.runs.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link to={`/flows/${run.flow_id}`}>{run.flow_name}</Link>
                  </td>
                  <td>v{run.version}</td>
                  <td>
                    <span className="badge">{run.status}</span>
                  </td>
                  <td className="muted small">{run.node_id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
