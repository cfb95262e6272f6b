/** Forecast mode's controls: which document (the draft or a published version) and how many past days to replay;
 * the replay's progress while its job runs; then the projected totals beside the live ones and what cannot be
 * exact. The per-node figures show on the canvas (ForecastNodeView). */
import { useEffect, useState } from "react";

import { type Forecast, getForecast, requestForecast } from "../api";
import { useEditor } from "../editor/store";
import { count, money } from "../stats/format";
import { forecastProgress, signed } from "./forecastText";

/** How often the forecast is asked for while its job runs. */
const POLL_MS = 500;

export function ForecastBar({ flowId }: { flowId: number }) {
  const versions = useEditor((state) => state.flow.versions);
  const result = useEditor((state) => state.forecast);
  const setForecast = useEditor((state) => state.setForecast);
  const [version, setVersion] = useState<number | "draft">("draft");
  const [days, setDays] = useState(30);
  const [forecast, setRunning] = useState<Forecast | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // Until its job stops, the forecast is asked for again POLL_MS after each answer; a finished one fills the canvas.
  useEffect(() => {
    if (forecast === null) return;
    if (forecast.status === "done") {
      setForecast(forecast.result);
      return;
    }
    if (forecast.status === "failed") return;
    let current = true;
    const timer = setTimeout(
      () => getForecast(flowId, forecast.id).then((answer) => current && setRunning(answer), (error: Error) => current && setProblem(error.message)),
      POLL_MS,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [flowId, forecast, setForecast]);

  const run = () => {
    setProblem(null);
    setForecast(null);
    requestForecast(flowId, version, days).then(setRunning, (error: Error) => setProblem(error.message));
  };
  const busy = forecast !== null && (forecast.status === "queued" || forecast.status === "running");
  const live = result?.live?.totals;
  return (
    <div className="stats-bar forecast-bar" data-testid="forecast-bar">
      <label>
        Replay
        <select value={String(version)} onChange={(event) => setVersion(event.target.value === "draft" ? "draft" : Number(event.target.value))}
                aria-label="What to replay" disabled={busy}>
          <option value="draft">the draft</option>
          {versions.map((each) => (
            <option key={each.number} value={each.number}>
              version {each.number}
            </option>
          ))}
        </select>
      </label>
      <label>
        over the last
        <input type="number" min={1} max={365} value={days} onChange={(event) => setDays(Number(event.target.value))}
               aria-label="Days" disabled={busy} style={{ width: 64 }} />
        days
      </label>
      <button type="button" className="button small" onClick={run} disabled={busy || !(days >= 1)} data-testid="forecast-run">
        {busy ? "Forecasting…" : "Forecast"}
      </button>
      {forecast && <span className="muted" data-testid="forecast-progress">{forecastProgress(forecast)}</span>}
      {result && (
        <span data-testid="forecast-totals">
          Projected: {count(result.totals.entered)} entered{live ? ` (${signed(result.totals.entered - live.entered) || "as live"})` : ""} ·{" "}
          {count(result.totals.converted)} converted{live ? ` (${signed(result.totals.converted - live.converted) || "as live"})` : ""} ·{" "}
          revenue {money(result.totals.revenue)}
        </span>
      )}
      {problem && <span className="text-danger">{problem}</span>}
      {result && result.notes.length > 0 && (
        <ul className="stats-warning forecast-notes" data-testid="forecast-notes">
          {result.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
