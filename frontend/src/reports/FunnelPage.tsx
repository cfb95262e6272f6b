/** One funnel (or a new one): its builder, "Compute" drawing the chart and the breakdown, the contacts behind each bar
 * in a drawer, and saving, renaming and deleting it. A saved funnel is computed as soon as it is opened. */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import { ApiError, computeFunnel, createSavedFunnel, deleteSavedFunnel, getSavedFunnel, updateSavedFunnel } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { formatDateTime } from "../components/localeFormat";
import { canonicalJson } from "../components/segmentText";
import { loadCatalogue } from "../editor/store";
import { FunnelBuilder } from "./FunnelBuilder";
import { BreakdownTable, FunnelChart } from "./FunnelChart";
import { FunnelContactsDrawer } from "./FunnelContactsDrawer";
import { breakdownTitle } from "./funnelResult";
import { blankDraft, definitionOf, draftOf, draftProblems, type FunnelDraft, type Problems, problemsOf, unplacedProblems } from "./funnelDraft";
import { ReportsTabs } from "./ReportsTabs";
import type { FunnelCohort, FunnelDefinition, FunnelResult, Outcome, SavedFunnel } from "./types";
import "./reports.css";

/** The page for `/reports/funnels/:id`: a fresh builder per funnel, so nothing typed for one is left on another. */
export function FunnelPage() {
  const { id = "new" } = useParams();
  return <FunnelEditor key={id} id={id} />;
}

/** What the page is told when it is opened just after the funnel was first saved. */
interface Arrival {
  notice?: string;
}

/** A result with the definition it was computed for: the drawer lists that funnel's contacts, not the one since edited. */
interface Computed {
  definition: FunnelDefinition;
  result: FunnelResult;
}

