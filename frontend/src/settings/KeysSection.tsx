/** The site key, the server key and the identity secret: secrets masked until revealed, each rotatable unless its
 * environment variable sets it; a rotated key's predecessor works for the grace period, and the page says until when. */
import { useCallback, useEffect, useState } from "react";

import { type KeyName, listWorkspaceKeys, revealWorkspaceKey, rotateWorkspaceKey, type WorkspaceKey } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { formatDateTime } from "../components/localeFormat";
import { CopyButton } from "./CopyButton";

const USE: Record<KeyName, string> = {
  write_key: "Public: it is in every page (the install snippet). Browsers send their calls with it.",
  server_key: "Secret: for your backend and server-side Segment libraries; calls made with it are trusted.",
  identity_secret: "Secret: your backend signs signed-in users' ids with it (user_hash).",
};

interface KeysSectionProps {
  /** Called after a rotation, so what shows a key (the install snippet) is read again. */
  onRotated(): void;
}

export function KeysSection({ onRotated }: KeysSectionProps) {
  const [keys, setKeys] = useState<WorkspaceKey[] | null>(null);
  const [graceHours, setGraceHours] = useState(24);
  const [revealed, setRevealed] = useState<Partial<Record<KeyName, string>>>({});
  const [confirming, setConfirming] = useState<WorkspaceKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    listWorkspaceKeys().then(
      (answer) => {
        setKeys(answer.items);
        setGraceHours(answer.grace_hours);
      },
      (error: Error) => setProblem(error.message),
    );
  }, []);
  useEffect(load, [load]);

  const reveal = (name: KeyName) =>
    revealWorkspaceKey(name).then(
      (value) => setRevealed((shown) => ({ ...shown, [name]: value })),
      (error: Error) => setProblem(error.message),
    );

  const rotate = (key: WorkspaceKey) => {
    setBusy(true);
    setProblem(null);
    rotateWorkspaceKey(key.name)
      .then(
        async () => {
          setConfirming(null);
          // A secret that was shown is shown again, new; one that was masked stays masked.
          if (revealed[key.name] !== undefined) await reveal(key.name);
          load();
          onRotated();
        },
        (error: Error) => {
          setConfirming(null);
          setProblem(error.message);
        },
      )
      .finally(() => setBusy(false));
  };

  return (
    <section className="card settings-section" data-testid="keys-section">
      <h2>Keys</h2>
      <p className="muted">
        Rotating a key makes a new one at once; the old one keeps working for {graceHours} hours, so your site and
        backend can deploy the new one.
      </p>
      {problem && <p className="text-danger" data-testid="keys-problem">{problem}</p>}
      {keys === null && !problem && <p className="muted">Loading…</p>}
      {keys && (
        <table className="table" data-testid="keys">
          <tbody>
            {keys.map((key) => {
              const shown = key.value ?? revealed[key.name];
              return (
                <tr key={key.name} data-testid={`key-${key.name}`}>
                  <td className="settings-key-label">
                    <strong>{key.label}</strong>
                    <div className="muted small">{USE[key.name]}</div>
                  </td>
                  <td>
                    <code className="settings-key-value" data-testid={`key-value-${key.name}`}>
                      {shown ?? key.masked}
                    </code>
                    {key.previous_valid_until && (
                      <div className="muted small" data-testid={`key-grace-${key.name}`}>
                        Rotated {key.rotated_at ? formatDateTime(key.rotated_at) : ""}: the old key works until{" "}
                        {formatDateTime(key.previous_valid_until)}.
                      </div>
                    )}
                    {key.pinned_by && (
                      <div className="muted small" data-testid={`key-pinned-${key.name}`}>
                        Set by <code>{key.pinned_by}</code>: rotate it in your deployment.
                      </div>
                    )}
                  </td>
                  <td className="settings-key-actions">
                    {shown === undefined ? (
                      <button type="button" className="button small secondary" data-testid={`reveal-${key.name}`}
                              onClick={() => reveal(key.name)}>
                        Reveal
                      </button>
                    ) : (
                      <CopyButton text={shown} testId={`copy-${key.name}`} />
                    )}{" "}
                    <button
                      type="button"
                      className="button small danger"
                      data-testid={`rotate-${key.name}`}
                      disabled={key.pinned_by !== null}
                      title={key.pinned_by ? `Set by ${key.pinned_by}: rotate it in your deployment.` : undefined}
                      onClick={() => setConfirming(key)}
                    >
                      Rotate
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Rotate the ${confirming.label.toLowerCase()}?`}
          action="Rotate key"
          busyLabel="Rotating…"
          busy={busy}
          onConfirm={() => rotate(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>
            A new {confirming.label.toLowerCase()} is made now. The current one keeps working for {graceHours} hours,
            then it is refused: deploy the new one {confirming.name === "write_key" ? "in your pages' snippet" : "to your backend"}{" "}
            before then.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
