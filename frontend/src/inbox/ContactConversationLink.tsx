/** On a contact's card: a link to their conversation in the inbox, or, when they have none, a first message that
 * starts one. */
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { listConversations, startConversation } from "../api";

export function ContactConversationLink({ contactId }: { contactId: number }) {
  const [conversationId, setConversationId] = useState<number | null | undefined>(undefined);
  const [writing, setWriting] = useState(false);
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const navigate = useNavigate();

  useEffect(() => {
    let current = true;
    listConversations({ contact_id: contactId, status: "all", limit: 1 }).then(
      (found) => current && setConversationId(found.items[0]?.id ?? null),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [contactId]);

  const start = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    startConversation(contactId, body.trim()).then(
      (started) => navigate(`/inbox/${started.id}`),
      (error: Error) => {
        setProblem(error.message);
        setBusy(false);
      },
    );
  };

  if (problem && !writing) return <span className="text-danger small">{problem}</span>;
  if (conversationId === undefined) return null;
  if (conversationId !== null) {
    return (
      <Link to={`/inbox/${conversationId}`} className="button secondary" data-testid="open-conversation">
        Open conversation
      </Link>
    );
  }
  if (!writing) {
    return (
      <button type="button" className="button secondary" data-testid="start-conversation" onClick={() => setWriting(true)}>
        Start a conversation
      </button>
    );
  }
  return (
    <form className="start-conversation" onSubmit={start}>
      <textarea rows={3} required autoFocus aria-label="First message" placeholder="Your first message, shown in their chat (emailed if unread)"
                data-testid="start-conversation-body" value={body} onChange={(event) => setBody(event.target.value)} />
      {problem && <span className="text-danger small">{problem}</span>}
      <div className="page-actions">
        <button type="submit" className="button" data-testid="start-conversation-send" disabled={busy || !body.trim()}>
          {busy ? "Sending…" : "Send"}
        </button>
        <button type="button" className="button secondary" onClick={() => setWriting(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
