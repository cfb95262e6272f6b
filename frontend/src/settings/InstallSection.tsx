/** The widget's install snippet with the site key in force, and how the site's backend vouches for its users. */
import { useState } from "react";

import type { getInstall } from "../api";
import { CopyButton } from "./CopyButton";

type Install = Awaited<ReturnType<typeof getInstall>>;

const LANGUAGES: Record<string, string> = { python: "Python", node: "Node.js", php: "PHP" };

export function InstallSection({ install }: { install: Install }) {
  const [language, setLanguage] = useState(install.identity_examples[0]?.language ?? "python");
  const example = install.identity_examples.find((item) => item.language === language);

  return (
    <section className="card settings-section" data-testid="install-section">
      <h2>Install the widget</h2>
      <p className="muted">
        Paste this before <code>&lt;/body&gt;</code> on every page of your site. It loads <code>{install.script_url}</code>{" "}
        with your site key, records page views and shows your chat messages and popups.
      </p>
      <pre className="settings-code" data-testid="install-snippet">
        {install.snippet}
      </pre>
      <div className="page-actions">
        <CopyButton text={install.snippet} testId="copy-snippet" label="Copy snippet" />
      </div>

      <h3>Tell automap who is signed in</h3>
      <p className="muted">
        When a visitor signs in, the page passes their user id with <code>user_hash</code>, the hex HMAC-SHA256 of the
        user id under your <strong>identity secret</strong>. Your backend computes it; the secret never goes into a page.
        Without a valid hash, a page may not claim a known user.
        {install.require_user_hash && " This workspace requires the hash on every call that names a user id."}
      </p>
      <pre className="settings-code" data-testid="identify-snippet">
        {install.identify_snippet}
      </pre>
      <div className="settings-tabs" role="tablist">
        {install.identity_examples.map((item) => (
          <button
            key={item.language}
            type="button"
            role="tab"
            aria-selected={item.language === language}
            className={`button small ${item.language === language ? "" : "secondary"}`}
            data-testid={`identity-language-${item.language}`}
            onClick={() => setLanguage(item.language)}
          >
            {LANGUAGES[item.language] ?? item.language}
          </button>
        ))}
      </div>
      {example && (
        <>
          <pre className="settings-code" data-testid="identity-example">
            {example.code}
          </pre>
          <CopyButton text={example.code} testId="copy-identity-example" />
        </>
      )}
    </section>
  );
}
