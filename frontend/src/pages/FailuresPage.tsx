/** Dead letters: the runs, events and segment checks that failed alone, with why; retry once fixed, or discard. */
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { discardFailures, type Failure, getFailure, listFailures, retryFailures } from "../api";
import { formatDateTime } from "../components/localeFormat";

const STATES = ["quarantined", "retried", "discarded", "all"] as const;

function where(failure: Failure): string {
  const node = failure.node_id ? ` at ${failure.node_label ?? failure.node_id}` : "";
  return `${failure.kind.replace("_", " ")} ${failure.item_id}${node}`;
}

export function FailuresPage() {
  const [state, setState] = useState<(typeof STATES)[number]>("quarantined");
  const [failures, setFailures] = useState<Failure[] | null>(null);
  const [total, setTotal] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [traceback, setTraceback] = useState<{ id: number; text: string } | null>(null);

  const load = useCallback(() => {
    listFailures(state).then(
      (answer) => {
        setFailures(answer.items);
        setTotal(answer.total);
      },
      (error: Error) => setProblem(error.message),
    );
  }, [state]);
  useEffect(load, [load]);

  const act = (verb: "retry" | "discard", ids: number[]) => {
    setProblem(null);
    (verb === "retry" ? retryFailures(ids) : discardFailures(ids)).then(
      (done) => {
        setNotice(`${verb === "retry" ? "Retried" : "Discarded"} ${done.length} of ${ids.length}.`);
        load();
      },
      (error: Error) => setProblem(error.message),
    );
  };

  const show = (id: number) =>
    getFailure(id).then((detail) => setTraceback({ id, text: detail.traceback }), (error: Error) => setProblem(error.message));

  const quarantined = (failures ?? []).filter((failure) => failure.state === "quarantined").map((failure) => failure.id);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Failures</h1>
        <p className="muted">
          Runs, events and segment checks that failed on their own and were set aside, so that the rest of their batch
          went on. Fix the cause, then retry them: a run goes on from the step that failed.
        </p>
      </div>
      <div className="filters">
        <label>
          Show{" "}
          <select value={state} onChange={(event) => setState(event.target.value as (typeof STATES)[number])}>
            {STATES.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </label>
        <span className="toolbar-spacer" />
        <button type="button" className="button" disabled={quarantined.length === 0} onClick={() => act("retry", quarantined)}>
          Retry all shown
        </button>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {notice && <p className="muted">{notice}</p>}
      {failures === null && !problem && <p className="muted">Loading…</p>}
      {failures?.length === 0 && <p className="muted">Nothing has failed{state === "quarantined" ? " that waits for you" : ""}.</p>}
      {failures && failures.length > 0 && (
        <table className="table" data-testid="failures">
          <thead>
            <tr>
              <th>What</th>
              <th>Contact</th>
              <th>Why</th>
              <th>Tries</th>
              <th>Last failed</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {failures.map((failure) => (
              <tr key={failure.id}>
                <td>{where(failure)}</td>
                <td>{failure.contact_id ? <Link to={`/contacts/${failure.contact_id}`}>#{failure.contact_id}</Link> : "—"}</td>
                <td>
                  <button type="button" className="link" title="Show the traceback" onClick={() => show(failure.id)}>
                    {failure.error}
                  </button>
                </td>
                <td>{failure.attempts}</td>
                <td>{formatDateTime(failure.failed_at)}</td>
                <td>{failure.state}</td>
                <td>
                  {failure.state === "quarantined" && (
                    <>
                      <button type="button" className="button small" onClick={() => act("retry", [failure.id])}>
                        Retry
                      </button>{" "}
                      <button type="button" className="button small secondary" onClick={() => act("discard", [failure.id])}>
                        Discard
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {failures && total > failures.length && <p className="muted small">The latest {failures.length} of {total}.</p>}
      {traceback && (
        <section className="card">
          <div className="card-foot">
            <h3>Traceback of failure #{traceback.id}</h3>
            <button type="button" className="link" onClick={() => setTraceback(null)}>
              Close
            </button>
          </div>
          <pre className="traceback">{traceback.text}</pre>
        </section>
      )}
    </div>
  );
}
