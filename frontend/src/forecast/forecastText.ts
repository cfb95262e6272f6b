/** Words for forecast mode: a projected figure beside the live one, and how far the replay has got. */
import type { Forecast } from "../api";
import { count } from "../stats/format";

/** "+12", "−3" (a real minus) or "" when the forecast equals the live figure (or there is none to compare). */
export function signed(change: number | undefined): string {
  if (!change) return "";
  const shown = count(Math.abs(change));
  return change > 0 ? `+${shown}` : `\u2212${shown}`;
}

/** "Queued…", "Replayed 1,200 of 5,000 events…", "Done: 5,000 events", or the reason it failed. */
export function forecastProgress(forecast: Forecast): string {
  switch (forecast.status) {
    case "queued":
      return "Queued, waiting for a worker…";
    case "running":
      return `Replayed ${count(forecast.events_replayed)} of ${count(forecast.events_total)} events…`;
    case "failed":
      return forecast.error ?? "The forecast failed.";
    default:
      return `Done: ${count(forecast.events_replayed)} events replayed.`;
  }
}
