/** Chooses the real contact a message is previewed for, searched by name, email or user id; without one, the server
 * previews for its sample contact, who has only an email address, so the preview shows every fallback. */
import { useEffect, useState } from "react";

import { type ContactSummary, listContacts } from "../api";

function described(contact: ContactSummary): string {
  const name = contact.name || contact.user_id || `Contact ${contact.id}`;
  return contact.email ? `${name} <${contact.email}>` : name;
}

export function ContactPicker({ contact, onChange }: { contact: ContactSummary | null; onChange(contact: ContactSummary | null): void }) {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<ContactSummary[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const wanted = query.trim();

  useEffect(() => {
    if (!wanted) return;
    let current = true; // an answer to an earlier search must not replace this one's
    const timer = setTimeout(() => {
      listContacts({ q: wanted, limit: 8 }).then(
        (answer) => current && setFound(answer.contacts),
        (error: Error) => current && setProblem(error.message),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [wanted]);

  return (
    <div className="contact-picker" data-testid="contact-picker">
      <p className="small">
        Preview for{" "}
        {contact ? (
          <>
            <b>{described(contact)}</b>{" "}
            <button type="button" className="link small" onClick={() => onChange(null)}>
              (use a sample contact instead)
            </button>
          </>
        ) : (
          <b>a sample contact without a name, so the fallbacks show</b>
        )}
      </p>
      <input type="search" value={query} placeholder="Preview for a contact: search by name or email…" onChange={(event) => setQuery(event.target.value)} />
      {problem && <p className="text-danger small">{problem}</p>}
      {wanted && found.length > 0 && (
        <ul className="contact-picker-results">
          {found.map((candidate) => (
            <li key={candidate.id}>
              <button
                type="button"
                className="link"
                onClick={() => {
                  onChange(candidate);
                  setQuery("");
                }}
              >
                {described(candidate)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
