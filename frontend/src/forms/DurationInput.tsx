/** Days / hours / minutes boxes that read and write an ISO 8601 duration (P1DT2H). */
import { useState } from "react";

import { type DurationParts, formatDuration, parseDuration } from "./duration";

const UNITS: [keyof DurationParts, string][] = [
  ["days", "days"],
  ["hours", "hours"],
  ["minutes", "min"],
];

export interface DurationInputProps {
  id?: string;
  value: string | undefined;
  onChange(value: string | undefined): void;
  disabled?: boolean;
}

export function DurationInput({ id, value, onChange, disabled }: DurationInputProps) {
  const parts = parseDuration(value);
  const [rawMode, setRawMode] = useState(Boolean(value) && !parts);
  if (rawMode) {
    return (
      <div className="duration-input">
        <input id={id} value={value ?? ""} disabled={disabled} placeholder="e.g. P1DT2H" onChange={(event) => onChange(event.target.value || undefined)} />
        <button type="button" className="link" onClick={() => setRawMode(false)} disabled={!parseDuration(value) && Boolean(value)}>
          use boxes
        </button>
      </div>
    );
  }
  const current = parts ?? { days: 0, hours: 0, minutes: 0 };
  return (
    <div className="duration-input" data-testid="duration-input">
      {UNITS.map(([unit, label]) => (
        <label key={unit} className="duration-unit">
          <input
            id={unit === "days" ? id : undefined}
            type="number"
            min={0}
            disabled={disabled}
            value={current[unit] || ""}
            placeholder="0"
            aria-label={unit}
            onChange={(event) => onChange(formatDuration({ ...current, [unit]: Number(event.target.value) || 0 }) || undefined)}
          />
          <span>{label}</span>
        </label>
      ))}
      <button type="button" className="link" title="Type an ISO 8601 duration" onClick={() => setRawMode(true)}>
        {value || "ISO"}
      </button>
    </div>
  );
}
