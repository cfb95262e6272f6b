/** Event names and property paths seen in the data (GET /api/suggestions/…), offered while the marketer types: loaded once
 * per session and source, shared by every input that asks, and asked for only once what an input depends on (the event
 * whose properties it offers) has stopped changing. */
import { useEffect, useState } from "react";

import { type EventSuggestion, type PropertySuggestion, suggestEvents, suggestProperties } from "../api";
import { formatNumber, formatScalar, type LocaleOptions } from "./localeFormat";

/** Where suggestions come from: event names, or the properties of contacts or of events (of one name, if given). */
export type SuggestionSource = { kind: "events" } | { kind: "properties"; scope: "contact" | "event"; event?: string };

/** One suggestion: the value an input takes, and a hint shown beside it (how often it was seen, example values). */
export interface Suggestion {
  value: string;
  hint: string;
}

/** The ids of the `<datalist>`s every input of a kind shares (see SuggestionList). */
export const SUGGESTION_LISTS = {
  events: "suggest-events",
  contactProperties: "suggest-contact-properties",
  eventProperties: "suggest-event-properties",
} as const;

export const EVENTS: SuggestionSource = { kind: "events" };
export const CONTACT_PROPERTIES: SuggestionSource = { kind: "properties", scope: "contact" };
export const EVENT_PROPERTIES: SuggestionSource = { kind: "properties", scope: "event" };

/** How long what a source depends on must stay unchanged before it is asked for, in milliseconds. */
export const DEBOUNCE_MS = 300;

/** A source's cache key: equal sources share one load. */
export function sourceKey(source: SuggestionSource): string {
  return source.kind === "events" ? "events" : `properties:${source.scope}:${source.event ?? ""}`;
}

/** "12 seen" for an event name. */
export function eventHint({ count }: EventSuggestion, options: LocaleOptions = {}): string {
  return `${formatNumber(count, options)} seen`;
}

/** "e.g. pro, free" for a property path (nothing when no plain value was seen). */
export function propertyHint({ examples }: PropertySuggestion, options: LocaleOptions = {}): string {
  const shown = (examples ?? []).map((value) => formatScalar(value, options));
  return shown.length ? `e.g. ${shown.join(", ")}` : "";
}

/** Loads, each key's once, kept for the session; a failed load is forgotten so that the next ask tries again. */
export class SessionCache<T> {
  private readonly loads = new Map<string, Promise<T>>();

  get(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.loads.get(key);
    if (!pending) {
      pending = load();
      this.loads.set(key, pending);
      pending.catch(() => this.loads.delete(key));
    }
    return pending;
  }

  clear(): void {
    this.loads.clear();
  }
}

const cache = new SessionCache<Suggestion[]>();

/** The suggestions of a source, from the server once per session. */
export function loadSuggestions(source: SuggestionSource): Promise<Suggestion[]> {
  return cache.get(sourceKey(source), async () => {
    if (source.kind === "events") return (await suggestEvents()).map((event) => ({ value: event.name, hint: eventHint(event) }));
    const found = await suggestProperties(source.scope, source.event || undefined);
    return found.map((property) => ({ value: property.path, hint: propertyHint(property) }));
  });
}

/** `value`, once it has stayed the same for `delay` milliseconds. */
export function useDebounced<T>(value: T, delay: number = DEBOUNCE_MS): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** The suggestions of `source` (none while loading, or if the server could not say: they are only suggestions). */
export function useSuggestions(source: SuggestionSource | null): Suggestion[] {
  const key = useDebounced(source ? JSON.stringify(source) : null);
  const [loaded, setLoaded] = useState<{ key: string; items: Suggestion[] } | null>(null);
  useEffect(() => {
    if (key === null) return;
    let current = true;
    loadSuggestions(JSON.parse(key) as SuggestionSource).then(
      (items) => current && setLoaded({ key, items }),
      () => current && setLoaded({ key, items: [] }),
    );
    return () => {
      current = false;
    };
  }, [key]);
  return loaded && loaded.key === key ? loaded.items : [];
}
