/** The filter language as filter.schema.json defines it (served with the node catalogue): its kinds of rule, their
 * choices and the keys each rule takes, so the rule builder offers exactly what the server accepts. */
import type { JsonSchema } from "../api";
import { allowedKeys, choices, keySchema, requiredKeys, startingValue, type Value } from "./schemaRules";

export const FILTER_SCHEMA_ID = "https://automap.dev/schema/filter.schema.json";

export type Rule = Value;

/** One kind of single rule: `key` is the key that makes a condition this kind of rule (property, event, …). */
export interface RuleKind {
  key: string;
  title: string;
  schema: JsonSchema;
}

/** How the builder and the node cards word the language's choices; a choice the schema adds later reads as itself. */
const WORDING: Record<string, Record<string, string>> = {
  property: {
    eq: "is",
    neq: "is not",
    gt: "greater than",
    gte: "at least",
    lt: "less than",
    lte: "at most",
    contains: "contains",
    not_contains: "does not contain",
    exists: "is set",
    not_exists: "is not set",
    in: "is one of",
    not_in: "is none of",
  },
  event: { did: "did", did_not: "did not do" },
  count: { gte: "at least", lte: "at most", eq: "exactly" },
  segment: { in: "in", not_in: "not in" },
  message: { is: "was", is_not: "was not" },
};

/** The words for `choice` of a `kind` rule, e.g. "greater than" for a property rule's gt. */
export function wording(kind: string, choice: string): string {
  return WORDING[kind]?.[choice] ?? choice.replace(/_/g, " ");
}

export class FilterLanguage {
  /** The kinds of single rule, in the order the schema tells them apart. */
  readonly kinds: RuleKind[];

  constructor(document: JsonSchema) {
    const definitions = (document.$defs ?? {}) as Record<string, JsonSchema>;
    const definition = (ref: unknown) => definitions[String(ref).replace("#/$defs/", "")] ?? {};
    this.kinds = [];
    // A condition is told apart by an if/else chain: {if: {required: [key]}, then: {$ref: <that kind's rule>}, else: …}.
    let branch = ((definitions.condition?.allOf ?? []) as JsonSchema[])[0];
    while (branch?.if) {
      const required = ((branch.if as JsonSchema).required ?? []) as string[];
      if (required.length === 1) {
        const schema = definition((branch.then as JsonSchema).$ref);
        this.kinds.push({ key: required[0], title: String(schema.title ?? required[0]), schema });
      }
      branch = branch.else as JsonSchema;
    }
  }

  /** The kind of a single rule, or undefined for a group or an unknown rule. */
  kindOf(rule: Rule): RuleKind | undefined {
    return this.kinds.find((kind) => kind.key in rule);
  }

  /** A new rule of a kind, holding every key it requires at its starting value. */
  blank(kindKey: string): Rule {
    const schema = this.kinds.find((kind) => kind.key === kindKey)?.schema ?? {};
    const rule: Rule = {};
    // Twice: a key filled in the first round (a property rule's op) can make another required (its value).
    for (let round = 0; round < 2; round += 1) {
      for (const key of [...requiredKeys(schema, rule), ...choiceKeys(schema)]) {
        if (!(key in rule)) rule[key] = startingValue(keySchema(schema, rule, key));
      }
    }
    return rule;
  }

  /** The choices a rule's key offers (a property rule's operators, a message rule's statuses). */
  choices(rule: Rule, key: string): string[] {
    const kind = this.kindOf(rule);
    return kind ? choices(kind.schema, rule, key) : [];
  }

  /** The rule's choice for `key`, or the schema's default when the rule leaves it out (an event rule's op is did). */
  chosen(rule: Rule, key: string): string {
    const kind = this.kindOf(rule);
    return String(rule[key] ?? (kind ? keySchema(kind.schema, rule, key).default : undefined) ?? "");
  }

  /** Whether the rule, as it is now, takes `key` (a property rule with `exists` takes no value). */
  takes(rule: Rule, key: string): boolean {
    const kind = this.kindOf(rule);
    return kind !== undefined && allowedKeys(kind.schema, rule).includes(key);
  }

  /** How an event rule's "how many times" can compare (at least, at most, exactly), as the schema lists them. */
  countChoices(): string[] {
    const count = ((this.kinds.find((kind) => kind.key === "event")?.schema.properties ?? {}) as Record<string, JsonSchema>).count;
    const op = ((count?.properties ?? {}) as Record<string, JsonSchema>).op;
    return Array.isArray(op?.enum) ? op.enum.map(String) : [];
  }

  /** Whether the rule's `key` holds a list (a property rule with `in`). */
  takesList(rule: Rule, key: string): boolean {
    const kind = this.kindOf(rule);
    return kind !== undefined && keySchema(kind.schema, rule, key).type === "array";
  }
}

/** The keys of a rule that are a choice with a default (an event rule's did / did not), which a new rule starts with. */
function choiceKeys(schema: JsonSchema): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.keys(properties).filter((key) => Array.isArray(properties[key].enum) && properties[key].default !== undefined);
}

/** A copy of the rule without `key`. */
export function withoutKey(rule: Rule, key: string): Rule {
  const copy = { ...rule };
  delete copy[key];
  return copy;
}

/** An event rule's "how many times": `op` is "" when it has no count (at least once, the evaluator's default). */
export function countOf(rule: Rule): { op: string; times: number } {
  const count = rule.count as { op?: unknown; value?: unknown } | undefined;
  return count ? { op: String(count.op ?? ""), times: typeof count.value === "number" ? count.value : 1 } : { op: "", times: 1 };
}

/** The event rule with "how many times" set: `op` "" drops the count; `times` is a whole number, 0 or more. */
export function withCount(rule: Rule, op: string, times: number): Rule {
  if (!op) return withoutKey(rule, "count");
  const whole = Number.isFinite(times) ? Math.max(0, Math.trunc(times)) : 0;
  return { ...rule, count: { op, value: whole } };
}

/** The event rule with these rules on the event's properties; none drops the `where` key. */
export function withWhere(rule: Rule, where: Rule[] | undefined): Rule {
  return where && where.length ? { ...rule, where } : withoutKey(rule, "where");
}

/** Where a server error's JSON pointer into a condition is, in the builder's words: "/filter/all/1/where/0/value" is
 * "rule 2 › event property rule 1 › value"; the condition as a whole is "". */
export function placeOf(pointer: string, root = "/filter"): string {
  if (!pointer.startsWith(root)) return "";
  const parts = pointer.slice(root.length).split("/").filter(Boolean);
  const words: string[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index];
    const position = Number(parts[index + 1]);
    if ((part === "all" || part === "any" || part === "where") && Number.isInteger(position)) {
      words.push(`${part === "where" ? "event property rule" : "rule"} ${position + 1}`);
      index += 1;
    } else if (part === "count" && parts[index + 1] === "value") {
      words.push("times");
      index += 1;
    } else {
      words.push({ within: "in the last", count: "how many times", op: "operator", not: "not" }[part] ?? part);
    }
  }
  return words.join(" › ");
}
