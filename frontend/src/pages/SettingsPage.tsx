/** Settings: how to install the widget, the workspace's keys (rotated here), email, which events are revenue, users
 * and API tokens. */
import { useCallback, useEffect, useState } from "react";

import { getInstall } from "../api";
import { EmailSection } from "../settings/EmailSection";
import { InstallSection } from "../settings/InstallSection";
import { KeysSection } from "../settings/KeysSection";
import { RevenueSection } from "../settings/RevenueSection";
import { TokensSection } from "../settings/TokensSection";
import { UsersSection } from "../settings/UsersSection";

type Install = Awaited<ReturnType<typeof getInstall>>;

export function SettingsPage() {
  const [install, setInstall] = useState<Install | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const loadInstall = useCallback(() => {
    getInstall().then(setInstall, (error: Error) => setProblem(error.message));
  }, []);
  useEffect(loadInstall, [loadInstall]);

  return (
    <div className="page settings-page">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {install && <InstallSection install={install} />}
      <KeysSection onRotated={loadInstall} />
      <EmailSection />
      <RevenueSection />
      <UsersSection />
      <TokensSection />
    </div>
  );
}
