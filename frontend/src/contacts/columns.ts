/** The contact list's view: which columns it shows, how it sorts and pages, kept in the URL (to share a view) and in
 * localStorage (to come back to it). Column keys are the API's (`?columns=`, `?sort=`, see builder_api/contacts). */
import type { ListedContact } from "../api";
import { formatDateTime, formatNumber, formatScalar, type LocaleOptions } from "../components/localeFormat";
import { formatRevenue } from "../reports/revenueReport";

export const PROPERTY_PREFIX = "properties.";
export const PAGE_SIZES = [25, 50, 100, 200];
export const STORAGE_KEY = "automap.contacts.view";

export interface ColumnInfo {
  key: string;
  label: string;
  /** Whether the server sorts by it (tags, the first-touch source and the lifetime revenue, all read from other
   * rows than the contact's, it does not). */
  sortable: boolean;
  /** Sorted high to low when first picked: the latest dates. */
  firstDescending?: boolean;
}

/** The named columns a marketer picks from, beside any property. */
export const NAMED_COLUMNS: ColumnInfo[] = [
  { key: "name", label: "Name", sortable: true },
  { key: "email", label: "Email", sortable: true },
  { key: "user_id", label: "User id", sortable: true },
  { key: "last_seen_at", label: "Last seen", sortable: true, firstDescending: true },
  { key: "first_seen_at", label: "First seen", sortable: true, firstDescending: true },
  { key: "city", label: "City", sortable: true },
  { key: "source", label: "Source", sortable: false },
  { key: "tags", label: "Tags", sortable: false },
  { key: "revenue", label: "Lifetime revenue", sortable: false },
];

export interface ContactView {
  columns: string[];
  /** A column key, `-` first for descending. */
  sort: string;
  size: number;
}

export const DEFAULT_VIEW: ContactView = { columns: ["name", "email", "last_seen_at", "city"], sort: "-last_seen_at", size: 50 };

// As the API's property paths: no spaces, no leading dot, no empty part between dots, at most 200 characters.
const PROPERTY_PATH = /^[^.\s][^\s]*$/;

/** Whether `path` can name a property (address.city). */
export function isPropertyPath(path: string): boolean {
  return path.length <= 200 && PROPERTY_PATH.test(path) && !path.split(".").includes("");
}

/** What a column key shows and does; null for a key that names no column. */
export function columnInfo(key: string): ColumnInfo | null {
  const named = NAMED_COLUMNS.find((column) => column.key === key);
  if (named) return named;
  if (key.startsWith(PROPERTY_PREFIX) && isPropertyPath(key.slice(PROPERTY_PREFIX.length))) {
    return { key, label: key.slice(PROPERTY_PREFIX.length), sortable: true };
  }
  return null;
}

/** The column key of what was typed in the column picker: a named column's key or label, else a property path. */
export function typedColumn(text: string): string | null {
  const typed = text.trim();
  const named = NAMED_COLUMNS.find((column) => column.key === typed || column.label.toLowerCase() === typed.toLowerCase());
  if (named) return named.key;
  const path = typed.startsWith(PROPERTY_PREFIX) ? typed.slice(PROPERTY_PREFIX.length) : typed;
  return isPropertyPath(path) ? PROPERTY_PREFIX + path : null;
}

/** The known columns of a comma-separated list, each once, in order. */
export function parseColumns(text: string | null | undefined): string[] {
  const keys = (text ?? "").split(",").map((key) => key.trim());
  return [...new Set(keys.filter((key) => columnInfo(key) !== null))];
}

/** The sort a `?sort=` value names, when it is a sortable column. */
function parseSort(text: string | null | undefined): string | null {
  if (!text) return null;
  return columnInfo(text.replace(/^-/, ""))?.sortable ? text : null;
}

/** What localStorage kept, or nothing if it is not JSON (written by hand, or by another version). */
function storedView(stored: string | null): Partial<ContactView> {
  try {
    const parsed = stored ? JSON.parse(stored) : null;
    return parsed && typeof parsed === "object" ? (parsed as Partial<ContactView>) : {};
  } catch {
    return {};
  }
}

/** The view the URL names, else the stored one, else the default; part by part. */
export function readView(search: URLSearchParams, stored: string | null): ContactView {
  const saved = storedView(stored);
  const savedColumns = Array.isArray(saved.columns) ? parseColumns(saved.columns.join(",")) : [];
  const urlColumns = parseColumns(search.get("columns"));
  const size = Number(search.get("size") ?? saved.size);
  return {
    columns: urlColumns.length ? urlColumns : savedColumns.length ? savedColumns : DEFAULT_VIEW.columns,
    sort: parseSort(search.get("sort")) ?? parseSort(saved.sort) ?? DEFAULT_VIEW.sort,
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_VIEW.size,
  };
}

/** `search` with the view written in (the other parameters kept). */
export function writeView(search: URLSearchParams, view: ContactView): URLSearchParams {
  const next = new URLSearchParams(search);
  next.set("columns", view.columns.join(","));
  next.set("sort", view.sort);
  next.set("size", String(view.size));
  return next;
}

/** Picking a column's header sorts by it (its first direction); picking the sorted column again turns the order round. */
export function nextSort(current: string, key: string): string {
  if (current === key) return `-${key}`;
  if (current === `-${key}`) return key;
  return columnInfo(key)?.firstDescending ? `-${key}` : key;
}

/** The position of a page in the list, e.g. "1–50 of 12,345". */
export function pageLabel(offset: number, shown: number, total: number, options: LocaleOptions = {}): string {
  if (total === 0 || shown === 0) return `0 of ${formatNumber(total, options)}`;
  return `${formatNumber(offset + 1, options)}–${formatNumber(offset + shown, options)} of ${formatNumber(total, options)}`;
}

/** The value at a dotted path of the properties, or undefined. */
export function propertyAt(properties: Record<string, unknown>, path: string): unknown {
  let value: unknown = properties;
  for (const step of path.split(".")) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/** What a contact's cell shows, as text ("" for nothing). */
export function cellText(contact: ListedContact, key: string, options: LocaleOptions = {}): string {
  const properties = (contact.properties ?? {}) as Record<string, unknown>;
  const shown = (value: unknown) =>
    value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : formatScalar(value, options);
  switch (key) {
    case "last_seen_at":
    case "first_seen_at":
      return contact[key] ? formatDateTime(contact[key], options) : "";
    case "name":
    case "email":
    case "user_id":
      return contact[key] ?? "";
    case "city":
      return shown(propertyAt(properties, "city") ?? propertyAt(properties, "address.city"));
    case "revenue":
      return formatRevenue(contact.lifetime.revenue, options);
    case "tags":
      return (contact.tags ?? []).map(String).join(", ");
    case "source": {
      const touch = contact.first_touch;
      return touch ? [touch.utm_source, touch.utm_medium, touch.utm_campaign].filter(Boolean).join(" / ") : "";
    }
    default:
      return key.startsWith(PROPERTY_PREFIX) ? shown(propertyAt(properties, key.slice(PROPERTY_PREFIX.length))) : "";
  }
}
