/** A popup as the visitor sees it: a small corner card or a large centred window, at its real size. */
import { useState } from "react";

import type { Config } from "../api";

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

/** A page mock with the popup on it; "real size" opens it full screen at its actual pixel size. */
export function PopupPreview({ config }: { config: Config }) {
  const [full, setFull] = useState(false);
  const large = config.size === "large";
  return (
    <div className="popup-preview" data-testid="popup-preview">
      <div className="popup-stage scaled">
        <div className={`popup-site ${large ? "with-overlay" : ""}`}>
          <Popup config={config} />
        </div>
      </div>
      <button type="button" className="link" onClick={() => setFull(true)}>
        Preview at real size
      </button>
      {full && (
        <div className="popup-fullscreen" onClick={() => setFull(false)} role="dialog" aria-label="Popup at real size">
          <div className={`popup-site real ${large ? "with-overlay" : ""}`}>
            <Popup config={config} />
          </div>
          <span className="popup-fullscreen-hint">Click anywhere to close</span>
        </div>
      )}
    </div>
  );
}
