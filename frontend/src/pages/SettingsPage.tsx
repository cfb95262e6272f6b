/** Settings: how to install the widget, the workspace's keys (rotated here), email, which events are revenue, users
 * and API tokens. A user who sees only the conversations assigned to them may manage none of the workspace's keys,
 * users or tokens (the API refuses them): they see the revenue events and why the rest is not theirs. */
import { useCallback, useEffect, useState } from "react";

import { currentSession, getInstall, storedToken } from "../api";
import { EmailSection } from "../settings/EmailSection";
import { InstallSection } from "../settings/InstallSection";
import { KeysSection } from "../settings/KeysSection";
import { RevenueSection } from "../settings/RevenueSection";
import { TokensSection } from "../settings/TokensSection";
import { UsersSection } from "../settings/UsersSection";

type Install = Awaited<ReturnType<typeof getInstall>>;

/** Whether this browser may manage the workspace: a token's holder may; a logged-in user unless their inbox access
 * is `assigned`. Null until known. */
function useFullAccess(): boolean | null {
  const [full, setFull] = useState<boolean | null>(storedToken() ? true : null);
  useEffect(() => {
    if (storedToken()) return;
    currentSession().then((user) => setFull(user.inbox_access !== "assigned"), () => setFull(true));
  }, []);
  return full;
}

export function SettingsPage() {
  const full = useFullAccess();
  return (
    <div className="page settings-page">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      {full === true && <WorkspaceSettings />}
      {full === false && (
        <>
          <p className="muted" data-testid="settings-assigned-only">
            You see the conversations assigned to you, so the workspace's keys, email, users and API tokens are managed
            by someone who sees the whole inbox.
          </p>
          <RevenueSection />
        </>
      )}
    </div>
  );
}

function WorkspaceSettings() {
  const [install, setInstall] = useState<Install | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const loadInstall = useCallback(() => {
    getInstall().then(setInstall, (error: Error) => setProblem(error.message));
  }, []);
  useEffect(loadInstall, [loadInstall]);

  return (
    <>
      {problem && <p className="text-danger">{problem}</p>}
      {install && <InstallSection install={install} />}
      <KeysSection onRotated={loadInstall} />
      <EmailSection />
      <RevenueSection />
      <UsersSection />
      <TokensSection />
    </>
  );
}
