/** Inserting a contact value into a personalised text: `{{ contact.name | default("there") }}`, with the fallback a
 * contact without the value reads instead (the server's `default` covers a missing, empty or null value). */

/** A contact value a personalised text offers, as the field's `personalisation` annotation lists it (nodes/personalisation.py). */
export interface InsertableVariable {
  variable: string;
  label: string;
  fallback: string;
}

/** The placeholder for `variable` with `fallback`, the fallback written as a template string literal. */
export function placeholder(variable: string, fallback: string): string {
  return `{{ ${variable} | default(${JSON.stringify(fallback)}) }}`;
}

/** `text` with `snippet` in place of the selection from `start` to `end`, and where the cursor goes: right after it. */
export function insertAt(text: string, start: number, end: number, snippet: string): { text: string; cursor: number } {
  const from = Math.min(Math.max(start, 0), text.length);
  const to = Math.min(Math.max(end, from), text.length);
  return { text: text.slice(0, from) + snippet + text.slice(to), cursor: from + snippet.length };
}
