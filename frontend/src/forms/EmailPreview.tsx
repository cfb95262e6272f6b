/** An email written on the node (subject, preheader, MJML body) rendered by the server as the inbox will show it, for a
 * chosen contact or the sample contact, whose missing name shows the fallbacks. */
import { useState } from "react";

import type { ContactSummary } from "../api";
import { ContactPicker } from "./ContactPicker";
import { useMessagePreview } from "./useMessagePreview";

export function EmailPreview({ subject, body, preheader }: { subject?: string; body?: string; preheader?: string }) {
  const [contact, setContact] = useState<ContactSummary | null>(null);
  const content = body ? { subject: subject ?? "", preheader: preheader ?? "", body } : null;
  const { preview, problem } = useMessagePreview("email", content, contact?.id ?? null);
  if (!body) return null;
  const shown = preview?.content as { subject?: string; preheader?: string } | undefined;
  return (
    <>
      <ContactPicker contact={contact} onChange={setContact} />
      <div className="email-preview" data-testid="email-preview">
        <div className="email-preview-subject">
          {shown ? <b>{shown.subject || "(no subject)"}</b> : <span className="muted">Rendering…</span>}
          {shown?.preheader && <span className="muted"> — {shown.preheader}</span>}
        </div>
        {problem && (
          <p className="text-danger small" role="alert">
            {problem}
          </p>
        )}
        <iframe title="Email preview" sandbox="" srcDoc={preview?.html ?? ""} />
      </div>
    </>
  );
}
