/** Contacts: search and filter with the same rule builder as conditions, or one segment's members; the columns a
 * marketer picks (any property too), sorted on the server and paged; the view kept in the URL and localStorage;
 * the same list downloaded as CSV; open a contact's card. */
import { ArrowDown, ArrowUp, Columns3, Download, X } from "lucide-react";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { type ListedContact, listContacts } from "../api";
import { exportContacts } from "../contacts/download";
import {
  cellText,
  columnInfo,
  type ContactView,
  NAMED_COLUMNS,
  nextSort,
  PAGE_SIZES,
  pageLabel,
  PROPERTY_PREFIX,
  readView,
  STORAGE_KEY,
  typedColumn,
  writeView,
} from "../contacts/columns";
import { formatNumber } from "../components/localeFormat";
import { segmentName, useSegments } from "../components/segments";
import { SuggestionList } from "../components/SuggestionList";
import { CONTACT_PROPERTIES, SUGGESTION_LISTS } from "../components/suggestions";
import { loadCatalogue } from "../editor/store";
import { FilterBuilder, type Rule, useFilterLanguage } from "../forms/FilterBuilder";

/** A filter with blank rules left out, or undefined when nothing is left. */
function usableFilter(filter: Rule | null): Rule | undefined {
  if (!filter) return undefined;
  const key = "all" in filter ? "all" : "any";
  const rules = ((filter[key] as Rule[]) ?? []).filter((rule) => Object.values(rule).every((value) => value !== ""));
  return rules.length ? { [key]: rules } : undefined;
}

/** The filter a shared URL carries, if it is a JSON object. */
function filterFrom(text: string | null): Rule | null {
  try {
    const parsed = text ? JSON.parse(text) : null;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Rule) : null;
  } catch {
    return null;
  }
}

/** The chosen columns: named ones switched on and off, properties added by path (with suggestions) and removed. */
function ColumnPicker({ columns, onChange }: { columns: string[]; onChange(columns: string[]): void }) {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const toggle = (key: string, on: boolean) => onChange(on ? [...columns, key] : columns.filter((column) => column !== key));
  const add = (event: FormEvent) => {
    event.preventDefault();
    const key = typedColumn(typed);
    if (!key) {
      setProblem(`"${typed}" is not a property name: use a name like plan or address.city, without spaces.`);
      return;
    }
    if (!columns.includes(key)) onChange([...columns, key]);
    setTyped("");
    setProblem(null);
  };
  return (
    <div className="card column-picker" data-testid="column-picker">
      <div className="column-choices">
        {NAMED_COLUMNS.map((column) => (
          <label key={column.key} className="checkbox-inline">
            <input type="checkbox" checked={columns.includes(column.key)} onChange={(event) => toggle(column.key, event.target.checked)} data-testid={`column-toggle-${column.key}`} />
            {column.label}
          </label>
        ))}
      </div>
      <div className="column-properties">
        {columns
          .filter((key) => key.startsWith(PROPERTY_PREFIX))
          .map((key) => (
            <span key={key} className="badge">
              {columnInfo(key)?.label}
              <button type="button" className="icon-button" aria-label={`Remove the ${key} column`} onClick={() => toggle(key, false)} data-testid={`column-remove-${key}`}>
                <X size={12} aria-hidden />
              </button>
            </span>
          ))}
        <form className="inline-form" onSubmit={add}>
          <input
            list={SUGGESTION_LISTS.contactProperties}
            placeholder="any property, e.g. plan"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            aria-label="Property to show as a column"
            data-testid="column-property-input"
          />
          <SuggestionList id={SUGGESTION_LISTS.contactProperties} source={CONTACT_PROPERTIES} />
          <button type="submit" className="button secondary small" disabled={!typed.trim()} data-testid="column-property-add">
            Add column
          </button>
        </form>
      </div>
      {problem && <p className="text-danger small">{problem}</p>}
    </div>
  );
}

function ColumnHeader({ columnKey, sort, onSort }: { columnKey: string; sort: string; onSort(sort: string): void }) {
  const info = columnInfo(columnKey);
  if (!info) return null;
  if (!info.sortable) return <th>{info.label}</th>;
  const direction = sort === columnKey ? "ascending" : sort === `-${columnKey}` ? "descending" : "none";
  return (
    <th aria-sort={direction}>
      <button type="button" className="sort-header" onClick={() => onSort(nextSort(sort, columnKey))} data-testid={`sort-${columnKey}`}>
        {info.label}
        {direction === "ascending" && <ArrowUp size={12} aria-hidden />}
        {direction === "descending" && <ArrowDown size={12} aria-hidden />}
      </button>
    </th>
  );
}

function ContactCell({ contact, columnKey }: { contact: ListedContact; columnKey: string }) {
  const text = cellText(contact, columnKey);
  if (columnKey === "name") return <td data-testid="cell-name"><Link to={`/contacts/${contact.id}`}>{text || "Anonymous visitor"}</Link></td>;
  const muted = columnKey.endsWith("_seen_at") ? "muted small" : undefined;
  return (
    <td className={muted} data-testid={`cell-${columnKey}`}>
      {text}
    </td>
  );
}

