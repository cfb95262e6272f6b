/** Snoozes the conversation out of the open list until tomorrow 9:00, for an hour, or until a chosen moment. */
import { useState } from "react";

import { fromLocalInput, inAnHour, toLocalInput, tomorrowMorning } from "./snooze";

interface SnoozeMenuProps {
  disabled: boolean;
  onSnooze(until: Date): void;
}

export function SnoozeMenu({ disabled, onSnooze }: SnoozeMenuProps) {
  const [open, setOpen] = useState(false);
  const [custom, setCustom] = useState("");
  const choose = (until: Date) => {
    setOpen(false);
    onSnooze(until);
  };
  const customMoment = fromLocalInput(custom);
  return (
    <div className="snooze-menu">
      <button type="button" className="button small secondary" data-testid="snooze-button" disabled={disabled} aria-expanded={open}
              onClick={() => setOpen(!open)}>
        Snooze
      </button>
      {open && (
        <div className="snooze-choices" role="menu">
          <button type="button" className="link" role="menuitem" data-testid="snooze-tomorrow" onClick={() => choose(tomorrowMorning(new Date()))}>
            Until tomorrow 9:00
          </button>
          <button type="button" className="link" role="menuitem" data-testid="snooze-hour" onClick={() => choose(inAnHour(new Date()))}>
            For an hour
          </button>
          <div className="snooze-custom">
            <input type="datetime-local" aria-label="Snooze until" data-testid="snooze-until" min={toLocalInput(new Date())} value={custom}
                   onChange={(event) => setCustom(event.target.value)} />
            <button type="button" className="button small" data-testid="snooze-custom" disabled={!customMoment}
                    onClick={() => customMoment && choose(customMoment)}>
              Snooze
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
