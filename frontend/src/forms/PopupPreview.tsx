/** A popup as the visitor sees it: a small corner card or a large centred window, at its real size, its texts rendered
 * by the server for a chosen contact or the sample contact, whose missing name shows the fallbacks. */
import { useState } from "react";

import type { Config, ContactSummary } from "../api";
import { ContactPicker } from "./ContactPicker";
import { useMessagePreview } from "./useMessagePreview";

/** The popup's fields the visitor reads, each filled in per contact. */
const PERSONALISED = ["title", "body", "button"];

function personalisedContent(config: Config): Config {
  return Object.fromEntries(PERSONALISED.filter((field) => config[field] !== undefined).map((field) => [field, config[field]]));
}

function Popup({ config }: { config: Config }) {
  const button = config.button as { text?: string; url?: string } | undefined;
  return (
    <div className={`popup popup-${config.size === "large" ? "large" : "small"}`}>
      <span className="popup-close">×</span>
      <div className="popup-title">{String(config.title ?? "Popup title")}</div>
      <div className="popup-body">{String(config.body ?? "")}</div>
      {button?.text && <span className="popup-button">{button.text}</span>}
    </div>
  );
}

/** A page mock with the popup on it; "real size" opens it full screen at its actual pixel size. Until the server's first
 * rendering arrives the popup shows no text, never a `{{ … }}` as written. */
export function PopupPreview({ config }: { config: Config }) {
  const [full, setFull] = useState(false);
  const [contact, setContact] = useState<ContactSummary | null>(null);
  const { preview, problem } = useMessagePreview("popup", personalisedContent(config), contact?.id ?? null);
  const shown = { size: config.size, ...preview?.content };
  const large = config.size === "large";
  return (
    <div className="popup-preview" data-testid="popup-preview">
      <ContactPicker contact={contact} onChange={setContact} />
      {problem && (
        <p className="text-danger small" role="alert">
          {problem}
        </p>
      )}
      <div className="popup-stage scaled">
        <div className={`popup-site ${large ? "with-overlay" : ""}`}>
          <Popup config={shown} />
        </div>
      </div>
      <button type="button" className="link" onClick={() => setFull(true)}>
        Preview at real size
      </button>
      {full && (
        <div className="popup-fullscreen" onClick={() => setFull(false)} role="dialog" aria-label="Popup at real size">
          <div className={`popup-site real ${large ? "with-overlay" : ""}`}>
            <Popup config={shown} />
          </div>
          <span className="popup-fullscreen-hint">Click anywhere to close</span>
        </div>
      )}
    </div>
  );
}
