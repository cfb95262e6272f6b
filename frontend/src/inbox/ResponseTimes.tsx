/** How fast the team answers: first response and reply times (median, 90th percentile) over the last 7 or 30 days,
 * overall and per operator. */
import { useEffect, useState } from "react";

import { getInboxReport } from "../api";
import { formatNumber } from "../components/localeFormat";
import type { InboxReport, TimeFigures } from "./types";
import { durationText, personName } from "./wording";

const PERIODS = [7, 30];
const DAY_MS = 24 * 60 * 60 * 1000;

function Figures({ title, figures }: { title: string; figures: TimeFigures }) {
  return (
    <div className="card report-figures">
      <h4>{title}</h4>
      <div>
        Median <b>{durationText(figures.median_seconds)}</b>
      </div>
      <div>
        90% within <b>{durationText(figures.p90_seconds)}</b>
      </div>
      <div className="muted small">{formatNumber(figures.count)} measured</div>
    </div>
  );
}

export function ResponseTimes() {
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<InboxReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const to = new Date();
    getInboxReport(new Date(to.getTime() - days * DAY_MS).toISOString(), to.toISOString()).then(
      (found) => {
        if (!current) return;
        setReport(found);
        setProblem(null);
      },
      (error: Error) => current && setProblem(error.message),
    );
    return () => {
      current = false;
    };
  }, [days]);

  return (
    <section className="inbox-report" data-testid="inbox-report">
      <div className="inbox-report-head">
        <h2>Response times</h2>
        <div className="segmented">
          {PERIODS.map((period) => (
            <button key={period} type="button" className={days === period ? "active" : ""} data-testid={`report-days-${period}`}
                    onClick={() => setDays(period)}>
              Last {period} days
            </button>
          ))}
        </div>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {report && (
        <>
          <p className="muted">
            {formatNumber(report.conversations)} conversations, {formatNumber(report.replies)} operator replies.
          </p>
          <div className="report-cards">
            <Figures title="First response" figures={report.first_response} />
            <Figures title="Reply time" figures={report.reply_time} />
          </div>
          <table className="table" data-testid="report-operators">
            <thead>
              <tr>
                <th>Operator</th>
                <th className="number">Replies</th>
                <th className="number">First responses</th>
                <th className="number">Median reply</th>
                <th className="number">Median first response</th>
              </tr>
            </thead>
            <tbody>
              {report.operators.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">No operator replied in this period.</td>
                </tr>
              )}
              {report.operators.map((operator) => (
                <tr key={operator.user?.id ?? "token"}>
                  <td>{operator.user ? personName(operator.user) : "Through the API (a token)"}</td>
                  <td className="number">{formatNumber(operator.replies)}</td>
                  <td className="number">{formatNumber(operator.first_responses)}</td>
                  <td className="number">{durationText(operator.median_reply_seconds)}</td>
                  <td className="number">{durationText(operator.median_first_response_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
