/** A send node's message rendered by the server, as a real contact (or, without one, the sample contact) gets it. */
import { useEffect, useState } from "react";

import { type Config, type MessageChannel, type MessagePreview, previewMessage } from "../api";

/** How long typing must pause before the message is rendered again. */
const TYPING_PAUSE_MS = 300;

/** The server's rendering of `content` (null: nothing to render) for `contactId` (null: the sample contact), asked for
 * once typing pauses; the last rendering stays on screen until the next arrives. `problem` is the server's sentence
 * naming the field that does not render. */
export function useMessagePreview(channel: MessageChannel, content: Config | null, contactId: number | null) {
  const [preview, setPreview] = useState<MessagePreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // The content as text, so a config rebuilt on every edit asks again only when what it says changes.
  const wanted = content === null ? null : JSON.stringify(content);

  useEffect(() => {
    if (wanted === null) return;
    let current = true; // an answer for text since changed, or another contact, must not replace this one's
    const timer = setTimeout(() => {
      previewMessage(channel, JSON.parse(wanted) as Config, { contact_id: contactId ?? undefined }).then(
        (answer) => {
          if (!current) return;
          setPreview(answer);
          setProblem(null);
        },
        (error: Error) => current && setProblem(error.message),
      );
    }, TYPING_PAUSE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [channel, wanted, contactId]);

  return { preview, problem };
}
