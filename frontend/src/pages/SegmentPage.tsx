/** One segment (or a new one): its name, description and condition, built with the same rule builder as a flow's
 * conditions; while it is edited, a live count and the first contacts of the unsaved condition; save, delete, and
 * "Send to a flow…" (a broadcast at a live flow's manual trigger). */
import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import { ApiError, type Config, type ContactSummary, createSegment, deleteSegment, getSegment, previewCondition, type Segment, updateSegment } from "../api";
import { BroadcastDialog } from "../components/BroadcastDialog";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { formatDateTime } from "../components/localeFormat";
import { reloadSegments } from "../components/segments";
import { canonicalJson, matchNote, sortErrors, type SortedErrors, whyInUse } from "../components/segmentText";
import { UsedBy } from "../components/UsedBy";
import { readView, STORAGE_KEY } from "../contacts/columns";
import { exportContacts } from "../contacts/download";
import { loadCatalogue } from "../editor/store";
import { FilterBuilder, type Rule, useFilterLanguage } from "../forms/FilterBuilder";

/** How long the condition must stay unchanged before it is counted. */
const PREVIEW_DELAY_MS = 400;
/** How many of the matching contacts are listed. */
const PREVIEW_SIZE = 20;

/** The first contacts of the condition being edited and, once counted, how many match (the page comes first: at a
 * million contacts counting takes longer than finding the first few); or why it cannot be counted yet. */
type Preview = { total: number | null; contacts: ContactSummary[] | null } | { problems: string[] };

