/** A modal question before an action that cannot be undone: what it will do, then Cancel (focused) or the action. */
import { type ReactNode, useEffect, useId, useRef } from "react";

interface ConfirmDialogProps {
  title: string;
  /** The button that does it, e.g. "Archive"; while `busy` its "…ing" form is shown, e.g. "Archiving…". */
  action: string;
  busyLabel: string;
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
  /** What happens, said beforehand. */
  children: ReactNode;
}

export function ConfirmDialog({ title, action, busyLabel, busy, onConfirm, onCancel, children }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  return (
    // Escape closes a modal dialog by itself; its close event cancels.
    <dialog ref={dialog} className="confirm-dialog" aria-labelledby={titleId} onClose={onCancel}>
      <h2 id={titleId}>{title}</h2>
      <div className="confirm-dialog-body">{children}</div>
      <div className="confirm-dialog-actions">
        <button type="button" className="button secondary" onClick={onCancel} disabled={busy} autoFocus>
          Cancel
        </button>
        <button type="button" className="button danger" onClick={onConfirm} disabled={busy}>
          {busy ? busyLabel : action}
        </button>
      </div>
    </dialog>
  );
}
