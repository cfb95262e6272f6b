/** One-line English for a rule of the filter language, for node cards and summaries. */
import { describeDuration } from "./duration";

type Rule = Record<string, unknown>;

const OPERATORS: Record<string, string> = {
  eq: "is",
  neq: "is not",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  contains: "contains",
  not_contains: "does not contain",
  exists: "is set",
  not_exists: "is not set",
  in: "is one of",
  not_in: "is none of",
};

function value(rule: Rule): string {
  const raw = rule.value;
  return Array.isArray(raw) ? raw.join(", ") : raw === undefined ? "" : String(raw);
}

/** "total > 0", "did not order_paid in the last 14 days", "all of (…)". */
export function describeRule(rule: unknown): string {
  if (!rule || typeof rule !== "object") return "";
  const r = rule as Rule;
  for (const group of ["all", "any"] as const) {
    if (Array.isArray(r[group])) {
      const parts = (r[group] as unknown[]).map(describeRule);
      return parts.length === 1 ? parts[0] : `${group === "all" ? "all of" : "any of"} (${parts.join("; ")})`;
    }
  }
  if (r.not) return `not (${describeRule(r.not)})`;
  if (typeof r.property === "string") return `${r.property} ${OPERATORS[String(r.op)] ?? r.op} ${value(r)}`.trim();
  if (typeof r.event === "string") {
    const within = r.within ? ` in the last ${describeDuration(String(r.within))}` : "";
    return `${r.op === "did_not" ? "did not do" : "did"} ${r.event}${within}`;
  }
  if (r.segment !== undefined) return `${r.op === "not_in" ? "not in" : "in"} segment #${r.segment}`;
  if (typeof r.message === "string") return `message ${r.message} ${r.op === "is_not" ? "is not" : "is"} ${r.status}`;
  return "";
}

/** Rules that must all hold, joined with "and". */
export function describeRules(rules: unknown): string {
  return Array.isArray(rules) ? rules.map(describeRule).filter(Boolean).join(" and ") : "";
}
