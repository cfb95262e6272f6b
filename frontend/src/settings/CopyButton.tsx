/** A button that copies a text to the clipboard and says so; where the browser refuses, it asks to copy by hand. */
import { useEffect, useState } from "react";

interface CopyButtonProps {
  text: string;
  testId: string;
  label?: string;
}

export function CopyButton({ text, testId, label = "Copy" }: CopyButtonProps) {
  const [said, setSaid] = useState<string | null>(null);

  useEffect(() => {
    if (!said) return;
    const timer = window.setTimeout(() => setSaid(null), 2500);
    return () => window.clearTimeout(timer);
  }, [said]);

  const copy = () => {
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      setSaid("Select it and copy it by hand");
      return;
    }
    clipboard.writeText(text).then(
      () => setSaid("Copied"),
      () => setSaid("Select it and copy it by hand"),
    );
  };

  return (
    <button type="button" className="button small secondary" data-testid={testId} onClick={copy}>
      {said ?? label}
    </button>
  );
}