export function ContactsPage() {
  const [params, setParams] = useSearchParams();
  const [view, setView] = useState<ContactView>(() => readView(params, localStorage.getItem(STORAGE_KEY)));
  const [q, setQ] = useState(params.get("q") ?? "");
  const [filter, setFilter] = useState<Rule | null>(() => filterFrom(params.get("filter")));
  const [page, setPage] = useState(Math.max(0, Number(params.get("page") ?? 1) - 1) || 0);
  const [picking, setPicking] = useState(false);
  const [result, setResult] = useState<{ contacts: ListedContact[]; total: number; offset: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const applied = JSON.stringify(usableFilter(filter) ?? null);
  const segment = Number(params.get("segment")) || undefined;
  const language = useFilterLanguage();
  const segments = useSegments();
  const search = useMemo(() => ({ q, filter: JSON.parse(applied) ?? undefined, segment, sort: view.sort }), [q, applied, segment, view.sort]);

  useEffect(() => {
    // The filter builder offers the rules the served filter schema defines.
    loadCatalogue().catch((error: Error) => setProblem(error.message));
  }, []);

  useEffect(() => {
    // The view is kept for the next visit and shown in the address, so that a link shares it.
    localStorage.setItem(STORAGE_KEY, JSON.stringify(view));
    setParams(
      (current) => {
        const next = writeView(current, view);
        const shared: Record<string, string> = { q, filter: applied === "null" ? "" : applied, page: page ? String(page + 1) : "" };
        for (const [key, value] of Object.entries(shared)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
  }, [view, q, applied, page, setParams]);

  useEffect(() => {
    const timer = setTimeout(() => {
      const offset = page * view.size;
      listContacts({ ...search, limit: view.size, offset }).then(
        (answer) => {
          setResult({ ...answer, offset });
          setProblem(null);
        },
        (error: Error) => setProblem(error.message),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [search, page, view.size]);

  const change = (next: Partial<ContactView>) => {
    setView({ ...view, ...next });
    setPage(0);
  };
  const leaveSegment = () =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.delete("segment");
        return next;
      },
      { replace: true },
    );
  const exportCsv = async () => {
    setExporting(true);
    try {
      await exportContacts(search, view.columns);
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Contacts</h1>
        {result && <span className="muted" data-testid="contacts-total">{formatNumber(result.total)} contacts</span>}
        <div className="toolbar-spacer" />
        <div className="page-actions">
          <button type="button" className="button secondary" onClick={() => setPicking(!picking)} aria-expanded={picking} data-testid="columns-button">
            <Columns3 size={14} aria-hidden /> Columns
          </button>
          <button type="button" className="button secondary" onClick={exportCsv} disabled={exporting || result?.total === 0} data-testid="export-csv">
            <Download size={14} aria-hidden /> {exporting ? "Exporting…" : "Export CSV"}
          </button>
        </div>
      </div>
      <div className="filters">
        <input
          type="search"
          placeholder="Search by name or email"
          value={q}
          onChange={(event) => {
            setQ(event.target.value);
            setPage(0);
          }}
          aria-label="Search contacts"
          data-testid="contacts-search"
        />
        {filter === null ? (
          <button type="button" className="button secondary" disabled={!language} onClick={() => setFilter({ all: [language!.blank("property")] })} data-testid="add-filter">
            + Filter
          </button>
        ) : (
          <button type="button" className="button secondary" onClick={() => setFilter(null)} data-testid="clear-filter">
            Clear filter
          </button>
        )}
        {segment !== undefined && (
          <span className="badge" data-testid="segment-chip">
            In {segmentName(segments, segment)}
            <button type="button" className="icon-button" aria-label="Show every contact" onClick={leaveSegment}>
              <X size={12} aria-hidden />
            </button>
          </span>
        )}
      </div>
      {picking && <ColumnPicker columns={view.columns} onChange={(columns) => change({ columns })} />}
      {filter && (
        <FilterBuilder
          value={filter}
          onChange={(next) => {
            setFilter(next);
            setPage(0);
          }}
        />
      )}
      {problem && <p className="text-danger">{problem}</p>}
      {result?.contacts.length === 0 && (
        <div className="empty-state">
          <h2>{q || filter || segment ? "No contact matches" : "No contacts yet"}</h2>
          <p>Contacts appear as your site sends identify and track calls to /v1 (Segment's HTTP API), or when the widget sees a visitor.</p>
        </div>
      )}
      {result && result.contacts.length > 0 && (
        <>
          <table className="table" data-testid="contacts-table">
            <thead>
              <tr>
                {view.columns.map((key) => (
                  <ColumnHeader key={key} columnKey={key} sort={view.sort} onSort={(sort) => change({ sort })} />
                ))}
                <th>Id</th>
              </tr>
            </thead>
            <tbody>
              {result.contacts.map((contact) => (
                <tr key={contact.id} data-testid="contact-row">
                  {view.columns.map((key) => (
                    <ContactCell key={key} contact={contact} columnKey={key} />
                  ))}
                  <td className="muted small">
                    <Link to={`/contacts/${contact.id}`}>#{contact.id}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <span className="muted small" data-testid="page-label">
              {pageLabel(result.offset, result.contacts.length, result.total)}
            </span>
            <select value={view.size} onChange={(event) => change({ size: Number(event.target.value) })} aria-label="Contacts per page" data-testid="page-size">
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size} a page
                </option>
              ))}
            </select>
            <button type="button" className="button secondary small" disabled={page === 0} onClick={() => setPage(page - 1)} data-testid="page-previous">
              Previous
            </button>
            <button type="button" className="button secondary small" disabled={(page + 1) * view.size >= result.total} onClick={() => setPage(page + 1)} data-testid="page-next">
              Next
            </button>
          </div>
        </>
      )}
    </div>
  );
}
