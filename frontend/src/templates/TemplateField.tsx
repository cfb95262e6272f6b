/** A template's text field: its label, the box (a line or, with `rows`, a text area), the "Insert variable" menu when the
 * text is filled in per contact, and the server's refusal of it, if any, beside it. */
import { useId, useRef } from "react";

import { InsertVariableMenu, insertIntoBox } from "../forms/PersonalisedText";
import type { InsertableVariable } from "../forms/variables";

interface TemplateFieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  /** The server's sentence on what is wrong with it. */
  error?: string;
  /** The contact values it offers to insert (none: a plain field). */
  variables?: InsertableVariable[];
  rows?: number;
  placeholder?: string;
  maxLength?: number;
  testId: string;
}

export function TemplateField({ label, value, onChange, error, variables = [], rows, placeholder, maxLength, testId }: TemplateFieldProps) {
  const box = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const id = useId();
  const common = {
    id,
    ref: box,
    value,
    placeholder,
    maxLength,
    "aria-invalid": Boolean(error),
    "aria-describedby": error ? `${id}-error` : undefined,
    "data-testid": testId,
  };
  return (
    <div className="field personalised-text">
      <label htmlFor={id}>{label}</label>
      {rows ? (
        <textarea {...common} rows={rows} spellCheck={false} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input {...common} type="text" onChange={(event) => onChange(event.target.value)} />
      )}
      {error && (
        <p className="text-danger small" id={`${id}-error`} role="alert" data-testid={`${testId}-error`}>
          {error}
        </p>
      )}
      <InsertVariableMenu variables={variables} disabled={false} onInsert={(snippet) => insertIntoBox(box.current, value, snippet, onChange)} />
    </div>
  );
}
