/** The flow editor: palette, canvas, side panel, toolbar (save, validate, publish, export…) and statistics mode. */
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ArrowLeft, Redo2, Undo2 } from "lucide-react";
import { useNavigate, useParams } from "react-router-dom";

import {
  ApiError,
  createFlow,
  diffFlow,
  exportFlow,
  getFlow,
  getFlowStats,
  publishFlow,
  saveFlow,
  setFlowState,
  validateFlow,
} from "../api";
import { BroadcastDialog } from "../components/BroadcastDialog";
import { sendsByHand, whyNoBroadcast } from "../components/broadcast";
import { StatusBadge } from "../components/StatusBadge";
import { Canvas } from "../editor/Canvas";
import { Palette } from "../editor/Palette";
import { changedNodes } from "../editor/migrationPlan";
import { PublishDialog } from "../editor/PublishDialog";
import { ForecastBar } from "../forecast/ForecastBar";
import { blockingProblems, ProblemsBar } from "../editor/ProblemsBar";
import { SidePanel } from "../editor/SidePanel";
import { newFlowDocument } from "../editor/graph";
import { editorStore, loadCatalogue, useEditor } from "../editor/store";
import { DrilldownDrawer } from "../stats/DrilldownDrawer";
import { StatsBar, type StatsRange } from "../stats/StatsBar";
import { downloadBlob } from "../components/download";

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return Boolean(element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName)));
}

