/** A contact's card: properties, event timeline, messages and the flows they are in. */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { type ContactCard, getContact } from "../api";

type Row = Record<string, unknown>;

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function when(row: Row): string {
  const at = row.at ?? row.timestamp ?? row.created_at ?? row.sent_at ?? row.started_at;
  return at ? new Date(String(at)).toLocaleString() : "";
}

function Properties({ contact }: { contact: Row }) {
  const traits = (contact.traits ?? contact.properties ?? {}) as Row;
  const rows = [...Object.entries(contact).filter(([, value]) => typeof value !== "object" || value === null), ...Object.entries(traits)];
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
            {card.events.map((event, index) => (
              <li key={index}>
                <b>{text(event.name ?? event.event ?? event.type)}</b> <span className="muted small">{when(event)}</span>
                {event.properties && Object.keys(event.properties as Row).length > 0 ? <div className="muted small">{text(event.properties)}</div> : null}
              </li>
            ))}
          </ol>
        </section>
        <section className="card">
          <h3>Messages</h3>
          {card.messages.length === 0 && <p className="muted">No messages sent.</p>}
          <table className="table compact">
            <tbody>
              {card.messages.map((message, index) => (
                <tr key={index}>
                  <td>{text(message.channel)}</td>
                  <td>{text(message.subject ?? message.title ?? message.node_id)}</td>
                  <td>
                    <span className="badge">{text(message.status)}</span>
                  </td>
                  <td className="muted small">{when(message)}</td>
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
              {card.runs.map((run, index) => (
                <tr key={index}>
                  <td>{run.flow_id ? <Link to={`/flows/${text(run.flow_id)}`}>{text(run.flow_name ?? `Flow #${text(run.flow_id)}`)}</Link> : text(run.flow_name)}</td>
                  <td>{run.version !== undefined ? `v${text(run.version)}` : ""}</td>
                  <td>
                    <span className="badge">{text(run.status)}</span>
                  </td>
                  <td className="muted small">{text(run.node_id ?? run.current_node)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
