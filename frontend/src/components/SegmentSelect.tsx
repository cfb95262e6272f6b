/** A segment chosen by name (the rule builder's segment rules, a trigger's "enters a segment"); the value is its id. */
import { useSegments } from "./segments";

export function SegmentSelect({ value, onChange, exclude, id, testId }: {
  value: unknown;
  onChange(segment: number): void;
  /** A segment not offered: the one being edited (it cannot contain itself). */
  exclude?: number;
  id?: string;
  testId?: string;
}) {
  const segments = useSegments();
  const choosable = (segments ?? []).filter((segment) => segment.id !== exclude);
  const known = choosable.some((segment) => segment.id === value);
  return (
    <select id={id} value={known ? String(value) : ""} onChange={(event) => onChange(Number(event.target.value))} aria-label="Segment" data-testid={testId}>
      <option value="" disabled>
        {segments === null ? "Loading segments…" : choosable.length ? "choose a segment…" : "no other segment yet"}
      </option>
      {choosable.map((segment) => (
        <option key={segment.id} value={segment.id}>
          {segment.name}
        </option>
      ))}
    </select>
  );
}
