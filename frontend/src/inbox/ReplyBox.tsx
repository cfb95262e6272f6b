/** Where an operator writes: a reply the contact gets (in the widget, by email if left unread) or a note for the team;
 * Ctrl+Enter (⌘+Enter) sends. */
import { type FormEvent, type KeyboardEvent, useState } from "react";

import { addConversationNote, sendConversationMessage } from "../api";
import type { ThreadItem } from "./types";

type Mode = "reply" | "note";

interface ReplyBoxProps {
  conversationId: number;
  onSent(item: ThreadItem): void;
}

export function ReplyBox({ conversationId, onSent }: ReplyBoxProps) {
  const [mode, setMode] = useState<Mode>("reply");
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const body = text.trim();
    if (!body || sending) return;
    setSending(true);
    setProblem(null);
    const sent: Promise<ThreadItem> = mode === "reply" ? sendConversationMessage(conversationId, body) : addConversationNote(conversationId, body);
    sent
      .then((item) => {
        setText("");
        onSent(item);
      }, (error: Error) => setProblem(error.message))
      .finally(() => setSending(false));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) send();
  };

  return (
    <form className={`reply-box ${mode === "note" ? "note-mode" : ""}`} onSubmit={send}>
      <div className="segmented reply-modes">
        <button type="button" className={mode === "reply" ? "active" : ""} aria-pressed={mode === "reply"} data-testid="reply-mode"
                onClick={() => setMode("reply")}>
          Reply
        </button>
        <button type="button" className={mode === "note" ? "active" : ""} aria-pressed={mode === "note"} data-testid="note-mode"
                onClick={() => setMode("note")}>
          Note
        </button>
      </div>
      <textarea
        rows={3}
        data-testid="reply-input"
        aria-label={mode === "reply" ? "Reply to the contact" : "Note for your team"}
        placeholder={mode === "reply" ? "Write a reply… (Ctrl+Enter sends)" : "Write a note only your team sees… (Ctrl+Enter adds it)"}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="reply-box-foot">
        {problem ? <span className="text-danger small">{problem}</span> : <span className="muted small">{mode === "note" ? "Only your team sees notes." : ""}</span>}
        <button type="submit" className="button" data-testid="reply-send" disabled={sending || !text.trim()}>
          {sending ? "Sending…" : mode === "reply" ? "Send" : "Add note"}
        </button>
      </div>
    </form>
  );
}
