/** The current time, again every half minute, so that "2 min ago" keeps up while a page stays open. */
import { useEffect, useState } from "react";

const TICK_MS = 30_000;

export function useNow(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}