function FunnelEditor({ id }: { id: string }) {
  const funnelId = id === "new" ? null : Number(id);
  const navigate = useNavigate();
  const arrival = (useLocation().state ?? {}) as Arrival;
  const [saved, setSaved] = useState<SavedFunnel | null>(null);
  const [name, setName] = useState("");
  const [draft, setDraft] = useState<FunnelDraft>(blankDraft);
  const [problems, setProblems] = useState<Problems>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(arrival.notice ?? null);
  const [computed, setComputed] = useState<Computed | null>(null);
  const [computing, setComputing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [cohort, setCohort] = useState<FunnelCohort | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const definition = useMemo(() => definitionOf(draft), [draft]);
  // Compared whatever order the server keeps an object's keys in (a rule comes back as {op, property, value}).
  const definitionJson = canonicalJson(definition);

  const compute = useCallback((asked: FunnelDefinition) => {
    setComputing(true);
    setProblems({});
    setCohort(null);
    computeFunnel(asked)
      .then(
        (result) => setComputed({ definition: asked, result }),
        (error: Error) => {
          if (error instanceof ApiError && error.errors.length) setProblems(problemsOf(error.errors));
          else setProblem(error.message);
        },
      )
      .finally(() => setComputing(false));
  }, []);

  useEffect(() => {
    // The event-property rules offer what the served filter schema defines.
    loadCatalogue().catch((error: Error) => setProblem(error.message));
  }, []);

  useEffect(() => {
    if (funnelId === null || !Number.isInteger(funnelId)) return;
    let current = true;
    getSavedFunnel(funnelId).then(
      (funnel) => {
        if (!current) return;
        setSaved(funnel);
        setName(funnel.name);
        setDraft(draftOf(funnel.definition));
        compute(funnel.definition);
      },
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [funnelId, compute]);

  const runCompute = () => {
    const found = draftProblems(draft);
    setProblems(found);
    setProblem(null);
    if (Object.keys(found).length === 0) compute(definition);
  };

  const changed = saved === null || name.trim() !== saved.name || definitionJson !== canonicalJson(definitionOf(draftOf(saved.definition)));
  const stale = computed !== null && canonicalJson(computed.definition) !== definitionJson;

  const save = () => {
    const found = draftProblems(draft);
    setProblems(found);
    setProblem(null);
    setNotice(null);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    (funnelId === null ? createSavedFunnel(name.trim(), definition) : updateSavedFunnel(funnelId, name.trim(), definition))
      .then(
        (funnel) => {
          const said = `Saved “${funnel.name}”.`;
          if (funnelId === null) {
            navigate(`/reports/funnels/${funnel.id}`, { replace: true, state: { notice: said } satisfies Arrival });
            return;
          }
          setSaved(funnel);
          setName(funnel.name);
          setNotice(said);
        },
        (error: Error) => {
          if (error instanceof ApiError && error.errors.length) setProblems(problemsOf(error.errors, "/definition"));
          else setProblem(error.message);
        },
      )
      .finally(() => setSaving(false));
  };

  const remove = () => {
    if (funnelId === null) return;
    setDeleting(true);
    deleteSavedFunnel(funnelId).then(
      () => navigate("/reports/funnels"),
      (error: Error) => {
        setDeleting(false);
        setConfirmingDelete(false);
        setProblem(error.message);
      },
    );
  };

  const open = (step: number, outcome: Outcome) => computed && setCohort({ definition: computed.definition, step, outcome });

  if (funnelId !== null && !Number.isInteger(funnelId)) {
    return (
      <div className="page">
        <p className="text-danger">There is no funnel “{id}”.</p>
        <Link to="/reports/funnels">Back to funnels</Link>
      </div>
    );
  }
  if (funnelId !== null && saved === null) {
    return <div className="page muted">{problem ?? "Loading…"}</div>;
  }
  const nameProblem = problems["/name"];
  const elsewhere = unplacedProblems(problems);
  return (
    <div className={`page funnel-page${cohort ? " with-drawer" : ""}`}>
      <div className="page-head">
        <h1>
          <Link to="/reports/funnels" className="muted">
            Funnels
          </Link>{" "}
          / {saved ? saved.name : "New funnel"}
        </h1>
        <ReportsTabs />
        <div className="page-actions">
          <input
            className="funnel-name"
            value={name}
            maxLength={200}
            placeholder="Name, e.g. Checkout"
            onChange={(event) => setName(event.target.value)}
            aria-label="Funnel name"
            data-testid="funnel-name"
          />
          <button type="button" className="button secondary" onClick={save} disabled={saving || !name.trim() || !changed} title={name.trim() ? undefined : "Name the funnel first"} data-testid="funnel-save">
            {saving ? "Saving…" : funnelId === null ? "Save funnel" : "Save"}
          </button>
          {saved && (
            <button type="button" className="button danger" onClick={() => setConfirmingDelete(true)} disabled={deleting} data-testid="funnel-delete">
              Delete
            </button>
          )}
        </div>
      </div>
      {nameProblem && <p className="text-danger small">{nameProblem}</p>}
      {notice && (
        <p className="muted" role="status" data-testid="funnel-notice">
          {notice}
        </p>
      )}
      {problem && <p className="text-danger">{problem}</p>}
      {elsewhere.map((message) => (
        <p key={message} className="text-danger">
          {message}
        </p>
      ))}
      <div className="funnel-layout">
        <FunnelBuilder draft={draft} onChange={setDraft} problems={problems} />
        <section className="card funnel-result">
          <div className="funnel-result-head">
            <button type="button" className="button" onClick={runCompute} disabled={computing} data-testid="funnel-compute">
              {computing ? "Computing…" : "Compute"}
            </button>
            {computed && (
              <span className="muted small" data-testid="funnel-computed">
                Step 1 from {formatDateTime(computed.result.from)} to {formatDateTime(computed.result.to)}, computed {formatDateTime(computed.result.computed_at)}
                {stale && <strong> — for the funnel as it was: compute again to see your changes.</strong>}
              </span>
            )}
          </div>
          {computed ? (
            <>
              <FunnelChart result={computed.result} onOpen={open} />
              <BreakdownTable result={computed.result} title={breakdownTitle(computed.definition.breakdown)} />
            </>
          ) : (
            <p className="muted">Choose the events of each step, then Compute: the chart shows how many contacts reached each one.</p>
          )}
        </section>
      </div>
      {cohort && computed && (
        <FunnelContactsDrawer key={`${cohort.step}:${cohort.outcome}:${computed.result.computed_at}`} cohort={cohort} result={computed.result} funnelName={name} onClose={() => setCohort(null)} />
      )}
      {confirmingDelete && saved && (
        <ConfirmDialog title={`Delete “${saved.name}”?`} action="Delete" busyLabel="Deleting…" busy={deleting} onConfirm={remove} onCancel={() => setConfirmingDelete(false)}>
          <p>The saved funnel is deleted. Events, contacts and segments made from it stay.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
