/** The right-hand panel: the selected node's form, or the flow's settings when nothing is selected. */
import type { Config, FlowError, JsonSchema, NodeTypeInfo } from "../api";
import { ConfigForm } from "../forms/ConfigForm";
import { EmailPreview } from "../forms/EmailPreview";
import { tidyConfig, uiOverrides } from "../forms/nodeForms";
import { PopupPreview } from "../forms/PopupPreview";
import { errorTree } from "../forms/schemaPrep";
import { startingValue } from "../forms/schemaRules";
import { FLOW_SCHEMA_ID, type FlowNode, schemaDefaults } from "./graph";
import { blockingProblems, isWarning } from "./ProblemsBar";
import { editorStore, useEditor } from "./store";

/** The node's (or the flow's) problems, and apart from them its warnings, which do not stop publishing. */
function ErrorList({ errors }: { errors: FlowError[] }) {
  const problems = blockingProblems(errors);
  const warnings = errors.filter(isWarning);
  return (
    <>
      {problems.length > 0 && (
        <ul className="panel-errors" data-testid="panel-errors">
          {problems.map((error) => (
            <li key={`${error.pointer}:${error.message}`}>{error.message}</li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="text-warning" data-testid="panel-warnings">
          {warnings.map((error) => (
            <li key={`${error.pointer}:${error.message}`}>{error.message}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A wait takes either a duration or an until moment; switching starts the other from its schema's defaults. */
function WaitModeSwitch({ node, info }: { node: FlowNode; info: NodeTypeInfo }) {
  const until = "until" in node.data;
  const properties = (info.config_schema.properties ?? {}) as Record<string, JsonSchema>;
  const set = (config: Config) => editorStore.getState().updateConfig(node.id, config);
  return (
    <div className="segmented">
      <button type="button" className={until ? "" : "active"} onClick={() => until && set({ duration: startingValue(properties.duration) })}>
        For a time
      </button>
      <button type="button" className={until ? "active" : ""} onClick={() => !until && set({ until: schemaDefaults(properties.until) })}>
        Until a day and time
      </button>
    </div>
  );
}

function NodePanel({ node }: { node: FlowNode }) {
  const info = useEditor((state) => state.catalogue[node.type ?? ""]);
  const shared = useEditor((state) => state.sharedSchemas);
  const label = useEditor((state) => state.labels[node.id] ?? "");
  const errors = useEditor((state) => state.errors).filter((error) => error.node_id === node.id);
  const { setLabel, updateConfig, deleteSelection } = editorStore.getState();
  if (!info) return <div className="panel-body">Unknown node type “{node.type}”.</div>;
  const type = info.type;
  return (
    <div className="panel-body" data-testid="node-panel">
      <div className="panel-head">
        <span className={`panel-kind category-${info.category}`}>{info.label}</span>
        <button type="button" className="button danger small" onClick={deleteSelection} title="Delete (Del)">
          Delete
        </button>
      </div>
      <label className="field">
        <span>Name on the canvas</span>
        <input value={label} placeholder={info.label} onChange={(event) => setLabel(node.id, event.target.value)} data-testid="node-label" />
      </label>
      <p className="muted small">
        {info.description} <code>id: {node.id}</code>
      </p>
      <ErrorList errors={errors} />
      {type === "wait" && <WaitModeSwitch node={node} info={info} />}
      {type === "send_popup" && <PopupPreview config={node.data} />}
      <ConfigForm
        key={node.id}
        idPrefix={`node-${node.id}`}
        schema={info.config_schema}
        shared={shared}
        value={node.data}
        extraUi={uiOverrides(info, node.data)}
        errors={errorTree(blockingProblems(errors), /^\/nodes\/\d+\/config/)}
        onChange={(config) => updateConfig(node.id, tidyConfig(info, config))}
      />
      {type === "send_email" && !node.data.template_id && (
        <EmailPreview subject={node.data.subject as string} body={node.data.body as string} preheader={node.data.preheader as string} />
      )}
      {type === "send_popup" && node.data.email_fallback ? (
        <EmailPreview {...(node.data.email_fallback as { subject?: string; body?: string })} />
      ) : null}
    </div>
  );
}

function FlowSettingsPanel() {
  const meta = useEditor((state) => state.meta);
  const shared = useEditor((state) => state.sharedSchemas);
  const errors = useEditor((state) => state.errors).filter((error) => error.node_id === null);
  const { updateMeta } = editorStore.getState();
  const flowSchema = shared[FLOW_SCHEMA_ID] as { $defs?: Record<string, Config> } | undefined;
  const settingsSchema = flowSchema?.$defs?.settings;
  return (
    <div className="panel-body" data-testid="flow-settings">
      <div className="panel-head">
        <span className="panel-kind">Flow settings</span>
      </div>
      <label className="field">
        <span>Name</span>
        <input value={meta.name} onChange={(event) => updateMeta({ name: event.target.value })} data-testid="flow-name" />
      </label>
      <label className="field">
        <span>Description</span>
        <textarea rows={3} value={meta.description ?? ""} onChange={(event) => updateMeta({ description: event.target.value || undefined })} />
      </label>
      <ErrorList errors={errors} />
      {settingsSchema ? (
        <ConfigForm
          idPrefix="settings"
          schema={settingsSchema}
          shared={shared}
          value={(meta.settings ?? {}) as Config}
          errors={errorTree(blockingProblems(errors), /^\/settings/)}
          onChange={(settings) => updateMeta({ settings: Object.keys(settings).length ? settings : undefined })}
        />
      ) : (
        <p className="muted">The server does not describe flow settings.</p>
      )}
      <p className="muted small">Select a node to edit it; drag nodes from the palette on the left.</p>
    </div>
  );
}

export function SidePanel() {
  const selected = useEditor((state) => state.nodes).filter((node) => node.selected);
  return <aside className="side-panel">{selected.length === 1 ? <NodePanel node={selected[0]} /> : <FlowSettingsPanel />}</aside>;
}
