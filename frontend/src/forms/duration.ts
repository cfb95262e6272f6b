/** ISO 8601 durations (P1DT2H30M) ↔ the days / hours / minutes a marketer picks. */

export interface DurationParts {
  days: number;
  hours: number;
  minutes: number;
}

const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;

/** The parts of a duration written with weeks, days, hours and minutes; null for anything else (months, seconds, typos). */
export function parseDuration(text: string | undefined | null): DurationParts | null {
  if (!text) return null;
  const match = PATTERN.exec(text.trim().toUpperCase());
  if (!match || text.trim().toUpperCase() === "P" || text.trim().toUpperCase().endsWith("T")) return null;
  const [, weeks, days, hours, minutes] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return { days: Number(weeks) * 7 + Number(days), hours: Number(hours), minutes: Number(minutes) };
}

/** The ISO text for the parts, carrying 60 minutes into an hour and 24 hours into a day; "" when all are zero. */
export function formatDuration(parts: DurationParts): string {
  const total = Math.max(0, Math.round(parts.days * 1440 + parts.hours * 60 + parts.minutes));
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  if (total === 0) return "";
  const time = (hours ? `${hours}H` : "") + (minutes ? `${minutes}M` : "");
  return `P${days ? `${days}D` : ""}${time ? `T${time}` : ""}`;
}

/** "1 day 2 hours" for P1DT2H; the raw text when it cannot be read as days, hours and minutes. */
export function describeDuration(text: string | undefined | null): string {
  const parts = parseDuration(text);
  if (!parts) return text ?? "";
  const words = [
    [parts.days, "day"],
    [parts.hours, "hour"],
    [parts.minutes, "minute"],
  ]
    .filter(([count]) => count)
    .map(([count, unit]) => `${count} ${unit}${count === 1 ? "" : "s"}`);
  return words.join(" ") || "no time";
}
