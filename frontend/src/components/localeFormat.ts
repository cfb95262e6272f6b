/** Dates, times, numbers and stored values written the way the reader's browser writes them: its locale and time zone.
 *
 * Every function takes the locale and time zone as options only so that tests can fix them; the pages leave them out. */

export interface LocaleOptions {
  locale?: string;
  timeZone?: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// The largest unit that fits is the one said: "in 2 hr." rather than "in 120 min.".
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * DAY],
  ["month", 30 * DAY],
  ["day", DAY],
  ["hour", HOUR],
  ["minute", MINUTE],
  ["second", SECOND],
];

/** A moment's date and time, e.g. "Mar 2, 2026, 11:00 AM" in en-US. */
export function formatDateTime(iso: string, options: LocaleOptions = {}): string {
  return new Intl.DateTimeFormat(options.locale, { dateStyle: "medium", timeStyle: "short", timeZone: options.timeZone }).format(new Date(iso));
}

/** A moment's day, e.g. "Mar 2, 2026"; a date without a time ("2026-03-02") is that day wherever the reader is. */
export function formatDate(iso: string, options: LocaleOptions = {}): string {
  const timeZone = DATE_ONLY.test(iso) ? "UTC" : options.timeZone;
  return new Intl.DateTimeFormat(options.locale, { dateStyle: "medium", timeZone }).format(new Date(iso));
}

/** How far a moment is from `now`, e.g. "in 2 hr." or "3 days ago". */
export function formatRelative(iso: string, now: Date = new Date(), options: LocaleOptions = {}): string {
  const distance = new Date(iso).getTime() - now.getTime();
  const [unit, size] = UNITS.find(([, length]) => Math.abs(distance) >= length) ?? UNITS[UNITS.length - 1];
  return new Intl.RelativeTimeFormat(options.locale, { numeric: "auto", style: "short" }).format(Math.round(distance / size), unit);
}

/** A number with the locale's digit grouping and decimal mark, e.g. "12,345.5". */
export function formatNumber(value: number | null | undefined, options: LocaleOptions & Intl.NumberFormatOptions = {}): string {
  const { locale, ...format } = options;
  return (value ?? 0).toLocaleString(locale, format);
}

/** A rate (0.125) as a percentage ("12.5%"): one decimal below 10%, none above. */
export function formatPercent(rate: number, options: LocaleOptions = {}): string {
  return formatNumber(rate, { ...options, style: "percent", maximumFractionDigits: rate !== 0 && Math.abs(rate) < 0.1 ? 1 : 0 });
}

/** One stored value that is not an object or a list: dates as dates, numbers grouped, yes / no, "—" for nothing. */
export function formatScalar(value: unknown, options: LocaleOptions = {}): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return formatNumber(value, { ...options, maximumFractionDigits: 20 });
  const text = String(value);
  if (DATE_ONLY.test(text)) return formatDate(text, options);
  if (DATE_TIME.test(text)) return formatDateTime(text, options);
  return text;
}

/** One row of a key/value table: `text` is the value, or null for an object or list whose rows follow, one level deeper. */
export interface ValueRow {
  key: string;
  depth: number;
  text: string | null;
}

function isPlainList(value: unknown[]): boolean {
  return value.every((item) => item === null || typeof item !== "object");
}

/** Properties as key/value rows: nested objects as indented rows under their key, lists of plain values joined with
 * commas, lists of objects as numbered rows. */
export function valueRows(values: Record<string, unknown>, options: LocaleOptions = {}, depth = 0): ValueRow[] {
  return Object.entries(values).flatMap(([key, value]): ValueRow[] => {
    if (Array.isArray(value)) {
      if (value.length === 0) return [{ key, depth, text: "—" }];
      if (isPlainList(value)) return [{ key, depth, text: value.map((item) => formatScalar(item, options)).join(", ") }];
      const numbered = Object.fromEntries(value.map((item, index) => [String(index + 1), item]));
      return [{ key, depth, text: null }, ...valueRows(numbered, options, depth + 1)];
    }
    if (value !== null && typeof value === "object") {
      const entries = value as Record<string, unknown>;
      if (Object.keys(entries).length === 0) return [{ key, depth, text: "—" }];
      return [{ key, depth, text: null }, ...valueRows(entries, options, depth + 1)];
    }
    return [{ key, depth, text: formatScalar(value, options) }];
  });
}
