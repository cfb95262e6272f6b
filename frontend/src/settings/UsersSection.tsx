/** The people who log in to the builder: add one, name one (visitors see the name on their messages), choose which
 * inbox conversations one sees, give one a new password, disable one (not yourself) or enable one again. */
import { type FormEvent, useCallback, useEffect, useState } from "react";

import { createUser, disableUser, enableUser, type InboxAccess, listUsers, setUserPassword, updateUser, type UserAccount } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { InlineRename } from "../components/InlineRename";
import { formatDateTime } from "../components/localeFormat";

const INBOX_ACCESS: Record<InboxAccess, string> = { all: "Every conversation", assigned: "Unassigned ones and their own" };
const NAME_LENGTH = 100; // the API's limit

export function UsersSection() {
  const [users, setUsers] = useState<UserAccount[] | null>(null);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [resetting, setResetting] = useState<{ user: UserAccount; password: string } | null>(null);
  const [disabling, setDisabling] = useState<UserAccount | null>(null);
  const [naming, setNaming] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    listUsers().then(setUsers, (error: Error) => setProblem(error.message));
  }, []);
  useEffect(load, [load]);

  const run = (action: Promise<unknown>, done: string, after?: () => void) => {
    setBusy(true);
    setProblem(null);
    setNotice(null);
    action
      .then(
        () => {
          setNotice(done);
          after?.();
          load();
        },
        (error: Error) => setProblem(error.message),
      )
      .finally(() => setBusy(false));
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    run(createUser(email, password), `Added ${email.trim().toLowerCase()}: they can log in now.`, () => {
      setEmail("");
      setPassword("");
    });
  };

  const reset = (event: FormEvent) => {
    event.preventDefault();
    if (!resetting) return;
    const { user } = resetting;
    run(setUserPassword(user.id, resetting.password), `New password set for ${user.email}; their sessions were ended.`, () =>
      setResetting(null),
    );
  };

  return (
    <section className="card settings-section" data-testid="users-section">
      <h2>Users</h2>
      <p className="muted">
        People who log in to this builder. Visitors see a user's name on the messages they write in the inbox. Disabling a user or
        setting their password logs them out everywhere.
      </p>
      {problem && <p className="text-danger" data-testid="users-problem">{problem}</p>}
      {notice && <p className="muted" data-testid="users-notice">{notice}</p>}
      {users && (
        <table className="table" data-testid="users">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Inbox</th>
              <th>Created</th>
              <th>Last login</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} data-testid={`user-${user.id}`}>
                <td>
                  {user.email} {user.is_you && <span className="badge">you</span>}
                </td>
                <td>
                  {naming === user.id ? (
                    <InlineRename name={user.name ?? ""} label={`Name of ${user.email}`} maxLength={NAME_LENGTH}
                                  onRename={(name) => run(updateUser(user.id, { name }), `${user.email} is now shown as ${name}.`, () => setNaming(null))}
                                  onCancel={() => setNaming(null)} />
                  ) : (
                    <button type="button" className="link" data-testid={`user-name-${user.id}`} title="Rename" onClick={() => setNaming(user.id)}>
                      {user.name || <span className="muted">add a name</span>}
                    </button>
                  )}
                </td>
                <td>
                  <select aria-label={`Inbox conversations ${user.email} sees`} data-testid={`user-inbox-access-${user.id}`} value={user.inbox_access}
                          disabled={busy}
                          onChange={(event) => {
                            const inbox_access = event.target.value as InboxAccess;
                            run(updateUser(user.id, { inbox_access }), `${user.email} now sees ${INBOX_ACCESS[inbox_access].toLowerCase()}.`);
                          }}>
                    {Object.entries(INBOX_ACCESS).map(([access, label]) => (
                      <option key={access} value={access}>{label}</option>
                    ))}
                  </select>
                </td>
                <td>{formatDateTime(user.created_at)}</td>
                <td>{user.last_login_at ? formatDateTime(user.last_login_at) : "—"}</td>
                <td>{user.disabled_at ? `disabled ${formatDateTime(user.disabled_at)}` : "active"}</td>
                <td className="settings-row-actions">
                  <button type="button" className="button small secondary" data-testid={`reset-password-${user.id}`}
                          onClick={() => setResetting({ user, password: "" })}>
                    Set password
                  </button>{" "}
                  {user.disabled_at ? (
                    <button type="button" className="button small secondary" data-testid={`enable-user-${user.id}`}
                            disabled={busy} onClick={() => run(enableUser(user.id), `Enabled ${user.email}.`)}>
                      Enable
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="button small danger"
                      data-testid={`disable-user-${user.id}`}
                      disabled={user.is_you}
                      title={user.is_you ? "You cannot disable yourself." : undefined}
                      onClick={() => setDisabling(user)}
                    >
                      Disable
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {resetting && (
        <form className="settings-inline-form" onSubmit={reset} data-testid="reset-password-form">
          <span>New password for {resetting.user.email}</span>
          <input
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            aria-label="New password"
            data-testid="reset-password-input"
            value={resetting.password}
            onChange={(event) => setResetting({ ...resetting, password: event.target.value })}
          />
          <button type="submit" className="button" data-testid="reset-password-save" disabled={busy}>
            Set password
          </button>
          <button type="button" className="button secondary" onClick={() => setResetting(null)}>
            Cancel
          </button>
        </form>
      )}
      <form className="settings-inline-form" onSubmit={create}>
        <input type="email" required placeholder="email" aria-label="New user's email" data-testid="new-user-email"
               value={email} onChange={(event) => setEmail(event.target.value)} />
        <input type="password" required minLength={8} autoComplete="new-password" placeholder="password (8 characters or more)"
               aria-label="New user's password" data-testid="new-user-password" value={password}
               onChange={(event) => setPassword(event.target.value)} />
        <button type="submit" className="button" data-testid="create-user" disabled={busy}>
          Add user
        </button>
      </form>
      {disabling && (
        <ConfirmDialog
          title={`Disable ${disabling.email}?`}
          action="Disable user"
          busyLabel="Disabling…"
          busy={busy}
          onConfirm={() => run(disableUser(disabling.id), `Disabled ${disabling.email}.`, () => setDisabling(null))}
          onCancel={() => setDisabling(null)}
        >
          <p>They are logged out everywhere and can no longer log in.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
