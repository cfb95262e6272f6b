/** Whether email can leave (the SMTP server's host, never its password), the sender and reply domain, and a test
 * email to prove it. */
import { type FormEvent, useEffect, useState } from "react";

import { type EmailStatus, getEmailStatus, sendTestEmail } from "../api";

export function EmailSection() {
  const [status, setStatus] = useState<EmailStatus | null>(null);
  const [to, setTo] = useState("");
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    getEmailStatus().then(setStatus, (error: Error) => setProblem(error.message));
  }, []);

  const send = (event: FormEvent) => {
    event.preventDefault();
    setSending(true);
    setResult(null);
    sendTestEmail(to.trim())
      .then(
        (answer) => setResult({ ok: true, text: `Sent to ${answer.sent_to}: check that inbox (and its spam folder).` }),
        (error: Error) => setResult({ ok: false, text: error.message }),
      )
      .finally(() => setSending(false));
  };

  return (
    <section className="card settings-section" data-testid="email-section">
      <h2>Email</h2>
      {problem && <p className="text-danger">{problem}</p>}
      {status && (
        <dl className="settings-facts" data-testid="email-status">
          <dt>SMTP server</dt>
          <dd>
            {status.configured ? (
              <>
                <code>
                  {status.host}:{status.port}
                </code>
                {status.username && <> as <code>{status.username}</code></>}
                {status.encryption !== "none" && <> over {status.encryption === "tls" ? "TLS" : "STARTTLS"}</>}
              </>
            ) : (
              <span className="text-danger">
                {status.problem ?? "Not configured: set AUTOMAP_SMTP_URL (smtp://user:password@host:587?starttls=true)."}
              </span>
            )}
          </dd>
          <dt>Sender</dt>
          <dd>
            <code>{status.mail_from}</code> <span className="muted small">(AUTOMAP_MAIL_FROM)</span>
          </dd>
          <dt>Replies</dt>
          <dd>
            <code>reply+…@{status.inbound_domain}</code>{" "}
            <span className="muted small">(AUTOMAP_INBOUND_DOMAIN: answers to forwarded chat messages)</span>
          </dd>
        </dl>
      )}
      <form className="settings-inline-form" onSubmit={send}>
        <input
          type="email"
          required
          placeholder="you@example.com"
          aria-label="Send a test email to"
          data-testid="test-email-to"
          value={to}
          onChange={(event) => setTo(event.target.value)}
        />
        <button type="submit" className="button" data-testid="send-test-email" disabled={sending || !to.trim()}>
          {sending ? "Sending…" : "Send test email"}
        </button>
      </form>
      {result && (
        <p className={result.ok ? "muted" : "text-danger"} data-testid="test-email-result">
          {result.text}
        </p>
      )}
    </section>
  );
}
