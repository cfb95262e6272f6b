/** One message template (`/templates/<id>`, or `/templates/new?channel=email`): its name and subject, an email's body in
 * the visual block editor or as MJML source (the two round-trip), a chat message's or popup's text; the server's
 * preview for a chosen contact or the sample contact; a test email; and the flows that send it. */
import { lazy, Suspense, useEffect, useRef, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import {
  createMessageTemplate,
  getMessageTemplate,
  getNodeTypes,
  type MessageTemplateFields,
  type SavedMessageTemplate,
  updateMessageTemplate,
} from "../api";
import { formatDateTime } from "../components/localeFormat";
import { EmailPreview } from "../forms/EmailPreview";
import { PopupPreview } from "../forms/PopupPreview";
import type { InsertableVariable } from "../forms/variables";
import { ChatPreview } from "../templates/ChatPreview";
import { blankTemplate, CHANNEL_LABELS, CHANNELS, fieldErrors, insertableVariables } from "../templates/library";
import type { MjmlVisualEditorHandle } from "../templates/MjmlVisualEditor";
import { TemplateField } from "../templates/TemplateField";
import { TestSend } from "../templates/TestSend";

// GrapesJS and the MJML compiler it runs in the browser are most of this page's weight: a chunk of their own, loaded
// when an email is first shown in the visual editor.
const MjmlVisualEditor = lazy(() => import("../templates/MjmlVisualEditor").then((module) => ({ default: module.MjmlVisualEditor })));

const NAME_LENGTH = 200; // the API's limits
const SUBJECT_LENGTH = 500;

type Mode = "visual" | "source";

function fieldsOf(template: SavedMessageTemplate): MessageTemplateFields {
  return { name: template.name, channel: template.channel, subject: template.subject, body: template.body };
}

function sameFields(a: MessageTemplateFields, b: MessageTemplateFields): boolean {
  return a.name === b.name && a.channel === b.channel && a.subject === b.subject && a.body === b.body;
}

/** The page keyed by the template it shows, so opening another starts afresh. */
export function TemplatePage() {
  const { id = "new" } = useParams();
  return <TemplateEditor key={id} id={id} />;
}

function TemplateEditor({ id }: { id: string }) {
  const navigate = useNavigate();
  const location = useLocation();
  // A template just created arrives with the navigation to its address, so it is not fetched again.
  const created = (location.state as { created?: SavedMessageTemplate } | null)?.created;
  const creating = id === "new";
  const [saved, setSaved] = useState<SavedMessageTemplate | null>(created?.id === Number(id) ? created : null);
  const [fields, setFields] = useState<MessageTemplateFields | null>(() =>
    creating ? blankTemplate(new URLSearchParams(location.search).get("channel")) : saved && fieldsOf(saved),
  );
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [mode, setMode] = useState<Mode>("visual");
  const [generation, setGeneration] = useState(0); // grows when the visual editor must reopen with the source's MJML
  const [variables, setVariables] = useState<InsertableVariable[]>([]);
  const visual = useRef<MjmlVisualEditorHandle>(null);
  const loaded = saved !== null || creating;

  useEffect(() => {
    if (loaded) return;
    getMessageTemplate(Number(id)).then(
      (template) => {
        setSaved(template);
        setFields(fieldsOf(template));
      },
      (error: Error) => setLoadProblem(error.message),
    );
  }, [id, loaded]);

  useEffect(() => {
    getNodeTypes().then((catalogue) => setVariables(insertableVariables(catalogue)), () => setVariables([]));
  }, []);

  if (loadProblem) {
    return (
      <div className="page empty-state">
        <h2>{loadProblem}</h2>
        <Link to="/templates">Back to the templates</Link>
      </div>
    );
  }
  if (!fields) return <div className="page muted">Loading…</div>;

  const email = fields.channel === "email";
  const change = (changes: Partial<MessageTemplateFields>) => {
    setFields((current) => current && { ...current, ...changes });
    setNotice(null);
  };
  const unsaved = !saved || !sameFields(fields, fieldsOf(saved));

  /** The fields as they are now, the visual editor's typing included. */
  const current = async (): Promise<MessageTemplateFields> => {
    if (email && mode === "visual" && visual.current) return { ...fields, body: await visual.current.mjml() };
    return fields;
  };

  /** Saves the edits, if any; the template's id, or null when the server refused them (its reasons shown by the fields). */
  const save = async (): Promise<number | null> => {
    const wanted = await current();
    setFields(wanted);
    if (saved && sameFields(wanted, fieldsOf(saved))) return saved.id;
    setSaving(true);
    setErrors({});
    setNotice(null);
    try {
      if (!saved) {
        const stored = await createMessageTemplate(wanted);
        navigate(`/templates/${stored.id}`, { replace: true, state: { created: stored } });
        return stored.id;
      }
      const stored = await updateMessageTemplate(saved.id, wanted);
      setSaved(stored);
      setNotice(`Saved: version ${stored.version}.`);
      return stored.id;
    } catch (error) {
      setErrors(fieldErrors(error));
      return null;
    } finally {
      setSaving(false);
    }
  };

  const switchMode = async (next: Mode) => {
    if (next === mode) return;
    if (next === "source") {
      const mjml = visual.current ? await visual.current.mjml() : fields.body;
      change({ body: mjml });
    } else {
      setGeneration((value) => value + 1);
    }
    setMode(next);
  };

  const title = saved ? saved.name : `New ${CHANNEL_LABELS[fields.channel].toLowerCase()} template`;
  return (
    <div className="page template-editor">
      <div className="page-head">
        <div>
          <Link to="/templates" className="muted small">
            ← All templates
          </Link>
          <h1 data-testid="template-title">{title}</h1>
          {saved && (
            <p className="muted small">
              {CHANNEL_LABELS[saved.channel]} · version {saved.version} · saved {formatDateTime(saved.updated_at)}
            </p>
          )}
        </div>
        <div className="page-actions">
          {unsaved && <span className="muted small">Unsaved changes</span>}
          <button type="button" className="button" onClick={() => save()} disabled={saving} data-testid="template-save">
            {saving ? "Saving…" : "Save"}
          </button>
        </div>
      </div>
      {errors[""] && (
        <p className="text-danger" role="alert" data-testid="template-error">
          {errors[""]}
        </p>
      )}
      {notice && (
        <p className="muted" role="status" data-testid="template-notice">
          {notice}
        </p>
      )}
      <div className="template-layout">
        <section className="template-main">
          {creating && (
            <label className="field">
              <span>Channel</span>
              <select value={fields.channel} onChange={(event) => change(blankTemplate(event.target.value))} data-testid="template-channel">
                {CHANNELS.map((channel) => (
                  <option key={channel} value={channel}>
                    {CHANNEL_LABELS[channel]}
                  </option>
                ))}
              </select>
            </label>
          )}
          <TemplateField label="Name" value={fields.name} onChange={(name) => change({ name })} error={errors.name} maxLength={NAME_LENGTH} placeholder="Welcome email" testId="template-name" />
          {fields.channel !== "chat" && (
            <TemplateField
              label={email ? "Subject" : "Title"}
              value={fields.subject}
              onChange={(subject) => change({ subject })}
              error={errors.subject}
              variables={variables}
              maxLength={SUBJECT_LENGTH}
              placeholder={email ? "Welcome aboard" : "Before you go…"}
              testId="template-subject"
            />
          )}
          {email ? (
            <>
              <div className="template-body-head">
                <span className="small">
                  <b>Body</b>
                </span>
                <div className="segmented" role="group" aria-label="Edit the body">
                  <button type="button" className={mode === "visual" ? "active" : ""} onClick={() => switchMode("visual")} data-testid="template-mode-visual">
                    Visual
                  </button>
                  <button type="button" className={mode === "source" ? "active" : ""} onClick={() => switchMode("source")} data-testid="template-mode-source">
                    MJML source
                  </button>
                </div>
              </div>
              {mode === "visual" ? (
                <>
                  {errors.body && (
                    <p className="text-danger small" role="alert" data-testid="template-source-error">
                      {errors.body}
                    </p>
                  )}
                  <Suspense fallback={<p className="muted">Loading the visual editor…</p>}>
                    <MjmlVisualEditor key={generation} ref={visual} initial={fields.body} onChange={(body) => change({ body })} />
                  </Suspense>
                  <p className="muted small">Click a block to add it to the selected column (or drag it in); double-click a text to type.</p>
                </>
              ) : (
                <TemplateField label="MJML" value={fields.body} onChange={(body) => change({ body })} error={errors.body} variables={variables} rows={22} testId="template-source" />
              )}
            </>
          ) : (
            <TemplateField
              label={fields.channel === "chat" ? "Message" : "Text"}
              value={fields.body}
              onChange={(body) => change({ body })}
              error={errors.body}
              variables={variables}
              rows={6}
              testId="template-body"
            />
          )}
        </section>
        <aside className="template-side">
          <div className="card" data-testid="template-preview">
            <h3>Preview</h3>
            {email && <EmailPreview subject={fields.subject} body={fields.body} />}
            {fields.channel === "chat" && <ChatPreview body={fields.body} />}
            {fields.channel === "popup" && <PopupPreview config={{ size: "small", title: fields.subject || undefined, body: fields.body }} />}
          </div>
          {email && (
            <div className="card">
              <h3>Test email</h3>
              {saved ? <TestSend saved={save} unsaved={unsaved} /> : <p className="muted small">Save the template to send yourself a test.</p>}
            </div>
          )}
          <div className="card" data-testid="template-used-by">
            <h3>Used by</h3>
            {saved?.used_by.length ? (
              <ul className="template-users">
                {saved.used_by.map((flow) => (
                  <li key={flow.id}>
                    <Link to={`/flows/${flow.id}`}>{flow.name}</Link>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted small">No flow sends it yet.</p>
            )}
          </div>
        </aside>
      </div>
    </div>
  );
}
