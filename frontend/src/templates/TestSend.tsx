/** "Send test": emails the saved template, rendered for the sample contact, to an address through the configured mail
 * server, and says what the server answered (sent, no mail server set up, or the mail server refused). */
import { useState } from "react";

import { testSendMessageTemplate } from "../api";
import { testSendProblem } from "./library";

interface TestSendProps {
  /** Saves the edits first, if any, and gives the template's id (null: it could not be saved, the form says why). */
  saved(): Promise<number | null>;
  unsaved: boolean;
}

export function TestSend({ saved, unsaved }: TestSendProps) {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; failed: boolean } | null>(null);

  const send = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const id = await saved();
      if (id === null) return setOutcome({ text: "The template was not saved, so no test was sent: see the form.", failed: true });
      const answer = await testSendMessageTemplate(id, email.trim());
      setOutcome({ text: `Test email sent to ${answer.sent_to}.`, failed: false });
    } catch (error) {
      setOutcome({ text: testSendProblem(error), failed: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="test-send"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <label className="field">
        <span>Send a test to</span>
        <input type="email" required value={email} placeholder="you@example.com" onChange={(event) => setEmail(event.target.value)} data-testid="template-test-email" />
      </label>
      <button type="submit" className="button secondary" disabled={busy || !email.trim()} data-testid="template-test-send">
        {busy ? "Sending…" : unsaved ? "Save and send test" : "Send test"}
      </button>
      <p className="muted small">Rendered for the sample contact; the subject starts with “[Test]”.</p>
      {outcome && (
        <p className={outcome.failed ? "text-danger" : "muted"} role="status" data-testid="template-test-outcome">
          {outcome.text}
        </p>
      )}
    </form>
  );
}
