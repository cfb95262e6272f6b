/** One-line English for a rule of the filter language, for node cards and summaries, in the rule builder's words. */
import type { Segment } from "../api";
import { describeDuration } from "./duration";
import { countOf, type FilterLanguage, type Rule, wording } from "./filterLanguage";

function value(rule: Rule): string {
  const raw = rule.value;
  return Array.isArray(raw) ? raw.join(", ") : raw === undefined ? "" : String(raw);
}

/** "segment “Pro plan”" when the segment is among those loaded, "segment #7" otherwise. */
function segmentText(id: unknown, segments: Segment[] | null): string {
  const name = segments?.find((segment) => segment.id === id)?.name;
  return name === undefined ? `segment #${String(id)}` : `segment “${name}”`;
}

/** "did order_paid at least 2 times in the last 14 days where amount at least 100". */
function eventText(rule: Rule, op: string, language: FilterLanguage, segments: Segment[] | null): string {
  const count = countOf(rule);
  const times = count.op ? ` ${wording("count", count.op)} ${count.times} ${count.times === 1 ? "time" : "times"}` : "";
  const within = rule.within ? ` in the last ${describeDuration(String(rule.within))}` : "";
  const where = describeRules(rule.where, language, segments);
  return `${op} ${rule.event}${times}${within}${where && ` where ${where}`}`;
}

/** "total greater than 0", "did not do order_paid in the last 14 days", "all of (…)"; segments are named when
 * `segments` holds them. */
export function describeRule(rule: unknown, language: FilterLanguage, segments: Segment[] | null = null): string {
  if (!rule || typeof rule !== "object") return "";
  const r = rule as Rule;
  for (const group of ["all", "any"] as const) {
    if (Array.isArray(r[group])) {
      const parts = (r[group] as unknown[]).map((part) => describeRule(part, language, segments));
      return parts.length === 1 ? parts[0] : `${group === "all" ? "all of" : "any of"} (${parts.join("; ")})`;
    }
  }
  if (r.not) return `not (${describeRule(r.not, language, segments)})`;
  const kind = language.kindOf(r)?.key;
  const op = kind ? wording(kind, language.chosen(r, "op")) : "";
  switch (kind) {
    case "property":
      return `${r.property} ${op} ${value(r)}`.trim();
    case "event":
      return eventText(r, op, language, segments);
    case "segment":
      return `${op} ${segmentText(r.segment, segments)}`;
    case "message":
      return `message ${r.message} ${op} ${r.status}`;
    default:
      return "";
  }
}

/** Rules that must all hold, joined with "and". */
export function describeRules(rules: unknown, language: FilterLanguage, segments: Segment[] | null = null): string {
  return Array.isArray(rules) ? rules.map((rule) => describeRule(rule, language, segments)).filter(Boolean).join(" and ") : "";
}
