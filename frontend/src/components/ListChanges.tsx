/** A list page's changes (rename, duplicate, archive, delete…): one at a time, what the last one did (or why not)
 * said above the list, and `after` (closing a dialog, loading the list again) run after each. */
import { useState } from "react";

export interface Outcome {
  text: string;
  failed: boolean;
}

export function useListChanges(after: () => void) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  /** Runs one change; it answers the sentence to show. */
  const act = async (change: () => Promise<string>) => {
    setBusy(true);
    try {
      setOutcome({ text: await change(), failed: false });
    } catch (error) {
      setOutcome({ text: error instanceof Error ? error.message : String(error), failed: true });
    } finally {
      setBusy(false);
      after();
    }
  };
  return { busy, outcome, act };
}

/** What the last change did, or why it was refused. */
export function ChangeNotice({ outcome, testId }: { outcome: Outcome | null; testId: string }) {
  if (!outcome) return null;
  return (
    <p className={outcome.failed ? "text-danger" : "muted"} role="status" data-testid={testId}>
      {outcome.text}
    </p>
  );
}
