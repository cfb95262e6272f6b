/** Sign in with email and password (session cookie), or paste an API token (also handy for scripts and tests). */
import { type FormEvent, useState } from "react";

import { ApiError, logIn, logInWithToken } from "../api";

export function LoginPage({ onSignedIn }: { onSignedIn(): void }) {
  const [tab, setTab] = useState<"password" | "token">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (tab === "password") await logIn(email, password);
      else await logInWithToken(token.trim());
      onSignedIn();
    } catch (error) {
      if (tab === "password" && error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        setProblem("This server does not offer password sign-in: use an API token.");
        setTab("token");
      } else if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        setProblem(tab === "password" ? "That email and password do not match an account." : "The server does not accept this token.");
      } else setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form className="login-card" onSubmit={submit}>
        <div className="brand large">
          <span className="brand-mark" /> automap
        </div>
        <p className="muted">Build automation maps, walk every visitor through them, count every step.</p>
        <div className="segmented full">
          <button type="button" className={tab === "password" ? "active" : ""} onClick={() => setTab("password")}>
            Email
          </button>
          <button type="button" className={tab === "token" ? "active" : ""} onClick={() => setTab("token")} data-testid="token-tab">
            API token
          </button>
        </div>
        {tab === "password" ? (
          <>
            <label className="field">
              <span>Email</span>
              <input type="email" autoComplete="username" value={email} onChange={(event) => setEmail(event.target.value)} required />
            </label>
            <label className="field">
              <span>Password</span>
              <input type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />
            </label>
          </>
        ) : (
          <label className="field">
            <span>Paste an API token</span>
            <input
              type="password"
              value={token}
              onChange={(event) => setToken(event.target.value)}
              placeholder="the admin token or one from `automap tokens create`"
              required
              data-testid="token-input"
            />
            <small className="muted">Kept in this tab only until it is reloaded: nothing stores it.</small>
          </label>
        )}
        {problem && (
          <p className="text-danger" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="button wide" disabled={busy} data-testid="sign-in">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
