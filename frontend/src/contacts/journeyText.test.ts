import { describe, expect, it } from "vitest";

import { describeAction, type JourneyActionEntry, type JourneyStep, ruleHeld } from "./journeyText";

function step(port: string, pointer: string): JourneyStep {
  return { node_id: "check", label: "Check", port, rule: { pointer, rule: {} }, messages: [] } as unknown as JourneyStep;
}

describe("ruleHeld", () => {
  it("reads the port: yes when the deciding rule held, no when it did not", () => {
    expect(ruleHeld(step("yes", "/filter/any/1"))).toBe(true);
    expect(ruleHeld(step("no", "/filter/all/0"))).toBe(false);
    expect(ruleHeld(step("yes", "/filter"))).toBe(true);
  });

  it("turns over at each not between the condition and the rule", () => {
    expect(ruleHeld(step("yes", "/filter/not/all/1"))).toBe(false);
    expect(ruleHeld(step("no", "/filter/not/any/0"))).toBe(true);
    expect(ruleHeld(step("yes", "/filter/not/not"))).toBe(true);
  });
});

describe("describeAction", () => {
  const label = (id: string) => ({ chat: "Send chat" })[id] ?? id;
  const action = (kind: string, to: string | null = null) => ({ action: kind, to_node_id: to }) as JourneyActionEntry;

  it("names a move's node by its label and the other actions plainly", () => {
    expect(describeAction(action("move", "chat"), label)).toBe("Moved to Send chat");
    expect(describeAction(action("skip_wait"), label)).toBe("Skipped the wait");
    expect(describeAction(action("exit"), label)).toBe("Ended");
    expect(describeAction(action("restart"), label)).toBe("Restarted");
  });
});
