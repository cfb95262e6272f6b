/** How a computed funnel is shown: bar heights, who dropped between steps, the breakdown's rows, and the words for
 * the contacts behind a bar. */
import { formatDate, type LocaleOptions } from "../components/localeFormat";
import { stepName } from "./funnelDraft";
import type { BreakdownBy, BreakdownRow, FunnelCohort, FunnelDefinition, FunnelResult, FunnelStepResult } from "./types";

/** What each breakdown is called, as a column heading. */
export const BREAKDOWN_TITLES: Record<BreakdownBy, string> = {
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  property: "Property",
  segment: "Segment",
};

/** The heading of the breakdown's value column: the UTM tag, or the property's own path. */
export function breakdownTitle(breakdown: FunnelDefinition["breakdown"]): string {
  if (!breakdown) return "Value";
  return breakdown.by === "property" && breakdown.property ? breakdown.property : BREAKDOWN_TITLES[breakdown.by];
}

/** Each step's bar height, in percent of the tallest (the first, unless the data says otherwise); 0 for all when
 * nobody entered. A step someone reached keeps a sliver, so a bar is never mistaken for an empty one. */
export function barHeights(counts: number[], sliver = 1): number[] {
  const tallest = Math.max(0, ...counts);
  if (tallest === 0) return counts.map(() => 0);
  return counts.map((count) => (count > 0 ? Math.max(sliver, (count / tallest) * 100) : 0));
}

/** How many reached the step but not the next; null for the last step, which nobody can drop out of. */
export function droppedAfter(steps: Pick<FunnelStepResult, "count">[], index: number): number | null {
  return index + 1 < steps.length ? Math.max(0, steps[index].count - steps[index + 1].count) : null;
}

/** What a breakdown row's value reads as: a value nobody had is "(none)"; "(other)", the values past the top ones,
 * reads as itself. */
export function breakdownValue(row: Pick<BreakdownRow, "value">): string {
  return row.value === null || row.value === "" ? "(none)" : row.value;
}

/** The step's name as the result gives it: its label, else its event. */
export function resultStepName(step: FunnelStepResult): string {
  return stepName({ event: step.event, label: step.label }, step.index - 1);
}

/** The drawer's heading for a cohort: "Reached step 2: Added to cart", "Dropped after step 2: Added to cart". */
export function cohortTitle(cohort: Pick<FunnelCohort, "step" | "outcome">, result: FunnelResult): string {
  const step = result.steps.find((candidate) => candidate.index === cohort.step);
  const name = step ? resultStepName(step) : `step ${cohort.step}`;
  return cohort.outcome === "reached" ? `Reached step ${cohort.step}: ${name}` : `Dropped after step ${cohort.step}: ${name}`;
}

/** A name for the segment a cohort is saved as: the funnel's name, who, and the day it was computed. */
export function cohortSegmentName(funnelName: string, cohort: Pick<FunnelCohort, "step" | "outcome">, result: FunnelResult, options: LocaleOptions = {}): string {
  const who = cohortTitle(cohort, result);
  const day = formatDate(result.computed_at, options);
  return `${funnelName.trim() || "Funnel"} — ${who} (${day})`.slice(0, 200);
}
