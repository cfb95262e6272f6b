/** Numbers as statistics mode shows them. */

export function count(value: number | undefined | null): string {
  return (value ?? 0).toLocaleString("en-US");
}

export function percent(rate: number | undefined | null): string {
  const value = (rate ?? 0) * 100;
  return `${value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1)}%`;
}

export function money(value: number | undefined | null): string {
  return (value ?? 0).toLocaleString("en-US", { maximumFractionDigits: 0 });
}

/** The share of `part` in `whole` as a rate (0 when nothing entered). */
export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
