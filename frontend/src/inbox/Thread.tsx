/** A conversation's items, oldest first, scrolled to the latest whenever one arrives. */
import { useEffect, useRef } from "react";

import { itemKey } from "./thread";
import { ThreadEntry } from "./ThreadEntry";
import type { ThreadItem } from "./types";

export function Thread({ items }: { items: ThreadItem[] }) {
  const list = useRef<HTMLOListElement>(null);
  const latest = items.length > 0 ? itemKey(items[items.length - 1]) : null;

  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [latest]);

  if (items.length === 0) return <p className="muted thread-empty">Nothing in this conversation yet.</p>;
  return (
    <ol className="thread" ref={list} data-testid="thread">
      {items.map((item) => (
        <ThreadEntry key={itemKey(item)} item={item} />
      ))}
    </ol>
  );
}
