/** A node category's colour for drawings that cannot take the category-* classes (SVG shapes): styles.css's --<category>. */
import type { NodeCategory } from "../api";

export function categoryColour(category: NodeCategory | undefined): string {
  return category ? `var(--${category})` : "var(--muted)";
}
