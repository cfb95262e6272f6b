/** What a served JSON Schema says about one value as it is now: which keys it takes and requires, and each key's schema,
 * once the schema's `if` / `then` / `else` rules are applied (a trigger on a segment takes no event; a property rule
 * with `exists` takes no value). */
import type { JsonSchema } from "../api";

export type Value = Record<string, unknown>;

/** Whether `value` meets an `if` clause of the kind the served schemas write: required keys, and a const or enum per key. */
function meets(clause: JsonSchema, value: Value): boolean {
  const required = (clause.required ?? []) as string[];
  if (!required.every((key) => key in value)) return false;
  return Object.entries((clause.properties ?? {}) as Record<string, JsonSchema>).every(([key, rule]) => {
    if (!(key in value)) return true; // `properties` only constrains the keys that are there
    if ("const" in rule) return value[key] === rule.const;
    if (Array.isArray(rule.enum)) return rule.enum.includes(value[key]);
    return true;
  });
}

/** The `then` or `else` subschemas that apply to `value`, from the schema's own `if` and those inside its `allOf`. */
function applicableBranches(schema: JsonSchema, value: Value): JsonSchema[] {
  const conditionals = [schema, ...((schema.allOf ?? []) as JsonSchema[])].filter((part) => part.if);
  return conditionals
    .map((part) => (meets(part.if as JsonSchema, value) ? part.then : part.else) as JsonSchema | undefined)
    .filter((branch): branch is JsonSchema => branch !== undefined);
}

/** The keys `schema` takes for `value`: its properties, narrowed by every applicable branch that allows no others. */
export function allowedKeys(schema: JsonSchema, value: Value): string[] {
  const closed = [schema, ...applicableBranches(schema, value)].filter((part) => part.additionalProperties === false);
  const keys = Object.keys((schema.properties ?? {}) as JsonSchema);
  return keys.filter((key) => closed.every((part) => key in ((part.properties ?? {}) as JsonSchema)));
}

/** The keys `schema` requires for `value`, the applicable branches' included. */
export function requiredKeys(schema: JsonSchema, value: Value): string[] {
  const parts = [schema, ...applicableBranches(schema, value)];
  return [...new Set(parts.flatMap((part) => (part.required ?? []) as string[]))];
}

/** The schema of `key` for `value`: its property schema with what the applicable branches add (an `in` rule's value is a list). */
export function keySchema(schema: JsonSchema, value: Value, key: string): JsonSchema {
  const parts = [schema, ...applicableBranches(schema, value)];
  const schemas = parts.map((part) => ((part.properties ?? {}) as Record<string, JsonSchema | boolean>)[key]);
  return Object.assign({}, ...schemas.filter((property) => typeof property === "object"));
}

/** The choices a key offers (its `enum`), as strings. */
export function choices(schema: JsonSchema, value: Value, key: string): string[] {
  return ((keySchema(schema, value, key).enum ?? []) as unknown[]).map(String);
}

/** The value a new field starts with: its default, else its first choice, else its minimum, else empty. */
export function startingValue(property: JsonSchema): unknown {
  if (property.default !== undefined) return structuredClone(property.default);
  if (Array.isArray(property.enum)) return property.enum[0];
  if (property.type === "array") return [];
  if (typeof property.minimum === "number") return property.minimum;
  return "";
}
