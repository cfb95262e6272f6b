/** A list page's list — loaded when the page opens and again on demand — and its changes (rename, duplicate, archive,
 * delete…): one at a time, what the last one did (or why not) said above the list, and `after` (closing a dialog,
 * loading the list again) run after each. */
import { useCallback, useEffect, useState } from "react";

/** The list `fetch` answers (null while the first answer is on its way), why it could not be loaded, and `reload`. */
export function useLoadedList<T>(fetch: () => Promise<T[]>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const reload = useCallback(
    () =>
      fetch().then(
        (found) => {
          setItems(found);
          setProblem(null);
        },
        (error: Error) => setProblem(error.message),
      ),
    [fetch],
  );
  useEffect(() => void reload(), [reload]);
  return { items, problem, reload };
}

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
