/** The message template library: every email, chat and popup template with its subject, when it was last edited and the
 * flows that send it; search, filter by channel, new, duplicate, and delete (confirmed; refused while a flow uses it). */
import { Copy, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { deleteMessageTemplate, duplicateMessageTemplate, listMessageTemplates, type MessageChannel, type SavedMessageTemplate } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ChangeNotice, useListChanges } from "../components/ListChanges";
import { formatDate, formatDateTime } from "../components/localeFormat";
import { CHANNEL_LABELS, CHANNELS, matchingTemplates } from "../templates/library";

export function TemplatesPage() {
  const navigate = useNavigate();
  const [templates, setTemplates] = useState<SavedMessageTemplate[] | null>(null);
  const [search, setSearch] = useState("");
  const [channel, setChannel] = useState<MessageChannel | "">("");
  const [revision, setRevision] = useState(0); // bumped to load the list again after a change
  const [problem, setProblem] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<SavedMessageTemplate | null>(null);
  const { busy, outcome, act } = useListChanges(() => {
    setDeleting(null);
    setRevision((value) => value + 1);
  });

  useEffect(() => {
    listMessageTemplates().then(
      (answer) => {
        setTemplates(answer);
        setProblem(null);
      },
      (error: Error) => setProblem(error.message),
    );
  }, [revision]);

  const duplicate = (template: SavedMessageTemplate) =>
    act(async () => `Duplicated “${template.name}” as “${(await duplicateMessageTemplate(template.id)).name}”.`);
  const remove = (template: SavedMessageTemplate) =>
    act(async () => {
      await deleteMessageTemplate(template.id);
      return `Deleted “${template.name}”.`;
    });

  const shown = templates && matchingTemplates(templates, search, channel);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Message templates</h1>
        <div className="page-actions">
          <Link className="button secondary" to="/templates/new?channel=chat" data-testid="new-chat-template">
            New chat message
          </Link>
          <Link className="button secondary" to="/templates/new?channel=popup" data-testid="new-popup-template">
            New popup
          </Link>
          <Link className="button" to="/templates/new?channel=email" data-testid="new-email-template">
            New email template
          </Link>
        </div>
      </div>
      <div className="filters">
        <input type="search" placeholder="Search by name or subject" value={search} onChange={(event) => setSearch(event.target.value)} aria-label="Search templates" data-testid="templates-search" />
        <select value={channel} onChange={(event) => setChannel(event.target.value as MessageChannel | "")} aria-label="Channel" data-testid="templates-channel">
          <option value="">Any channel</option>
          {CHANNELS.map((value) => (
            <option key={value} value={value}>
              {CHANNEL_LABELS[value]}
            </option>
          ))}
        </select>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      <ChangeNotice outcome={outcome} testId="templates-notice" />
      {templates === null && !problem && <p className="muted">Loading…</p>}
      {shown?.length === 0 && (
        <div className="empty-state">
          {templates?.length ? (
            <>
              <h2>No template matches</h2>
              <p>Try another search or channel.</p>
            </>
          ) : (
            <>
              <h2>No templates yet</h2>
              <p>A template is an email, chat message or popup written once and sent from any flow; editing it changes what every flow sends next.</p>
              <div className="page-actions center">
                <Link className="button" to="/templates/new?channel=email">
                  New email template
                </Link>
              </div>
            </>
          )}
        </div>
      )}
      {shown && shown.length > 0 && (
        <table className="table templates-table" data-testid="templates-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Channel</th>
              <th>Subject</th>
              <th>Updated</th>
              <th>Used by</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {shown.map((template) => (
              <tr key={template.id} className="clickable" onClick={() => navigate(`/templates/${template.id}`)} data-testid={`template-row-${template.id}`}>
                <td>
                  <Link to={`/templates/${template.id}`} onClick={(event) => event.stopPropagation()}>
                    {template.name}
                  </Link>
                </td>
                <td>
                  <span className="badge">{CHANNEL_LABELS[template.channel]}</span>
                </td>
                <td className="small">{template.subject || <span className="muted">—</span>}</td>
                <td className="muted small" title={formatDateTime(template.updated_at)}>
                  {formatDate(template.updated_at)}
                </td>
                <td className="small" onClick={(event) => event.stopPropagation()}>
                  {template.used_by.length ? (
                    template.used_by.map((flow, index) => (
                      <span key={flow.id}>
                        {index > 0 && ", "}
                        <Link to={`/flows/${flow.id}`}>{flow.name}</Link>
                      </span>
                    ))
                  ) : (
                    <span className="muted">No flow</span>
                  )}
                </td>
                <td className="flow-actions" onClick={(event) => event.stopPropagation()}>
                  <button type="button" className="icon-button" onClick={() => duplicate(template)} disabled={busy} title="Duplicate" aria-label="Duplicate" data-testid="template-duplicate">
                    <Copy size={15} />
                  </button>
                  <button type="button" className="icon-button danger" onClick={() => setDeleting(template)} disabled={busy} title="Delete" aria-label="Delete" data-testid="template-delete">
                    <Trash2 size={15} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog title={`Delete “${deleting.name}”?`} action="Delete" busyLabel="Deleting…" busy={busy} onConfirm={() => remove(deleting)} onCancel={() => setDeleting(null)}>
          {deleting.used_by.length ? (
            <p>
              It cannot be deleted while {deleting.used_by.map((flow) => `“${flow.name}”`).join(", ")} {deleting.used_by.length === 1 ? "sends" : "send"} it: remove it
              from their email steps first.
            </p>
          ) : (
            <p>No flow sends it. Deleting it cannot be undone.</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