function Editor({ flowId }: { flowId: number | null }) {
  const navigate = useNavigate();
  const { screenToFlowPosition } = useReactFlow();
  const meta = useEditor((state) => state.meta);
  const flow = useEditor((state) => state.flow);
  const dirty = useEditor((state) => state.dirty);
  const mode = useEditor((state) => state.mode);
  const canUndo = useEditor((state) => state.past.length > 0);
  const canRedo = useEditor((state) => state.future.length > 0);
  const notice = useEditor((state) => state.notice);
  const loaded = useEditor((state) => Object.keys(state.catalogue).length > 0);
  const manual = useEditor((state) => sendsByHand(state.nodes));
  const [broadcasting, setBroadcasting] = useState(false);
  const [publishing, setPublishing] = useState<number | null>(null); // the flow the publish dialog is open for
  const [busy, setBusy] = useState<string | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [range, setRange] = useState<StatsRange>({ version: null, from: "", to: "" });
  const store = editorStore.getState();

  useEffect(() => {
    let current = true;
    const { loadDocument, loadFlow } = editorStore.getState();
    const catalogueLoad = loadCatalogue();
    const startNewFlow = () => {
      const { catalogue, sharedSchemas } = editorStore.getState();
      if (current) loadDocument(newFlowDocument(catalogue, sharedSchemas));
    };
    const flowLoad = flowId === null ? catalogueLoad.then(startNewFlow) : getFlow(flowId).then((detail) => current && loadFlow(detail));
    Promise.all([catalogueLoad, flowLoad]).then(
      () => current && editorStore.getState().requestFit(),
      (error: Error) => current && setLoadProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [flowId]);

  // The draft's differences from the live version, marked on the canvas: read again after each save.
  useEffect(() => {
    if (flowId === null || flow.liveVersion === null || dirty) return;
    let current = true;
    diffFlow(flowId, String(flow.liveVersion), "draft").then(
      (diff) => current && editorStore.getState().setVersionChanges(changedNodes(diff)),
      () => current && editorStore.getState().setVersionChanges(null), // the marks are a help: without them, none
    );
    return () => {
      current = false;
    };
  }, [flowId, flow.liveVersion, dirty]);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => editorStore.getState().setNotice(null), 5000);
    return () => clearTimeout(timer);
  }, [notice]);

  const statsQuery = useMemo(() => ({ version: range.version, from: range.from || null, to: range.to || null }), [range]);
  useEffect(() => {
    if (mode !== "stats" || flowId === null) return;
    let current = true; // an answer for dates or a visit since left must not overwrite the newer one
    getFlowStats(flowId, statsQuery).then(
      (stats) => current && editorStore.getState().setStats(stats),
      (error: Error) => current && editorStore.getState().setNotice(`Statistics: ${error.message}`),
    );
    return () => {
      current = false;
    };
  }, [mode, flowId, statsQuery]);

  const run = useCallback(async (label: string, action: () => Promise<void>) => {
    setBusy(label);
    try {
      await action();
    } catch (error) {
      const { setErrors, setNotice } = editorStore.getState();
      if (error instanceof ApiError && error.errors.length) setErrors(error.errors);
      setNotice(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(null);
    }
  }, []);

  /** Saves the draft; returns the flow id (a new flow is created on its first save). */
  const save = async (): Promise<number> => {
    const document = store.document();
    if (flowId === null) {
      const created = await createFlow(document.name, document);
      store.markSaved();
      navigate(`/flows/${created.id}`, { replace: true });
      return created.id;
    }
    const detail = await saveFlow(flowId, document);
    store.setErrors(detail.validation ?? []);
    store.setFlowInfo({ status: detail.status, liveVersion: detail.live_version });
    store.markSaved();
    return flowId;
  };

  const onSave = () =>
    run("save", async () => {
      await save();
      const problems = blockingProblems(editorStore.getState().errors).length;
      store.setNotice(problems ? `Draft saved with ${problems} problem(s) to fix before publishing.` : "Draft saved.");
    });

  const onValidate = () =>
    run("validate", async () => {
      const id = dirty || flowId === null ? await save() : flowId;
      const result = await validateFlow(id);
      store.setErrors(result.errors);
      store.setNotice(result.valid ? "No problems: ready to publish." : `${blockingProblems(result.errors).length} problem(s) to fix.`);
    });

  const published = async (id: number, version: number, moving: number) => {
    const detail = await getFlow(id);
    store.setFlowInfo({ status: detail.status, liveVersion: detail.live_version, versions: detail.versions });
    store.setErrors(detail.validation); // its warnings, which did not stop it
    store.setNotice(`Published version ${version}: contacts now enter it${moving ? `; ${moving} waiting contacts are moving to it` : ""}.`);
  };

  // Over a live version the dialog shows what changed and asks what happens to the contacts waiting in older ones.
  const onPublish = () =>
    run("publish", async () => {
      const id = dirty || flowId === null ? await save() : flowId;
      if (flow.liveVersion !== null) {
        setPublishing(id);
        return;
      }
      const { version } = await publishFlow(id);
      await published(id, version, 0);
    });

  const onPauseResume = () =>
    run("state", async () => {
      const detail = await setFlowState(flowId!, flow.status === "paused" ? "resume" : "pause");
      store.setFlowInfo({ status: detail.status });
      store.setNotice(detail.status === "paused" ? "Paused: no new contacts enter; waiting runs hold." : "Resumed.");
    });

  const onExport = () =>
    run("export", async () => {
      const { blob, filename } = await exportFlow(flowId!);
      downloadBlob(blob, filename);
    });

  const addAtCentre = (type: string) => {
    const bounds = document.querySelector(".canvas")?.getBoundingClientRect();
    const centre = bounds ? { x: bounds.left + bounds.width / 2, y: bounds.top + bounds.height / 2 } : { x: 400, y: 300 };
    store.addNode(type, screenToFlowPosition(centre));
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target)) return;
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key.toLowerCase() === "z") {
        event.preventDefault();
        if (event.shiftKey) editorStore.getState().redo();
        else editorStore.getState().undo();
      } else if (mod && event.key.toLowerCase() === "y") {
        event.preventDefault();
        editorStore.getState().redo();
      } else if (mod && event.key.toLowerCase() === "s") {
        event.preventDefault();
        onSave();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (loadProblem) {
    return (
      <div className="page">
        <div className="empty-state">
          <h2>This flow could not be opened</h2>
          <p>{loadProblem}</p>
          <button type="button" className="button" onClick={() => navigate("/flows")}>
            Back to flows
          </button>
        </div>
      </div>
    );
  }

  const saved = flowId !== null;
  return (
    <div className={`editor mode-${mode}`}>
      <header className="editor-toolbar">
        <button type="button" className="icon-button" onClick={() => navigate("/flows")} aria-label="Back to flows">
          <ArrowLeft size={18} />
        </button>
        <input className="editor-title" value={meta.name} onChange={(event) => store.updateMeta({ name: event.target.value })} aria-label="Flow name" />
        <StatusBadge status={flow.status} />
        {flow.liveVersion !== null && <span className="muted small">live v{flow.liveVersion}</span>}
        {dirty && <span className="muted small" data-testid="unsaved">unsaved changes</span>}
        <div className="segmented mode-switch">
          <button type="button" className={mode === "edit" ? "active" : ""} onClick={() => store.setMode("edit")}>
            Edit
          </button>
          <button type="button" className={mode === "stats" ? "active" : ""} disabled={!saved} onClick={() => store.setMode("stats")} data-testid="stats-mode">
            Statistics
          </button>
          <button type="button" className={mode === "forecast" ? "active" : ""} disabled={!saved} onClick={() => store.setMode("forecast")}
                  data-testid="forecast-mode" title="Replay past events through the draft or a version, without sending anything">
            Forecast
          </button>
        </div>
        <div className="toolbar-spacer" />
        {mode === "edit" && (
          <>
            <button type="button" className="icon-button" onClick={store.undo} disabled={!canUndo} title="Undo (Ctrl+Z)" aria-label="Undo">
              <Undo2 size={17} />
            </button>
            <button type="button" className="icon-button" onClick={store.redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" aria-label="Redo">
              <Redo2 size={17} />
            </button>
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                store.autoLayout();
                store.requestFit();
              }}
            >
              Tidy up
            </button>
            <button type="button" className="button secondary" onClick={onExport} disabled={!saved || busy !== null} title="Download the saved flow as JSON">
              Export
            </button>
            <button type="button" className="button secondary" onClick={onValidate} disabled={busy !== null}>
              Check
            </button>
            <button type="button" className="button secondary" onClick={onSave} disabled={busy !== null} data-testid="save">
              {busy === "save" ? "Saving…" : "Save draft"}
            </button>
          </>
        )}
        {saved && manual && (
          <button
            type="button"
            className="button secondary"
            onClick={() => setBroadcasting(true)}
            disabled={flow.status !== "live"}
            title={whyNoBroadcast(flow.status) ?? "Enrol a segment's contacts at the manual trigger"}
            data-testid="broadcast-open"
          >
            Send to a segment…
          </button>
        )}
        {(flow.status === "live" || flow.status === "paused") && (
          <button type="button" className="button secondary" onClick={onPauseResume} disabled={busy !== null}>
            {flow.status === "paused" ? "Resume" : "Pause"}
          </button>
        )}
        {mode === "edit" && (
          <button type="button" className="button" onClick={onPublish} disabled={busy !== null} data-testid="publish">
            {busy === "publish" ? "Publishing…" : "Publish"}
          </button>
        )}
      </header>
      {mode === "stats" && <StatsBar range={range} onChange={setRange} />}
      {mode === "forecast" && flowId !== null && <ForecastBar flowId={flowId} />}
      <div className="editor-body">
        {mode === "edit" && loaded && <Palette onAdd={addAtCentre} />}
        <div className="canvas-column">
          {loaded ? <Canvas /> : <div className="canvas muted splash">Loading…</div>}
          {mode === "edit" && <ProblemsBar />}
        </div>
        {mode === "edit" ? <SidePanel /> : mode === "stats" && flowId !== null && <DrilldownDrawer flowId={flowId} query={statsQuery} />}
      </div>
      {publishing !== null && flow.liveVersion !== null && (
        <PublishDialog
          flowId={publishing}
          liveVersion={flow.liveVersion}
          onClose={() => setPublishing(null)}
          onPublished={(version, moving) => {
            setPublishing(null);
            run("publish", () => published(publishing, version, moving));
          }}
        />
      )}
      {broadcasting && flowId !== null && flow.liveVersion !== null && (
        <BroadcastDialog flowId={flowId} flowName={meta.name} liveVersion={flow.liveVersion} onClose={() => setBroadcasting(false)} />
      )}
      {notice && (
        <div className="toast" role="status" data-testid="notice">
          {notice}
        </div>
      )}
    </div>
  );
}

export function EditorPage() {
  const { id } = useParams();
  const flowId = id && id !== "new" ? Number(id) : null;
  return (
    <ReactFlowProvider>
      {/* A key per flow: opening another flow (or the new one once saved) starts its editor afresh, load problem included. */}
      <Editor key={flowId ?? "new"} flowId={flowId} />
    </ReactFlowProvider>
  );
}
