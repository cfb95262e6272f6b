/** The moments a conversation can be snoozed until, computed from now in the reader's time zone. */

const MORNING_HOUR = 9;

/** Tomorrow at 9:00, local time. */
export function tomorrowMorning(now: Date): Date {
  const moment = new Date(now);
  moment.setDate(moment.getDate() + 1);
  moment.setHours(MORNING_HOUR, 0, 0, 0);
  return moment;
}

/** An hour from now. */
export function inAnHour(now: Date): Date {
  return new Date(now.getTime() + 60 * 60 * 1000);
}

/** The value of a datetime-local input ("2026-03-02T14:30", local time) as a moment; null when empty or not a time. */
export function fromLocalInput(value: string): Date | null {
  if (!value) return null;
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

/** A moment as a datetime-local input writes it, to the minute, in local time. */
export function toLocalInput(moment: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}
