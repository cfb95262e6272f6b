/** Bearer tokens for scripts calling /api: make one (shown once, to copy now), revoke one. */
import { type FormEvent, useCallback, useEffect, useState } from "react";

import { type ApiToken, createApiToken, listApiTokens, revokeApiToken } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { formatDateTime } from "../components/localeFormat";
import { CopyButton } from "./CopyButton";

export function TokensSection() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    listApiTokens().then(setTokens, (error: Error) => setProblem(error.message));
  }, []);
  useEffect(load, [load]);

  const create = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    createApiToken(name)
      .then(
        (answer) => {
          setCreated({ name: answer.token.name, secret: answer.secret });
          setName("");
          load();
        },
        (error: Error) => setProblem(error.message),
      )
      .finally(() => setBusy(false));
  };

  const revoke = (token: ApiToken) => {
    setBusy(true);
    revokeApiToken(token.id)
      .then(load, (error: Error) => setProblem(error.message))
      .finally(() => {
        setBusy(false);
        setRevoking(null);
      });
  };

  return (
    <section className="card settings-section" data-testid="tokens-section">
      <h2>API tokens</h2>
      <p className="muted">
        For scripts calling <code>/api</code> with <code>Authorization: Bearer …</code>. Only a token's hash is kept: it is
        shown once, when it is made.
      </p>
      {problem && <p className="text-danger" data-testid="tokens-problem">{problem}</p>}
      {created && (
        <div className="settings-once" data-testid="new-token">
          <p>
            <strong>{created.name}</strong>: copy this token now, it is not shown again.
          </p>
          <code className="settings-key-value" data-testid="new-token-secret">
            {created.secret}
          </code>{" "}
          <CopyButton text={created.secret} testId="copy-new-token" />{" "}
          <button type="button" className="link" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {tokens && tokens.length === 0 && <p className="muted">No token has been made yet.</p>}
      {tokens && tokens.length > 0 && (
        <table className="table" data-testid="api-tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts with</th>
              <th>Created</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id} data-testid={`token-${token.id}`}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{formatDateTime(token.created_at)}</td>
                <td>{token.revoked_at ? `revoked ${formatDateTime(token.revoked_at)}` : "active"}</td>
                <td>
                  {!token.revoked_at && (
                    <button type="button" className="button small danger" data-testid={`revoke-token-${token.id}`}
                            onClick={() => setRevoking(token)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="settings-inline-form" onSubmit={create}>
        <input required placeholder="who or what uses it, e.g. nightly export" aria-label="Token name"
               data-testid="new-token-name" maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        <button type="submit" className="button" data-testid="create-token" disabled={busy || !name.trim()}>
          Create token
        </button>
      </form>
      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          action="Revoke token"
          busyLabel="Revoking…"
          busy={busy}
          onConfirm={() => revoke(revoking)}
          onCancel={() => setRevoking(null)}
        >
          <p>Scripts using it are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
