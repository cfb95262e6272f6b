/** What the segment pages say: who uses a segment, how many contacts match, and the server's field errors sorted to
 * the input they are about. */
import { placeOf } from "../forms/filterLanguage";
import { contacts } from "./broadcast";

/** Who uses a segment, by name (its `used_by_flows` and `used_by_segments`). */
interface Users {
  used_by_flows: { name: string }[];
  used_by_segments: { name: string }[];
}

/** 'a', 'a and b', 'a, b and c'. */
function listed(items: string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Why the segment cannot be deleted now, naming who uses it; null when nobody does. */
export function whyInUse(segment: Users): string | null {
  const users = [
    ...segment.used_by_flows.map((flow) => `the flow '${flow.name}'`),
    ...segment.used_by_segments.map((other) => `the segment '${other.name}'`),
  ];
  if (!users.length) return null;
  const change = users.length === 1 ? "change it so it no longer refers" : "change them so they no longer refer";
  return `Used by ${listed(users)}: ${change} to this segment, then delete it.`;
}

/** "No contact matches now", "1 contact matches now", "1,240 contacts match now". */
export function matchNote(total: number): string {
  if (total === 0) return "No contact matches now";
  return `${contacts(total)} match${total === 1 ? "es" : ""} now`;
}

/** One error of an API answer: its JSON pointer into the payload, and the sentence. */
interface FieldError {
  pointer?: string | null;
  message: string;
}

/** A save's errors sorted to what they are about: the name, the description, the condition (each worded with the rule
 * it is in), and the rest. */
export interface SortedErrors {
  name: string[];
  description: string[];
  filter: string[];
  other: string[];
}

export function sortErrors(errors: FieldError[]): SortedErrors {
  const sorted: SortedErrors = { name: [], description: [], filter: [], other: [] };
  for (const { pointer, message } of errors) {
    if (pointer === "/name") sorted.name.push(message);
    else if (pointer === "/description") sorted.description.push(message);
    else if (pointer === "/filter" || pointer?.startsWith("/filter/")) {
      const place = placeOf(pointer);
      sorted.filter.push(place ? `${place[0].toUpperCase()}${place.slice(1)}: ${message}` : message);
    } else sorted.other.push(message);
  }
  return sorted;
}

/** JSON with every object's keys sorted, so two conditions compare equal whatever order the server kept their keys in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
