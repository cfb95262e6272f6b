/** A funnel as the builder edits it, and the definition the API computes: days instead of moments, a checkbox instead
 * of the order's name, every breakdown input kept while another is chosen; its problems named by the JSON pointer the
 * server would name, so the builder shows the browser's and the server's objections in the same places. */
import type { FlowError } from "../api";
import type { Rule } from "../forms/filterLanguage";
import type { BreakdownBy, FunnelDefinition, FunnelStep } from "./types";

export const MIN_STEPS = 2;
export const MAX_STEPS = 8;
/** The server's conversion window when none is given, shown in the builder from the start. */
export const DEFAULT_WINDOW = "P7D";
/** The server's date range when none is given. */
export const DEFAULT_RANGE_DAYS = 30;

export interface FunnelDraft {
  steps: FunnelStep[];
  window: string;
  strict: boolean;
  /** Days (YYYY-MM-DD) in the reader's time zone; blank: the server's default range. */
  from: string;
  to: string;
  breakdown: { by: BreakdownBy | ""; property: string; segmentId: number | null };
}

/** Where in the definition (a JSON pointer, "/steps/1/event") → what is wrong there. */
export type Problems = Record<string, string>;

export function blankStep(): FunnelStep {
  return { event: "" };
}

export function blankDraft(): FunnelDraft {
  return {
    steps: [blankStep(), blankStep()],
    window: DEFAULT_WINDOW,
    strict: false,
    from: "",
    to: "",
    breakdown: { by: "", property: "", segmentId: null },
  };
}

/** The steps with a blank one added at the end (none past MAX_STEPS). */
export function addStep(steps: FunnelStep[]): FunnelStep[] {
  return steps.length >= MAX_STEPS ? steps : [...steps, blankStep()];
}

export function removeStep(steps: FunnelStep[], index: number): FunnelStep[] {
  return steps.filter((_, position) => position !== index);
}

/** The steps with the one at `index` moved `by` places (-1: up), as far as the ends allow. */
export function moveStep(steps: FunnelStep[], index: number, by: number): FunnelStep[] {
  const target = Math.min(steps.length - 1, Math.max(0, index + by));
  if (target === index) return steps;
  const moved = [...steps];
  const [step] = moved.splice(index, 1);
  moved.splice(target, 0, step);
  return moved;
}

/** What a step is called: its label, else its event, else "Step 2". */
export function stepName(step: { event: string; label?: string | null }, index: number): string {
  return step.label?.trim() || step.event.trim() || `Step ${index + 1}`;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The moment a day starts (or, with `end`, its last millisecond) in the reader's time zone, as ISO text. */
export function dayMoment(day: string, end = false): string {
  const [, year, month, date] = DAY.exec(day)!.map(Number);
  return (end ? new Date(year, month - 1, date, 23, 59, 59, 999) : new Date(year, month - 1, date)).toISOString();
}

/** The day (YYYY-MM-DD) a moment falls on in the reader's time zone. */
export function momentDay(iso: string): string {
  const moment = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
}

function cleanStep(step: FunnelStep): FunnelStep {
  const clean: FunnelStep = { event: step.event.trim() };
  if (step.where?.length) clean.where = step.where;
  if (step.label?.trim()) clean.label = step.label.trim();
  return clean;
}

/** The definition the API computes and saves: blank labels and empty rules left out, days as moments, and only the
 * breakdown input that was chosen. */
export function definitionOf(draft: FunnelDraft): FunnelDefinition {
  const definition: FunnelDefinition = {
    steps: draft.steps.map(cleanStep),
    window: draft.window || DEFAULT_WINDOW,
    order: draft.strict ? "strict" : "sequence",
  };
  if (draft.from) definition.from = dayMoment(draft.from);
  if (draft.to) definition.to = dayMoment(draft.to, true);
  const { by, property, segmentId } = draft.breakdown;
  if (by === "property") definition.breakdown = { by, property: property.trim() };
  else if (by === "segment") definition.breakdown = segmentId === null ? { by } : { by, segment_id: segmentId };
  else if (by) definition.breakdown = { by };
  return definition;
}

/** The builder's draft of a saved definition. */
export function draftOf(definition: FunnelDefinition): FunnelDraft {
  const breakdown = definition.breakdown;
  return {
    steps: definition.steps.map((step) => ({ ...step })),
    window: definition.window ?? DEFAULT_WINDOW,
    strict: definition.order === "strict",
    from: definition.from ? momentDay(definition.from) : "",
    to: definition.to ? momentDay(definition.to) : "",
    breakdown: { by: breakdown?.by ?? "", property: breakdown?.property ?? "", segmentId: breakdown?.segment_id ?? null },
  };
}

function ruleProblems(rules: Rule[] | undefined, at: string): Problems {
  const problems: Problems = {};
  (rules ?? []).forEach((rule, index) => {
    if (!String(rule.property ?? "").trim()) problems[`${at}/${index}/property`] = "Name the event property the rule is about.";
  });
  return problems;
}

/** What keeps the draft from being computed, by pointer; empty when nothing does. */
export function draftProblems(draft: FunnelDraft): Problems {
  const problems: Problems = {};
  if (draft.steps.length < MIN_STEPS) problems["/steps"] = `A funnel needs at least ${MIN_STEPS} steps.`;
  if (draft.steps.length > MAX_STEPS) problems["/steps"] = `A funnel has at most ${MAX_STEPS} steps.`;
  draft.steps.forEach((step, index) => {
    if (!step.event.trim()) problems[`/steps/${index}/event`] = `Step ${index + 1} needs an event, e.g. order_paid.`;
    Object.assign(problems, ruleProblems(step.where, `/steps/${index}/where`));
  });
  if (draft.from && draft.to && draft.from > draft.to) problems["/to"] = "The last day comes before the first: swap them.";
  const { by, property, segmentId } = draft.breakdown;
  if (by === "property" && !property.trim()) problems["/breakdown/property"] = "Name the contact property to break down by, e.g. plan.";
  if (by === "segment" && segmentId === null) problems["/breakdown/segment_id"] = "Choose the segment to break down by.";
  return problems;
}

/** The server's objections by pointer, the definition's own pointers when it came inside a request (`/definition/…`). */
export function problemsOf(errors: FlowError[], prefix = ""): Problems {
  const problems: Problems = {};
  for (const error of errors) {
    const pointer = error.pointer ?? "";
    const key = prefix && pointer.startsWith(prefix) ? pointer.slice(prefix.length) : pointer;
    problems[key] = problems[key] ? `${problems[key]} ${error.message}` : error.message;
  }
  return problems;
}

/** The problems at `pointer` or inside it ("/steps/1" holds "/steps/1/where/0/property"). */
export function problemsUnder(problems: Problems, pointer: string): string[] {
  return Object.entries(problems)
    .filter(([key]) => key === pointer || key.startsWith(`${pointer}/`))
    .map(([, message]) => message);
}

/** Where the builder shows problems: each of these pointers and what is inside it. */
export const PLACED = ["/name", "/steps", "/window", "/from", "/to", "/breakdown"];

/** The problems the builder has no place for (the order, the whole request…), to be shown above it. */
export function unplacedProblems(problems: Problems): string[] {
  return Object.entries(problems)
    .filter(([key]) => !PLACED.some((pointer) => key === pointer || key.startsWith(`${pointer}/`)))
    .map(([, message]) => message);
}
