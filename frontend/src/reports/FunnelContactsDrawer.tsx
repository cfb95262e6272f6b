/** The contacts who reached a step of the computed funnel, or dropped after it; saved as a segment in one click (a
 * tag snapshot the server makes), then sent to a live flow with the broadcast dialog. */
import { useCallback, useState } from "react";
import { Link } from "react-router-dom";

import { ApiError, listFunnelContacts, type Segment, segmentFromFunnel } from "../api";
import { BroadcastDialog } from "../components/BroadcastDialog";
import { formatNumber } from "../components/localeFormat";
import { reloadSegments } from "../components/segments";
import { ContactsDrawer } from "../components/ContactsDrawer";
import { cohortSegmentName, cohortTitle } from "./funnelResult";
import type { FunnelCohort, FunnelResult } from "./types";

interface FunnelContactsDrawerProps {
  cohort: FunnelCohort;
  result: FunnelResult;
  funnelName: string;
  onClose(): void;
}

/** Naming the segment, saving it, then what it holds and where it can go. */
function SaveAsSegment({ cohort, result, funnelName }: Omit<FunnelContactsDrawerProps, "onClose">) {
  const [name, setName] = useState<string | null>(null); // null: not asked for yet
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<Segment | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [broadcasting, setBroadcasting] = useState(false);

  const save = () => {
    if (!name?.trim()) return;
    setSaving(true);
    setProblem(null);
    segmentFromFunnel(cohort, name.trim())
      .then(
        (segment) => {
          setSaved(segment);
          reloadSegments().catch(() => undefined); // the segment pickers offer it
        },
        (error: Error) => setProblem(error instanceof ApiError && error.errors.length ? error.errors.map((item) => item.message).join(" ") : error.message),
      )
      .finally(() => setSaving(false));
  };

  if (saved) {
    return (
      <div className="funnel-segment-saved" role="status" data-testid="funnel-segment-saved">
        <p>
          Saved the segment{" "}
          <Link to={`/segments/${saved.id}`} data-testid="funnel-segment-link">
            {saved.name}
          </Link>
          {saved.count !== undefined && saved.count !== null && <> with {formatNumber(saved.count)} contacts</>}.
        </p>
        <button type="button" className="button secondary small" onClick={() => setBroadcasting(true)} data-testid="send-to-flow">
          Send to a flow…
        </button>
        {broadcasting && <BroadcastDialog segmentId={saved.id} onClose={() => setBroadcasting(false)} />}
      </div>
    );
  }
  if (name === null) {
    return (
      <div className="funnel-segment-actions">
        <button type="button" className="button secondary small" onClick={() => setName(cohortSegmentName(funnelName, cohort, result))} data-testid="save-as-segment">
          Save as segment
        </button>
      </div>
    );
  }
  return (
    <form
      className="funnel-segment-form"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <label className="field">
        <span>Segment name</span>
        <input value={name} maxLength={200} autoFocus onChange={(event) => setName(event.target.value)} data-testid="segment-name" />
      </label>
      <p className="muted small">The contacts listed here are tagged: the segment keeps them, whatever they do next.</p>
      {problem && <p className="text-danger small">{problem}</p>}
      <div className="page-actions">
        <button type="submit" className="button small" disabled={saving || !name.trim()} data-testid="save-segment">
          {saving ? "Saving…" : "Save segment"}
        </button>
        <button type="button" className="button secondary small" disabled={saving} onClick={() => setName(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function FunnelContactsDrawer({ cohort, result, funnelName, onClose }: FunnelContactsDrawerProps) {
  const load = useCallback(
    (limit: number, offset: number) =>
      listFunnelContacts(cohort, limit, offset).then((page) => ({
        total: page.total,
        contacts: page.items.map((contact) => ({ ...contact, at: contact.reached_at })),
      })),
    [cohort],
  );
  return (
    <ContactsDrawer
      testId="report-drawer"
      className="report-drawer"
      context={funnelName.trim() || "Funnel"}
      title={cohortTitle(cohort, result)}
      timeTitle={`Reached step ${cohort.step}`}
      load={load}
      onClose={onClose}
      rowTestId="funnel-contacts-row"
    >
      <SaveAsSegment cohort={cohort} result={result} funnelName={funnelName} />
    </ContactsDrawer>
  );
}
