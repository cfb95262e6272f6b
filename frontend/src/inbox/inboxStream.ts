/** The connection to the inbox's server-sent events: a fresh token, an EventSource, and on any error the same again
 * after a growing wait (the token lapses after an hour, a server restarts, a proxy ends a long response). */
import { getInboxStreamToken } from "../api";
import { reconnectDelay } from "./reconnect";
import type { ConversationEvent } from "./types";

export interface StreamHandlers {
  /** The stream (again) listens: what happened before has to be read afresh, and nothing after is missed. */
  onConnected(): void;
  onConversation(event: ConversationEvent): void;
}

const DEFAULT_STREAM_URL = "/inbox/stream";

/** Opens the stream and keeps it open; the answer closes it for good. */
export function openInboxStream(handlers: StreamHandlers): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;

  const reconnectLater = () => {
    source?.close();
    source = null;
    if (closed) return;
    retry = setTimeout(connect, reconnectDelay(failures));
    failures += 1;
  };

  async function connect() {
    let answer;
    try {
      answer = await getInboxStreamToken();
    } catch {
      reconnectLater();
      return;
    }
    if (closed) return;
    const url = `${answer.stream_url || DEFAULT_STREAM_URL}?token=${encodeURIComponent(answer.token)}`;
    source = new EventSource(url);
    source.addEventListener("ready", () => {
      failures = 0;
      handlers.onConnected();
    });
    source.addEventListener("conversation", (event) => handlers.onConversation(JSON.parse((event as MessageEvent<string>).data)));
    // The browser would retry with the same token, which may have lapsed: ask for a fresh one instead.
    source.addEventListener("error", reconnectLater);
  }

  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    source?.close();
  };
}
