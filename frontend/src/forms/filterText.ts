/** One-line English for a rule of the filter language, for node cards and summaries, in the rule builder's words. */
import { describeDuration } from "./duration";
import { type FilterLanguage, type Rule, wording } from "./filterLanguage";

function value(rule: Rule): string {
  const raw = rule.value;
  return Array.isArray(raw) ? raw.join(", ") : raw === undefined ? "" : String(raw);
}

/** "total greater than 0", "did not do order_paid in the last 14 days", "all of (…)". */
export function describeRule(rule: unknown, language: FilterLanguage): string {
  if (!rule || typeof rule !== "object") return "";
  const r = rule as Rule;
  for (const group of ["all", "any"] as const) {
    if (Array.isArray(r[group])) {
      const parts = (r[group] as unknown[]).map((part) => describeRule(part, language));
      return parts.length === 1 ? parts[0] : `${group === "all" ? "all of" : "any of"} (${parts.join("; ")})`;
    }
  }
  if (r.not) return `not (${describeRule(r.not, language)})`;
  const kind = language.kindOf(r)?.key;
  const op = kind ? wording(kind, language.chosen(r, "op")) : "";
  switch (kind) {
    case "property":
      return `${r.property} ${op} ${value(r)}`.trim();
    case "event":
      return `${op} ${r.event}${r.within ? ` in the last ${describeDuration(String(r.within))}` : ""}`;
    case "segment":
      return `${op} segment #${r.segment}`;
    case "message":
      return `message ${r.message} ${op} ${r.status}`;
    default:
      return "";
  }
}

/** Rules that must all hold, joined with "and". */
export function describeRules(rules: unknown, language: FilterLanguage): string {
  return Array.isArray(rules) ? rules.map((rule) => describeRule(rule, language)).filter(Boolean).join(" and ") : "";
}