function Errors({ messages, testId }: { messages: string[]; testId: string }) {
  if (!messages.length) return null;
  return (
    <ul className="field-errors text-danger" data-testid={testId}>
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

/** The page for `/segments/:id`: a fresh editor for each segment, so nothing typed for one is left on another. */
export function SegmentPage() {
  const { id = "new" } = useParams();
  return <SegmentEditor key={id} id={id} />;
}

/** What the page is told when it is opened just after the segment was created. */
interface Arrival {
  notice?: string;
}

function SegmentEditor({ id }: { id: string }) {
  const segmentId = id === "new" ? null : Number(id);
  const navigate = useNavigate();
  const arrival = (useLocation().state ?? {}) as Arrival;
  const language = useFilterLanguage();
  const [saved, setSaved] = useState<Segment | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [filter, setFilter] = useState<Rule | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [errors, setErrors] = useState<SortedErrors | null>(null);
  const [notice, setNotice] = useState<string | null>(arrival.notice ?? null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [broadcasting, setBroadcasting] = useState(false);

  useEffect(() => {
    // The rule builder offers the rules the served filter schema defines.
    loadCatalogue().catch((error: Error) => setProblem(error.message));
  }, []);

  useEffect(() => {
    if (segmentId === null || !Number.isInteger(segmentId)) return;
    let current = true;
    getSegment(segmentId).then(
      (segment) => {
        if (!current) return;
        setSaved(segment);
        setName(segment.name);
        setDescription(segment.description);
        setFilter(segment.filter);
      },
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [segmentId]);

  const loaded = segmentId === null || saved !== null;
  const condition: Rule | null = filter ?? (language && segmentId === null ? { all: [language.blank("property")] } : null);
  const conditionJson = condition && loaded ? JSON.stringify(condition) : null;

  // The unsaved condition is counted once it has stayed the same for a moment; an answer for an older one is dropped.
  useEffect(() => {
    if (conditionJson === null) return;
    let current = true;
    const timer = setTimeout(() => {
      const condition = JSON.parse(conditionJson) as Config;
      const refused = (error: Error) => {
        if (!current) return;
        const sorted = error instanceof ApiError ? sortErrors(error.errors) : null;
        setPreview({ problems: sorted && sorted.filter.length ? sorted.filter : [error.message] });
      };
      // The page and the count are asked apart: the page shows as soon as it is found.
      const merge = (found: { total?: number | null; contacts?: ContactSummary[] }) =>
        current &&
        setPreview((shown) => {
          const known = shown !== null && !("problems" in shown) ? shown : { total: null, contacts: null };
          return { total: found.total ?? known.total, contacts: found.contacts ?? known.contacts };
        });
      setPreview(null);
      previewCondition(condition, PREVIEW_SIZE, false).then((page) => merge(page), refused);
      previewCondition(condition, 0).then((counted) => merge({ total: counted.total }), refused);
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [conditionJson]);

  const changed =
    saved === null || name !== saved.name || description !== saved.description || (filter !== null && canonicalJson(filter) !== canonicalJson(saved.filter));

  const save = () => {
    if (!condition) return;
    setSaving(true);
    setErrors(null);
    setNotice(null);
    const fields = { name: name.trim(), description, filter: condition };
    (segmentId === null ? createSegment(fields) : updateSegment(segmentId, fields))
      .then(
        (segment) => {
          const said = `Saved “${segment.name}”: ${matchNote(segment.count ?? 0).toLowerCase()}.`;
          reloadSegments().catch(() => undefined); // the segment pickers show the new name
          if (segmentId === null) {
            navigate(`/segments/${segment.id}`, { replace: true, state: { notice: said } satisfies Arrival });
            return;
          }
          setSaved(segment);
          setName(segment.name);
          setFilter(segment.filter);
          setNotice(said);
        },
        (error: Error) => {
          const sorted = error instanceof ApiError && error.errors.length ? sortErrors(error.errors) : null;
          setErrors(sorted ?? { name: [], description: [], filter: [], other: [error.message] });
        },
      )
      .finally(() => setSaving(false));
  };

  const remove = () => {
    if (segmentId === null) return;
    setDeleting(true);
    deleteSegment(segmentId).then(
      () => {
        reloadSegments().catch(() => undefined);
        navigate("/segments");
      },
      (error: Error) => {
        setDeleting(false);
        setConfirmingDelete(false);
        setErrors({ name: [], description: [], filter: [], other: [error.message] });
        getSegment(segmentId).then(setSaved, () => undefined); // who uses it now
      },
    );
  };

  const trouble = segmentId !== null && !Number.isInteger(segmentId) ? `There is no segment “${id}”.` : problem;
  if (trouble) {
    return (
      <div className="page">
        <p className="text-danger">{trouble}</p>
        <Link to="/segments">Back to segments</Link>
      </div>
    );
  }
  if (!loaded) return <div className="page muted">Loading…</div>;
  const inUse = saved ? whyInUse(saved) : null;
  const whyNoSend = saved === null ? "Save the segment first." : changed ? "Save your changes first: the saved condition is what is sent." : null;
  // The members as the saved condition selects them now, in the columns the contacts list was last set to show.
  const exportMembers = () => {
    if (!saved) return;
    exportContacts({ segment: saved.id }, readView(new URLSearchParams(), localStorage.getItem(STORAGE_KEY)).columns).catch(
      (error: Error) => setNotice(`The export failed: ${error.message}`),
    );
  };
  return (
    <div className="page segment-page">
      <div className="page-head">
        <h1>
          <Link to="/segments" className="muted">
            Segments
          </Link>{" "}
          / {saved ? saved.name : "New segment"}
        </h1>
        <div className="page-actions">
          {saved && (
            <>
              <Link className="button secondary" to={`/contacts?segment=${saved.id}`} data-testid="segment-contacts">
                Open in Contacts
              </Link>
              <button type="button" className="button secondary" onClick={exportMembers} disabled={whyNoSend !== null} title={whyNoSend ?? "Download the segment's contacts as CSV, with the contacts list's columns"} data-testid="segment-export">
                Export CSV
              </button>
              <button type="button" className="button secondary" onClick={() => setBroadcasting(true)} disabled={whyNoSend !== null} title={whyNoSend ?? "Enrol this segment's contacts at a live flow's manual trigger"} data-testid="segment-broadcast">
                Send to a flow…
              </button>
              <button type="button" className="button danger" onClick={() => setConfirmingDelete(true)} disabled={inUse !== null || deleting} title={inUse ?? "Delete this segment"} data-testid="segment-delete">
                Delete
              </button>
            </>
          )}
          <button type="button" className="button" onClick={save} disabled={saving || !condition || !changed} data-testid="segment-save">
            {saving ? "Saving…" : segmentId === null ? "Create segment" : "Save"}
          </button>
        </div>
      </div>
      {notice && (
        <p className="muted" role="status" data-testid="segment-notice">
          {notice}
        </p>
      )}
      <Errors messages={errors?.other ?? []} testId="segment-errors" />
      <div className="segment-layout">
        <section className="card segment-form">
          <label className="field">
            <span>Name</span>
            <input value={name} maxLength={200} onChange={(event) => setName(event.target.value)} placeholder="e.g. Pro plan, paid lately" data-testid="segment-name" />
            <Errors messages={errors?.name ?? []} testId="segment-name-errors" />
          </label>
          <label className="field">
            <span>Description</span>
            <textarea value={description} rows={2} onChange={(event) => setDescription(event.target.value)} placeholder="Who is in it, and what it is for" data-testid="segment-description" />
            <Errors messages={errors?.description ?? []} testId="segment-description-errors" />
          </label>
          <div className="field">
            <span>Contacts who match</span>
            {condition ? <FilterBuilder value={condition} onChange={setFilter} ownSegment={segmentId ?? undefined} /> : <p className="muted">Loading the filter language…</p>}
            <Errors messages={errors?.filter ?? []} testId="segment-filter-errors" />
            <p className="muted small">
              Properties are the contact's (traits your site sends, such as plan, city or utm_source; nested ones as address.city). Rules on an event's
              own properties, such as an order's amount, go under the event. Message rules need a flow, so segments do not offer them.
            </p>
          </div>
          {saved && (
            <p className="muted small">
              Used by: <UsedBy segment={saved} /> · updated {formatDateTime(saved.updated_at)}
            </p>
          )}
        </section>
        <section className="card segment-preview" data-testid="segment-preview">
          {preview === null ? (
            <p className="muted">Counting…</p>
          ) : "problems" in preview ? (
            <>
              <p className="muted">Finish the condition to see who is in it:</p>
              <Errors messages={preview.problems} testId="segment-preview-problems" />
            </>
          ) : (
            <>
              {preview.total === null ? (
                <h2 className="muted">Counting…</h2>
              ) : (
                <h2 data-testid="segment-live-count" data-count={preview.total}>
                  {matchNote(preview.total)}
                </h2>
              )}
              {changed && saved && <p className="muted small">Of the condition as edited, not yet saved.</p>}
              {preview.contacts === null && <p className="muted">Finding the first contacts…</p>}
              {preview.contacts !== null && preview.contacts.length > 0 && (
                <table className="table compact">
                  <tbody>
                    {preview.contacts.map((contact) => (
                      <tr key={contact.id}>
                        <td>
                          <Link to={`/contacts/${contact.id}`} data-testid="segment-preview-contact">
                            {contact.name || contact.email || "Anonymous visitor"}
                          </Link>
                        </td>
                        <td className="muted small">{contact.email}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {preview.contacts !== null && (preview.total === null || preview.total > preview.contacts.length) && (
                <p className="muted small">The first {preview.contacts.length}, most recently seen first.</p>
              )}
            </>
          )}
        </section>
      </div>
      {confirmingDelete && saved && (
        <ConfirmDialog title={`Delete “${saved.name}”?`} action="Delete" busyLabel="Deleting…" busy={deleting} onConfirm={remove} onCancel={() => setConfirmingDelete(false)}>
          <p>The segment and its condition are deleted for good. Contacts are not: only the grouping goes.</p>
        </ConfirmDialog>
      )}
      {broadcasting && saved && <BroadcastDialog segmentId={saved.id} onClose={() => setBroadcasting(false)} />}
    </div>
  );
}
