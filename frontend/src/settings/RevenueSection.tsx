/** Which events are orders: each event's name and the property holding its amount. A contact's lifetime revenue and
 * the revenue report add them up, each order once, as soon as they are saved (nothing is stored from them). */
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router-dom";

import { ApiError, getRevenueEvents, saveRevenueEvents } from "../api";
import { SuggestedInput } from "../components/SuggestionList";
import { EVENTS } from "../components/suggestions";
import { type Problems, problemsOf } from "../reports/funnelDraft";
import type { RevenueEvent, RevenueEventList } from "../reports/types";

const MAX_EVENTS = 20; // the API's limit

export function RevenueSection() {
  const [saved, setSaved] = useState<RevenueEventList | null>(null);
  const [rows, setRows] = useState<RevenueEvent[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const section = useRef<HTMLElement>(null);
  const { hash } = useLocation();

  useEffect(() => {
    getRevenueEvents().then(
      (found) => {
        setSaved(found);
        setRows(found.items);
      },
      (error: Error) => setProblem(error.message),
    );
  }, []);

  // The revenue report links here (/settings#revenue): the section is shown once it has loaded.
  useEffect(() => {
    if (saved && hash === "#revenue") section.current?.scrollIntoView({ block: "start" });
  }, [saved, hash]);

  const changed = saved !== null && JSON.stringify(rows) !== JSON.stringify(saved.items);
  // The server's objections name rows by position: they go once the rows change.
  const change = (next: RevenueEvent[]) => {
    setRows(next);
    setProblems({});
  };
  const edit = (index: number, changes: Partial<RevenueEvent>) => change(rows.map((row, at) => (at === index ? { ...row, ...changes } : row)));

  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setProblems({});
    setProblem(null);
    setNotice(null);
    const items = rows.map((row) => ({ event: row.event.trim(), amount_property: row.amount_property.trim() }));
    saveRevenueEvents(items)
      .then(
        (answer) => {
          setSaved(answer);
          setRows(answer.items);
          setNotice(answer.items.length ? "Saved: the report and every contact's lifetime revenue count these events now." : "Saved: no event counts as revenue now.");
        },
        (error: Error) => {
          if (error instanceof ApiError && error.errors.length) setProblems(problemsOf(error.errors));
          else setProblem(error.message);
        },
      )
      .finally(() => setSaving(false));
  };

  const fieldProblem = (pointer: string) =>
    problems[pointer] && (
      <div className="text-danger small" data-testid="revenue-event-problem">
        {problems[pointer]}
      </div>
    );
  // What the rows do not show: a problem with the list itself (too many events).
  const listProblems = Object.entries(problems).filter(([pointer]) => !/^\/items\/\d+\//.test(pointer));

  return (
    <section className="card settings-section" id="revenue" ref={section} data-testid="revenue-section">
      <h2>Revenue</h2>
      <p className="muted">
        The events that are orders, and the property holding each one's amount (a number or numeric text; dots reach into objects, as in{" "}
        <code>order.total</code>). A contact's lifetime revenue and the <Link to="/reports/revenue">revenue report</Link> add them up.
      </p>
      {saved?.default && !changed && (
        <p className="muted small" data-testid="revenue-events-default">
          These are the defaults: nobody has saved this setting yet.
        </p>
      )}
      {problem && <p className="text-danger">{problem}</p>}
      {listProblems.map(([pointer, message]) => (
        <p key={pointer} className="text-danger" data-testid="revenue-events-problem">
          {message}
        </p>
      ))}
      {notice && (
        <p className="muted" role="status" data-testid="revenue-events-notice">
          {notice}
        </p>
      )}
      {saved && (
        <form onSubmit={save}>
          {rows.length === 0 ? (
            <p className="muted" data-testid="revenue-events-none">
              No event counts as revenue: every revenue figure is zero.
            </p>
          ) : (
            <table className="table compact revenue-events-table" data-testid="revenue-events">
              <thead>
                <tr>
                  <th>Event</th>
                  <th>Amount property</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr key={index} data-testid="revenue-event-row">
                    <td>
                      <SuggestedInput
                        source={EVENTS}
                        value={row.event}
                        required
                        maxLength={200}
                        placeholder="e.g. order_paid"
                        aria-label={`Event ${index + 1}`}
                        data-testid="revenue-event-name"
                        onChange={(event) => edit(index, { event: event.target.value })}
                      />
                      {fieldProblem(`/items/${index}/event`)}
                    </td>
                    <td>
                      <SuggestedInput
                        source={row.event.trim() ? { kind: "properties", scope: "event", event: row.event.trim() } : null}
                        value={row.amount_property}
                        required
                        maxLength={200}
                        placeholder="e.g. amount"
                        aria-label={`Amount property of event ${index + 1}`}
                        data-testid="revenue-event-amount"
                        onChange={(event) => edit(index, { amount_property: event.target.value })}
                      />
                      {fieldProblem(`/items/${index}/amount_property`)}
                    </td>
                    <td className="settings-row-actions">
                      <button
                        type="button"
                        className="button small secondary"
                        aria-label={`Remove event ${index + 1}`}
                        data-testid="revenue-event-remove"
                        onClick={() => change(rows.filter((_, at) => at !== index))}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="settings-inline-form">
            <button
              type="button"
              className="button secondary"
              data-testid="revenue-event-add"
              disabled={rows.length >= MAX_EVENTS}
              title={rows.length >= MAX_EVENTS ? `At most ${MAX_EVENTS} events.` : undefined}
              onClick={() => change([...rows, { event: "", amount_property: "" }])}
            >
              Add event
            </button>
            <button type="submit" className="button" data-testid="revenue-events-save" disabled={saving || !changed}>
              {saving ? "Saving…" : "Save"}
            </button>
            {changed && (
              <button type="button" className="link" onClick={() => change(saved.items)} data-testid="revenue-events-reset">
                Undo changes
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
