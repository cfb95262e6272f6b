/** A run's journey: each step with when it was entered, the way it left (a condition's deciding rule, a split's
 * variant, an event or a time-out), what it sent and how far each message got, the goal credit, and what operators
 * did to it. */
import type { Journey } from "../api";
import { formatDateTime, formatNumber } from "../components/localeFormat";
import { useSegments } from "../components/segments";
import { useFilterLanguage } from "../forms/FilterBuilder";
import { describeRule } from "../forms/filterText";
import { describeAction, type JourneyStep, ruleHeld } from "./journeyText";

function Decision({ step }: { step: JourneyStep }) {
  const language = useFilterLanguage();
  const segments = useSegments();
  if (!step.port) return null;
  const rule = step.rule?.rule && language ? describeRule(step.rule.rule, language, segments) : "";
  return (
    <>
      {" "}→ <b>{step.port_label ?? step.port}</b>
      {rule && (
        <span className="muted" data-testid="journey-rule">
          {" "}because “{rule}” {ruleHeld(step) ? "held" : "did not hold"}
        </span>
      )}
    </>
  );
}

function Step({ step }: { step: JourneyStep }) {
  return (
    <li>
      <span className="muted small">{step.entered_at ? formatDateTime(step.entered_at) : "—"}</span>{" "}
      <b>{step.label}</b>
      <Decision step={step} />
      {step.messages.map((message) => (
        <div key={message.id} className="small">
          {message.channel}: {message.statuses.join(" → ")}
          {message.error ? <span className="text-danger"> ({message.error})</span> : null}
        </div>
      ))}
    </li>
  );
}

export function JourneyTrace({ journey }: { journey: Journey }) {
  const label = (nodeId: string) => journey.nodes.find((node) => node.id === nodeId)?.label ?? nodeId;
  const goal = journey.goal;
  return (
    <div className="journey" data-testid={`journey-${journey.run_id}`}>
      {journey.moved_from && (
        <div className="small muted">
          Went on from run #{journey.moved_from.run_id} at {label(journey.moved_from.node_id)}
        </div>
      )}
      <ol className="journey-steps">
        {journey.steps.map((step, index) => (
          <Step key={index} step={step} />
        ))}
      </ol>
      {goal.event && (
        <div className="small">
          {goal.converted_at
            ? `Reached the goal (${goal.event}) ${formatDateTime(goal.converted_at)}${
                goal.revenue !== null && goal.revenue !== undefined ? ` · revenue ${formatNumber(goal.revenue)}` : ""}: every step before it was credited`
            : `Goal: ${goal.event}${goal.deadline ? ` by ${formatDateTime(goal.deadline)}` : ""}, not reached`}
        </div>
      )}
      {journey.moved_to && <div className="small muted">Went on in run #{journey.moved_to}</div>}
      {journey.actions.length > 0 && (
        <ul className="journey-actions" data-testid="journey-audit">
          {journey.actions.map((action) => (
            <li key={action.id} className="small">
              {describeAction(action, label)} by {action.actor} · {formatDateTime(action.at)}: “{action.reason}”
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
