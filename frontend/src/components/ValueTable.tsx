/** Stored properties as a key/value table: nested objects as indented rows, dates and numbers in the reader's locale. */
import { valueRows } from "./localeFormat";

const INDENT_PIXELS = 14;

export function ValueTable({ values, compact = false }: { values: Record<string, unknown>; compact?: boolean }) {
  const rows = valueRows(values);
  if (rows.length === 0) return <p className="muted small">None.</p>;
  return (
    <table className={compact ? "value-table compact" : "value-table"}>
      <tbody>
        {rows.map((row, index) => (
          <tr key={index} className={row.text === null ? "value-group" : undefined}>
            <th scope="row" style={{ paddingLeft: row.depth * INDENT_PIXELS }}>
              {row.key}
            </th>
            <td>{row.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
