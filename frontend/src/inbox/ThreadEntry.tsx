/** One item of a conversation: what the site sent (left, with who or which flow sent it, on which channel), what the
 * contact wrote (right, marked when it came by email), or a note only the team sees. */
import { Link } from "react-router-dom";

import { formatDateTime } from "../components/localeFormat";
import type { MessageItem, NoteItem, ReplyItem, ThreadItem } from "./types";
import { forwardText, messageSender, personName } from "./wording";

const CHANNELS: Record<string, string> = { chat: "Chat", popup: "Popup" };

function SentMessage({ message }: { message: MessageItem }) {
  const forward = forwardText(message.forward);
  return (
    <>
      <div className="thread-meta">
        <b>{messageSender(message)}</b> <span className="badge">{CHANNELS[message.channel] ?? message.channel}</span>
        {message.flow && (
          <>
            {" "}
            <Link to={`/flows/${message.flow.id}`} className="small">
              {message.flow.name}
            </Link>
          </>
        )}
        <span className="muted small"> · {formatDateTime(message.at)}</span>
      </div>
      {message.title && <div className="thread-title">{message.title}</div>}
      {message.body && <p className="thread-body">{message.body}</p>}
      {message.button && <div className="small">Button: {message.button.text}</div>}
      <div className="muted small">
        {message.statuses.join(" → ")}
        {forward && <span className="thread-forward" data-testid="forward-state"> · {forward}</span>}
      </div>
    </>
  );
}

function ContactReply({ reply }: { reply: ReplyItem }) {
  return (
    <>
      <div className="thread-meta muted small">
        {formatDateTime(reply.at)}
        {reply.source === "email" && <span className="badge thread-by-email"> by email</span>}
      </div>
      <p className="thread-body">{reply.body}</p>
    </>
  );
}

function Note({ note }: { note: NoteItem }) {
  return (
    <>
      <div className="thread-meta small">
        <b>{note.author ? personName(note.author) : "A teammate"}</b> <span className="muted">· only your team sees this · {formatDateTime(note.at)}</span>
      </div>
      <p className="thread-body">{note.body}</p>
    </>
  );
}

export function ThreadEntry({ item }: { item: ThreadItem }) {
  return (
    <li className={`thread-item thread-${item.kind}`} data-testid="thread-item" data-kind={item.kind} data-id={item.id}>
      {item.kind === "message" && <SentMessage message={item} />}
      {item.kind === "reply" && <ContactReply reply={item} />}
      {item.kind === "note" && <Note note={item} />}
    </li>
  );
}
