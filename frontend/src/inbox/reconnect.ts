/** How long the inbox stream waits before connecting again: doubling from a second up to half a minute, spread a
 * little so that the tabs of a server that restarted do not all come back at once. */
const FIRST_MS = 1000;
const LONGEST_MS = 30_000;
const SPREAD = 0.2;

/** The wait before attempt `attempt` (0 for the first retry); `random` is Math.random unless a test fixes it. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(LONGEST_MS, FIRST_MS * 2 ** attempt);
  return Math.round(base * (1 - SPREAD + 2 * SPREAD * random()));
}
