/** Contacts: search and filter with the same rule builder as conditions; open a contact's card. */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { type ContactSummary, listContacts } from "../api";
import { formatDateTime, formatNumber } from "../components/localeFormat";
import { loadCatalogue } from "../editor/store";
import { FilterBuilder, type Rule, useFilterLanguage } from "../forms/FilterBuilder";

const PAGE = 50;

/** A filter with blank rules left out, or undefined when nothing is left. */
function usableFilter(filter: Rule | null): Rule | undefined {
  if (!filter) return undefined;
  const key = "all" in filter ? "all" : "any";
  const rules = ((filter[key] as Rule[]) ?? []).filter((rule) => Object.values(rule).every((value) => value !== ""));
  return rules.length ? { [key]: rules } : undefined;
}

export function ContactsPage() {
  const [q, setQ] = useState("");
  const [filter, setFilter] = useState<Rule | null>(null);
  const [page, setPage] = useState(0);
  const [result, setResult] = useState<{ contacts: ContactSummary[]; total: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const applied = JSON.stringify(usableFilter(filter) ?? null);
  const language = useFilterLanguage();

  useEffect(() => {
    // The filter builder offers the rules the served filter schema defines.
    loadCatalogue().catch((error: Error) => setProblem(error.message));
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => {
      listContacts({ q, filter: JSON.parse(applied) ?? undefined, limit: PAGE, offset: page * PAGE }).then(
        (answer) => {
          setResult(answer);
          setProblem(null);
        },
        (error: Error) => setProblem(error.message),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [q, applied, page]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Contacts</h1>
        {result && <span className="muted">{formatNumber(result.total)} contacts</span>}
      </div>
      <div className="filters">
        <input type="search" placeholder="Search by name or email" value={q} onChange={(event) => setQ(event.target.value)} aria-label="Search contacts" />
        {filter === null ? (
          <button type="button" className="button secondary" disabled={!language} onClick={() => setFilter({ all: [language!.blank("property")] })}>
            + Filter
          </button>
        ) : (
          <button type="button" className="button secondary" onClick={() => setFilter(null)}>
            Clear filter
          </button>
        )}
      </div>
      {filter && <FilterBuilder value={filter} onChange={setFilter} />}
      {problem && <p className="text-danger">{problem}</p>}
      {result?.contacts.length === 0 && (
        <div className="empty-state">
          <h2>{q || filter ? "No contact matches" : "No contacts yet"}</h2>
          <p>Contacts appear as your site sends identify and track calls to /v1 (Segment's HTTP API), or when the widget sees a visitor.</p>
        </div>
      )}
      {result && result.contacts.length > 0 && (
        <>
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Last seen</th>
                <th>Id</th>
              </tr>
            </thead>
            <tbody>
              {result.contacts.map((contact) => (
                <tr key={contact.id}>
                  <td>
                    <Link to={`/contacts/${contact.id}`}>{contact.name || "Anonymous visitor"}</Link>
                  </td>
                  <td>{contact.email}</td>
                  <td className="muted small">{formatDateTime(contact.last_seen_at)}</td>
                  <td className="muted small">#{contact.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" className="button secondary small" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Previous
            </button>
            <button type="button" className="button secondary small" disabled={(page + 1) * PAGE >= result.total} onClick={() => setPage(page + 1)}>
              Next
            </button>
          </div>
        </>
      )}
    </div>
  );
}
