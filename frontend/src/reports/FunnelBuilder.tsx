/** The funnel's definition as a marketer builds it: ordered steps (an event, rules on its properties, a label), the
 * conversion window, "strictly in order", the days step 1 happened on, and what to break the contacts down by. */
import { SegmentSelect } from "../components/SegmentSelect";
import { SuggestedInput } from "../components/SuggestionList";
import { CONTACT_PROPERTIES, EVENTS } from "../components/suggestions";
import { DurationInput } from "../forms/DurationInput";
import { PropertyRulesEditor } from "../forms/FilterBuilder";
import { BREAKDOWN_TITLES } from "./funnelResult";
import { addStep, DEFAULT_RANGE_DAYS, type FunnelDraft, MAX_STEPS, MIN_STEPS, moveStep, type Problems, problemsUnder, removeStep } from "./funnelDraft";
import type { BreakdownBy, FunnelStep } from "./types";

const BREAKDOWNS: { value: BreakdownBy | ""; title: string }[] = [
  { value: "", title: "Nothing" },
  { value: "utm_source", title: BREAKDOWN_TITLES.utm_source },
  { value: "utm_medium", title: BREAKDOWN_TITLES.utm_medium },
  { value: "utm_campaign", title: BREAKDOWN_TITLES.utm_campaign },
  { value: "property", title: "A contact property" },
  { value: "segment", title: "In a segment or not" },
];

function Problem({ messages }: { messages: string[] }) {
  if (!messages.length) return null;
  return (
    <ul className="field-errors text-danger small">
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

interface StepRowProps {
  step: FunnelStep;
  index: number;
  count: number;
  problems: string[];
  onChange(step: FunnelStep): void;
  onMove(by: number): void;
  onRemove(): void;
}

function StepRow({ step, index, count, problems, onChange, onMove, onRemove }: StepRowProps) {
  return (
    <li className="funnel-builder-step" data-testid="funnel-step">
      <div className="funnel-builder-step-head">
        <span className="funnel-step-number">{index + 1}</span>
        <SuggestedInput
          source={EVENTS}
          className="funnel-step-event"
          placeholder="event, e.g. order_paid"
          value={step.event}
          onChange={(event) => onChange({ ...step, event: event.target.value })}
          aria-label={`Step ${index + 1} event`}
          data-testid="step-event"
        />
        <input
          className="funnel-step-label"
          placeholder="label (optional)"
          value={step.label ?? ""}
          maxLength={100}
          onChange={(event) => onChange({ ...step, label: event.target.value })}
          aria-label={`Step ${index + 1} label`}
          data-testid="step-label"
        />
        <button type="button" className="icon-button" aria-label="Move up" title="Move up" disabled={index === 0} onClick={() => onMove(-1)}>
          ↑
        </button>
        <button type="button" className="icon-button" aria-label="Move down" title="Move down" disabled={index === count - 1} onClick={() => onMove(1)}>
          ↓
        </button>
        <button type="button" className="icon-button" aria-label="Remove step" title="Remove step" disabled={count <= MIN_STEPS} onClick={onRemove} data-testid="remove-step">
          ×
        </button>
      </div>
      <div className="funnel-builder-where">
        <PropertyRulesEditor
          rules={step.where ?? []}
          onChange={(where) => onChange({ ...step, where })}
          event={step.event.trim() || undefined}
          addLabel="+ Only when the event's property…"
        />
      </div>
      <Problem messages={problems} />
    </li>
  );
}

export function FunnelBuilder({ draft, onChange, problems }: { draft: FunnelDraft; onChange(draft: FunnelDraft): void; problems: Problems }) {
  const setSteps = (steps: FunnelStep[]) => onChange({ ...draft, steps });
  const { breakdown } = draft;
  return (
    <section className="card funnel-builder" data-testid="funnel-builder">
      <h3>Steps</h3>
      <ol className="funnel-builder-steps">
        {draft.steps.map((step, index) => (
          <StepRow
            // Steps are plain values edited in place; an index key keeps each input where its step now is.
            key={index}
            step={step}
            index={index}
            count={draft.steps.length}
            problems={problemsUnder(problems, `/steps/${index}`)}
            onChange={(changed) => setSteps(draft.steps.map((other, position) => (position === index ? changed : other)))}
            onMove={(by) => setSteps(moveStep(draft.steps, index, by))}
            onRemove={() => setSteps(removeStep(draft.steps, index))}
          />
        ))}
      </ol>
      <Problem messages={problems["/steps"] ? [problems["/steps"]] : []} />
      <button type="button" className="link" onClick={() => setSteps(addStep(draft.steps))} disabled={draft.steps.length >= MAX_STEPS} data-testid="add-step">
        + Add a step{draft.steps.length >= MAX_STEPS ? ` (${MAX_STEPS} at most)` : ""}
      </button>

      <div className="funnel-builder-settings">
        <div className="field" data-testid="funnel-window">
          <span>Conversion window: from step 1 to the last</span>
          <DurationInput value={draft.window} onChange={(window) => onChange({ ...draft, window: window ?? "" })} />
          <Problem messages={problemsUnder(problems, "/window")} />
        </div>
        <label className="funnel-builder-check">
          <input type="checkbox" checked={draft.strict} onChange={(event) => onChange({ ...draft, strict: event.target.checked })} data-testid="funnel-strict" />
          Strictly in order: no other event of the contact between two steps
        </label>
        <div className="field">
          <span>Step 1 happened between</span>
          <div className="funnel-builder-dates">
            <input type="date" value={draft.from} max={draft.to || undefined} onChange={(event) => onChange({ ...draft, from: event.target.value })} aria-label="First day" data-testid="funnel-from" />
            <span className="muted">and</span>
            <input type="date" value={draft.to} min={draft.from || undefined} onChange={(event) => onChange({ ...draft, to: event.target.value })} aria-label="Last day" data-testid="funnel-to" />
          </div>
          <div className="muted small">Left empty: the last {DEFAULT_RANGE_DAYS} days up to now.</div>
          <Problem messages={[...problemsUnder(problems, "/from"), ...problemsUnder(problems, "/to")]} />
        </div>
        <div className="field">
          <span>Break down by</span>
          <div className="funnel-builder-breakdown">
            <select
              value={breakdown.by}
              onChange={(event) => onChange({ ...draft, breakdown: { ...breakdown, by: event.target.value as BreakdownBy | "" } })}
              aria-label="Break down by"
              data-testid="funnel-breakdown"
            >
              {BREAKDOWNS.map(({ value, title }) => (
                <option key={value} value={value}>
                  {title}
                </option>
              ))}
            </select>
            {breakdown.by === "property" && (
              <SuggestedInput
                source={CONTACT_PROPERTIES}
                placeholder="property, e.g. plan or city"
                value={breakdown.property}
                onChange={(event) => onChange({ ...draft, breakdown: { ...breakdown, property: event.target.value } })}
                aria-label="Contact property"
                data-testid="funnel-breakdown-property"
              />
            )}
            {breakdown.by === "segment" && (
              <SegmentSelect value={breakdown.segmentId} onChange={(segmentId) => onChange({ ...draft, breakdown: { ...breakdown, segmentId } })} testId="funnel-breakdown-segment" />
            )}
          </div>
          {breakdown.by.startsWith("utm_") && <div className="muted small">Of each contact's step 1 event: the campaign that brought them.</div>}
          <Problem messages={problemsUnder(problems, "/breakdown")} />
        </div>
      </div>
    </section>
  );
}
