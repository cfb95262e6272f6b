/** Picks a saved email template and shows it rendered by the server, for a chosen contact or a sample one. */
import { useEffect, useState } from "react";

import { type ContactSummary, listMessageTemplates, type MessageTemplate, previewMessageTemplate } from "../api";
import { ContactPicker } from "./ContactPicker";

export function EmailTemplatePicker({ value, onChange }: { value: number | undefined; onChange(value: number | undefined): void }) {
  // The list is fetched once the marketer asks for it, or at once when a template is already chosen.
  const [listWanted, setListWanted] = useState(Boolean(value));
  const [templates, setTemplates] = useState<MessageTemplate[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [contact, setContact] = useState<ContactSummary | null>(null);
  const [rendered, setRendered] = useState<{ templateId: number; contactId: number | null; subject: string; html: string } | null>(null);
  const contactId = contact?.id ?? null;
  const preview = rendered && rendered.templateId === value && rendered.contactId === contactId ? rendered : null;

  useEffect(() => {
    if (!listWanted) return;
    listMessageTemplates().then(setTemplates, (error: Error) => setProblem(error.message));
  }, [listWanted]);

  useEffect(() => {
    if (!value) return;
    let current = true; // the rendering of a template or contact chosen before must not replace this one's
    previewMessageTemplate(value, { contact_id: contactId ?? undefined }).then(
      (answer) => current && setRendered({ templateId: value, contactId, ...answer }),
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [value, contactId]);

  if (!templates && !problem) {
    return (
      <button type="button" className="button secondary small" onClick={() => setListWanted(true)}>
        {value ? `Template #${value}` : "Choose a saved template…"}
      </button>
    );
  }
  return (
    <div className="template-picker">
      {problem && <p className="text-danger">{problem}</p>}
      {templates && (
        <select value={value ?? ""} onChange={(event) => onChange(event.target.value ? Number(event.target.value) : undefined)}>
          <option value="">— write the email here instead —</option>
          {templates.map((template) => (
            <option key={template.id} value={template.id}>
              {template.name}
            </option>
          ))}
        </select>
      )}
      {value ? <ContactPicker contact={contact} onChange={setContact} /> : null}
      {preview && (
        <div className="email-preview">
          <div className="email-preview-subject">{preview.subject}</div>
          <iframe title="Email preview" sandbox="" srcDoc={preview.html} />
        </div>
      )}
    </div>
  );
}
