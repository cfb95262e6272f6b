/** A chat message as the visitor's widget shows it, its text rendered by the server for a chosen contact or the sample
 * contact, whose missing name shows the fallbacks. */
import { useState } from "react";

import type { ContactSummary } from "../api";
import { ContactPicker } from "../forms/ContactPicker";
import { useMessagePreview } from "../forms/useMessagePreview";

export function ChatPreview({ body }: { body: string }) {
  const [contact, setContact] = useState<ContactSummary | null>(null);
  const { preview, problem } = useMessagePreview("chat", body ? { body } : null, contact?.id ?? null);
  const shown = preview?.content as { body?: string } | undefined;
  return (
    <div data-testid="chat-preview">
      <ContactPicker contact={contact} onChange={setContact} />
      {problem && (
        <p className="text-danger small" role="alert">
          {problem}
        </p>
      )}
      <div className="chat-bubble">{body ? (shown?.body ?? "Rendering…") : <span className="muted">Write the message to see it here.</span>}</div>
    </div>
  );
}
