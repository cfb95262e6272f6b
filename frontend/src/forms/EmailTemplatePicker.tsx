/** Picks a saved email template and shows it rendered by the server. */
import { useEffect, useState } from "react";

import { listMessageTemplates, type MessageTemplate, previewMessageTemplate } from "../api";

export function EmailTemplatePicker({ value, onChange }: { value: number | undefined; onChange(value: number | undefined): void }) {
  const [templates, setTemplates] = useState<MessageTemplate[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ subject: string; html: string } | null>(null);

  const load = () => {
    listMessageTemplates().then(setTemplates, (error: Error) => setProblem(error.message));
  };
  useEffect(() => {
    if (value) load();
  }, []);

  useEffect(() => {
    setPreview(null);
    if (!value) return;
    previewMessageTemplate(value).then(setPreview, (error: Error) => setProblem(error.message));
  }, [value]);

  if (!templates && !problem) {
    return (
      <button type="button" className="button secondary small" onClick={load}>
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
      {preview && (
        <div className="email-preview">
          <div className="email-preview-subject">{preview.subject}</div>
          <iframe title="Email preview" sandbox="" srcDoc={preview.html} />
        </div>
      )}
    </div>
  );
}
