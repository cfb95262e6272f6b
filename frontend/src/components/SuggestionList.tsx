/** A `<datalist>` of suggestions an input offers through its `list` attribute: `<input list={id}>` beside
 * `<SuggestionList id={id} source={EVENTS} />`. The browser filters the options by what is typed. */
import { type InputHTMLAttributes, useId } from "react";

import { type SuggestionSource, useSuggestions } from "./suggestions";

export function SuggestionList({ id, source }: { id: string; source: SuggestionSource | null }) {
  const suggestions = useSuggestions(source);
  return (
    <datalist id={id} data-testid={id}>
      {suggestions.map((suggestion) => (
        <option key={suggestion.value} value={suggestion.value} label={suggestion.hint || undefined} />
      ))}
    </datalist>
  );
}

/** A text input with a datalist of its own offering what `source` suggests. */
export function SuggestedInput({ source, ...input }: InputHTMLAttributes<HTMLInputElement> & { source: SuggestionSource | null }) {
  const listId = useId();
  return (
    <>
      <input {...input} list={listId} />
      <SuggestionList id={listId} source={source} />
    </>
  );
}
