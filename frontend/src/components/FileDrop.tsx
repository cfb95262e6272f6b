/** Reads a JSON file chosen with a button or dropped on the area. */
import { type ReactNode, useRef, useState } from "react";

export function FileDrop({ onFile, children, label = "Import JSON" }: { onFile(content: unknown, name: string): void; children?: ReactNode; label?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const read = async (file: File | undefined) => {
    if (!file) return;
    try {
      onFile(JSON.parse(await file.text()), file.name);
      setProblem(null);
    } catch {
      setProblem(`${file.name} is not a JSON file.`);
    }
  };
  return (
    <div
      className={`file-drop ${over ? "over" : ""}`}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        read(event.dataTransfer.files[0]);
      }}
    >
      {children}
      <button type="button" className="button secondary" onClick={() => input.current?.click()}>
        {label}
      </button>
      <input
        ref={input}
        type="file"
        accept="application/json,.json"
        hidden
        data-testid="import-file"
        onChange={(event) => {
          read(event.target.files?.[0]);
          event.target.value = "";
        }}
      />
      {problem && <span className="text-danger small">{problem}</span>}
    </div>
  );
}
