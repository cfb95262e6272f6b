/** Picks a saved email template from the library and shows it rendered by the server, for a chosen contact or a sample
 * one; links to the template in the library; and turns an email written on the node into a library template. */
import { useEffect, useState } from "react";

import { type Config, type ContactSummary, createMessageTemplate, listMessageTemplates, type MessageTemplate, previewMessageTemplate } from "../api";
import { useEditor } from "../editor/store";
import { fieldErrors, inlineEmailFields, sendingTemplate } from "../templates/library";
import { ContactPicker } from "./ContactPicker";

/** "Save as template": the selected email node's own subject and body become a library template the node then sends. */
function SaveAsTemplate({ onSaved }: { onSaved(template: MessageTemplate): void }) {
  const selected = useEditor((state) => state.nodes).filter((node) => node.selected);
  const updateConfig = useEditor((state) => state.updateConfig);
  const [name, setName] = useState<string | null>(null); // null: the name box is closed
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const node = selected.length === 1 ? selected[0] : null;
  const config = (node?.data ?? {}) as Config;
  if (!node || !config.subject || !config.body) return null;

  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const template = await createMessageTemplate(inlineEmailFields(config, name ?? ""));
      onSaved(template);
      updateConfig(node.id, sendingTemplate(config, template.id));
      setName(null);
    } catch (error) {
      setProblem(Object.values(fieldErrors(error)).join(" "));
    } finally {
      setBusy(false);
    }
  };

  if (name === null) {
    return (
      <button type="button" className="link small" onClick={() => setName(String(config.subject))} data-testid="save-as-template">
        Save this email as a library template…
      </button>
    );
  }
  return (
    <div className="insert-variable">
      <label className="field">
        <span>Template name</span>
        <input value={name} maxLength={200} onChange={(event) => setName(event.target.value)} data-testid="save-as-template-name" />
      </label>
      {problem && <p className="text-danger small">{problem}</p>}
      <div>
        <button type="button" className="button small" disabled={busy || !name.trim()} onClick={save} data-testid="save-as-template-save">
          {busy ? "Saving…" : "Save as template"}
        </button>{" "}
        <button type="button" className="link small" onClick={() => setName(null)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

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
    listMessageTemplates("email").then(setTemplates, (error: Error) => setProblem(error.message));
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

  const saved = (template: MessageTemplate) => {
    setTemplates((list) => [...(list ?? []), template]);
    setListWanted(true);
  };
  if (!templates && !problem) {
    return (
      <div className="template-picker">
        <button type="button" className="button secondary small" onClick={() => setListWanted(true)} data-testid="choose-email-template">
          {value ? `Template #${value}` : "Choose a saved template…"}
        </button>
        {!value && <SaveAsTemplate onSaved={saved} />}
      </div>
    );
  }
  return (
    <div className="template-picker">
      {problem && <p className="text-danger">{problem}</p>}
      {templates && (
        <select value={value ?? ""} data-testid="email-template-select" onChange={(event) => onChange(event.target.value ? Number(event.target.value) : undefined)}>
          <option value="">— write the email here instead —</option>
          {templates.map((template) => (
            <option key={template.id} value={template.id}>
              {template.name}
            </option>
          ))}
        </select>
      )}
      <p className="small">
        {value ? (
          <a href={`/templates/${value}`} target="_blank" rel="noopener" data-testid="edit-template-in-library">
            Edit in library ↗
          </a>
        ) : (
          <a href="/templates" target="_blank" rel="noopener">
            Open the template library ↗
          </a>
        )}
      </p>
      {!value && <SaveAsTemplate onSaved={saved} />}
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
