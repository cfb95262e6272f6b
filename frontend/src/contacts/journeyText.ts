/** Words for a run's journey: what an operator action did, and whether the rule that decided a condition held. */
import type { Journey } from "../api";

export type JourneyStep = Journey["steps"][number];
export type JourneyActionEntry = Journey["actions"][number];

const ACTIONS: Record<string, string> = {
  move: "Moved",
  skip_wait: "Skipped the wait",
  exit: "Ended",
  restart: "Restarted",
};

/** "Moved to Send chat", "Skipped the wait", …; `label` names a node by its id. */
export function describeAction(action: JourneyActionEntry, label: (nodeId: string) => string): string {
  const done = ACTIONS[action.action] ?? action.action;
  return action.action === "move" && action.to_node_id ? `${done} to ${label(action.to_node_id)}` : done;
}

/** Whether the rule that decided a condition held: the port says what the whole condition did, and each `not`
 * between the condition and the rule turns it over. */
export function ruleHeld(step: JourneyStep): boolean {
  const negations = (step.rule?.pointer ?? "").split("/").filter((part) => part === "not").length;
  return (step.port === "yes") !== (negations % 2 === 1);
}
