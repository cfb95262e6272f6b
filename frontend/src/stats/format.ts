/** Numbers as statistics mode shows them, in the reader's locale (components/localeFormat). */
import { formatNumber, formatPercent } from "../components/localeFormat";

export function count(value: number | undefined | null): string {
  return formatNumber(value);
}

export function percent(rate: number | undefined | null): string {
  return formatPercent(rate ?? 0);
}

export function money(value: number | undefined | null): string {
  return formatNumber(value, { maximumFractionDigits: 0 });
}

/** The share of `part` in `whole` as a rate (0 when nothing entered). */
export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
