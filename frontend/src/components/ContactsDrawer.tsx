/** The contacts behind a number (of statistics mode or a report), a page at a time, each linking to the contact's
 * card; what can be done with them (save as a segment…) goes in `children`, above the list. */
import { type ReactNode, useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { formatDateTime, formatNumber } from "./localeFormat";

const PAGE = 50;

export interface DrawerContact {
  id: number;
  name?: string | null;
  email?: string | null;
  /** When the contact did what the number counts. */
  at: string | null;
  /** What the contact adds to the number, when it is a sum (their revenue in a revenue report). */
  value?: number;
}

export interface ContactPage {
  contacts: DrawerContact[];
  total: number;
}

interface ContactsDrawerProps {
  /** The line above the title: the report and where in it. */
  context: string;
  title: string;
  /** What the time beside each contact is, e.g. "Reached". */
  timeTitle: string;
  /** One page of the contacts (the parent keys the drawer by the number, so another number starts on its first page). */
  load(limit: number, offset: number): Promise<ContactPage>;
  onClose(): void;
  rowTestId: string;
  /** The drawer's own test id and extra class (where it sits on its page). */
  testId: string;
  className?: string;
  /** What an empty list says. */
  emptyText?: string;
  /** The title and format of each contact's `value`, for a number that sums values; no column without it. */
  value?: { title: string; format(value: number): string };
  children?: ReactNode;
}

/** What a page answered, with the request it answers, so an answer for an earlier page or number is never shown. */
interface Answer {
  load: ContactsDrawerProps["load"];
  page: number;
  result?: ContactPage;
  problem?: string;
}

export function ContactsDrawer({
  context, title, timeTitle, load, onClose, rowTestId, testId, className, emptyText = "Nobody here.", value, children,
}: ContactsDrawerProps) {
  const [page, setPage] = useState(0);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const shown = answer?.load === load && answer.page === page ? answer : null;
  const result = shown?.result ?? null;

  useEffect(() => {
    let current = true;
    load(PAGE, page * PAGE).then(
      (found) => current && setAnswer({ load, page, result: found }),
      (error: Error) => current && setAnswer({ load, page, problem: error.message }),
    );
    return () => {
      current = false;
    };
  }, [load, page]);

  return (
    <aside className={className ? `drawer ${className}` : "drawer"} data-testid={testId}>
      <div className="drawer-head">
        <div>
          <div className="muted small">{context}</div>
          <h3>
            {title} {result && <span className="muted">({formatNumber(result.total)})</span>}
          </h3>
        </div>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {children}
      {shown?.problem && <p className="text-danger">{shown.problem}</p>}
      {!shown && <p className="muted">Loading…</p>}
      {result && result.contacts.length === 0 && <p className="empty">{emptyText}</p>}
      {result && result.contacts.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Contact</th>
              {value && <th className="number">{value.title}</th>}
              <th>{timeTitle}</th>
            </tr>
          </thead>
          <tbody>
            {result.contacts.map((contact, index) => (
              <tr key={`${contact.id}:${index}`} data-testid={rowTestId}>
                <td>
                  <Link to={`/contacts/${contact.id}`}>{contact.name || contact.email || `Visitor #${contact.id}`}</Link>
                  {contact.name && contact.email && <div className="muted small">{contact.email}</div>}
                </td>
                {value && <td className="number">{contact.value !== undefined ? value.format(contact.value) : ""}</td>}
                <td className="muted small">{contact.at ? formatDateTime(contact.at) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result && result.total > PAGE && (
        <div className="pager">
          <button type="button" className="button secondary small" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span className="muted small">
            {page * PAGE + 1}–{Math.min(result.total, (page + 1) * PAGE)} of {formatNumber(result.total)}
          </span>
          <button type="button" className="button secondary small" disabled={(page + 1) * PAGE >= result.total} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </div>
      )}
    </aside>
  );
}
