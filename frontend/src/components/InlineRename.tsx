/** A name edited where it is shown: Enter or leaving the field keeps it, Escape puts the old one back. */
import { useRef, useState } from "react";

interface InlineRenameProps {
  name: string;
  label: string;
  maxLength: number;
  /** Called with the new name, trimmed; a blank or unchanged name cancels instead. */
  onRename(name: string): void;
  onCancel(): void;
}

export function InlineRename({ name, label, maxLength, onRename, onCancel }: InlineRenameProps) {
  const [value, setValue] = useState(name);
  // Enter or Escape unmounts the field, which may blur it on the way out: the first of them decides.
  const finished = useRef(false);
  const finish = (keep: boolean) => {
    if (finished.current) return;
    finished.current = true;
    const trimmed = value.trim();
    if (keep && trimmed && trimmed !== name) onRename(trimmed);
    else onCancel();
  };
  return (
    <input
      className="inline-rename"
      value={value}
      maxLength={maxLength}
      aria-label={label}
      autoFocus
      onChange={(event) => setValue(event.target.value)}
      onClick={(event) => event.stopPropagation()}
      onKeyDown={(event) => {
        if (event.key === "Enter") finish(true);
        else if (event.key === "Escape") finish(false);
      }}
      onBlur={() => finish(true)}
    />
  );
}
