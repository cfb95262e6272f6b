/** A text filled in per contact (a subject, a chat message, a popup's title), with an "Insert variable" menu that puts
 * a contact value and its fallback at the cursor, so a contact without a name reads "Hi there!", not "Hi !". */
import { ariaDescribedByIds, type WidgetProps } from "@rjsf/utils";
import { useRef, useState } from "react";

import { insertAt, type InsertableVariable, placeholder } from "./variables";

/** Puts `snippet` into `text` in place of the box's selection (at its end when it has none), then moves the box's
 * cursor right after it. */
export function insertIntoBox(box: HTMLInputElement | HTMLTextAreaElement | null, text: string, snippet: string, change: (next: string) => void): void {
  const inserted = insertAt(text, box?.selectionStart ?? text.length, box?.selectionEnd ?? text.length, snippet);
  change(inserted.text);
  requestAnimationFrame(() => {
    box?.focus();
    box?.setSelectionRange(inserted.cursor, inserted.cursor);
  });
}

export function InsertVariableMenu({ variables, disabled, onInsert }: { variables: InsertableVariable[]; disabled: boolean; onInsert(snippet: string): void }) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState(0);
  const [fallback, setFallback] = useState(variables[0]?.fallback ?? "");
  if (!variables.length) return null;
  if (!open) {
    return (
      <button type="button" className="link small" disabled={disabled} onClick={() => setOpen(true)}>
        + Insert variable
      </button>
    );
  }
  const snippet = placeholder(variables[chosen].variable, fallback);
  return (
    <div className="insert-variable" role="group" aria-label="Insert variable">
      <label className="field">
        <span>Contact value</span>
        <select
          value={chosen}
          onChange={(event) => {
            const index = Number(event.target.value);
            setChosen(index);
            setFallback(variables[index].fallback);
          }}
        >
          {variables.map((variable, index) => (
            <option key={variable.variable} value={index}>
              {variable.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>If the contact has none, show</span>
        <input value={fallback} onChange={(event) => setFallback(event.target.value)} placeholder="nothing" />
      </label>
      <code className="small">{snippet}</code>
      <div>
        <button
          type="button"
          className="button small"
          onClick={() => {
            onInsert(snippet);
            setOpen(false);
          }}
        >
          Insert
        </button>{" "}
        <button type="button" className="link small" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The widget for a string whose schema carries `personalisation`: a text box (or, with `rows`, a text area) and the menu. */
export function PersonalisedTextWidget({ id, value, onChange, onBlur, onFocus, disabled, readonly, options, placeholder: hint }: WidgetProps) {
  const box = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const rows = typeof options.rows === "number" ? options.rows : undefined;
  const variables = (options.variables ?? []) as InsertableVariable[];
  const text = typeof value === "string" ? value : "";
  const change = (next: string) => onChange(next === "" ? options.emptyValue : next);
  const insert = (snippet: string) => insertIntoBox(box.current, text, snippet, change);
  const common = {
    id,
    ref: box,
    value: text,
    placeholder: hint,
    disabled: disabled || readonly,
    className: "form-control",
    "aria-describedby": ariaDescribedByIds(id),
    onBlur: () => onBlur(id, text),
    onFocus: () => onFocus(id, text),
  };
  return (
    <div className="personalised-text">
      {rows ? (
        <textarea {...common} rows={rows} onChange={(event) => change(event.target.value)} />
      ) : (
        <input {...common} type="text" onChange={(event) => change(event.target.value)} />
      )}
      <InsertVariableMenu variables={variables} disabled={Boolean(disabled || readonly)} onInsert={insert} />
    </div>
  );
}
