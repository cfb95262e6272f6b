import { describe, expect, it } from "vitest";

import type { FlowNode } from "./graph";
import { freePosition, withoutOverlaps } from "./layout";

function card(id: string, x: number, y: number, height = 110, width = 240): FlowNode {
  return { id, type: "wait", position: { x, y }, data: {}, measured: { width, height } } as FlowNode;
}

describe("withoutOverlaps", () => {
  it("moves a card down below the taller card above it, keeping its column", () => {
    const [popup, email] = withoutOverlaps([card("popup", 0, 0, 300), card("email", 20, 200)]);
    expect(popup.position).toEqual({ x: 0, y: 0 });
    expect(email.position).toEqual({ x: 20, y: 316 });
  });

  it("pushes a whole column down in order and leaves separate columns alone", () => {
    const moved = withoutOverlaps([card("a", 0, 0, 250), card("b", 0, 150, 250), card("c", 0, 300), card("far", 600, 0, 500)]);
    const y = Object.fromEntries(moved.map((node) => [node.id, node.position.y]));
    expect(y).toEqual({ a: 0, b: 266, c: 532, far: 0 });
  });

  it("returns the same array when nothing overlaps", () => {
    const nodes = [card("a", 0, 0), card("b", 300, 0)];
    expect(withoutOverlaps(nodes)).toBe(nodes);
  });
});

describe("freePosition", () => {
  it("keeps a drop on free ground and moves one onto a card to just below it", () => {
    const nodes = [card("a", 0, 0), card("b", 0, 126)];
    expect(freePosition({ x: 500, y: 0 }, nodes)).toEqual({ x: 500, y: 0 });
    expect(freePosition({ x: 10, y: 10 }, nodes)).toEqual({ x: 10, y: 252 });
  });
});
