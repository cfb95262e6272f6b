import { describe, expect, it } from "vitest";

import { canonicalJson, matchNote, sortErrors, whyInUse } from "./segmentText";

describe("who uses a segment", () => {
  it("is nobody, so it can be deleted", () => {
    expect(whyInUse({ used_by_flows: [], used_by_segments: [] })).toBeNull();
  });

  it("names every flow and segment that uses it", () => {
    expect(whyInUse({ used_by_flows: [{ name: "Welcome VIPs" }], used_by_segments: [] })).toBe(
      "Used by the flow 'Welcome VIPs': change it so it no longer refers to this segment, then delete it.",
    );
    expect(whyInUse({ used_by_flows: [{ name: "A" }, { name: "B" }], used_by_segments: [{ name: "Wide" }] })).toBe(
      "Used by the flow 'A', the flow 'B' and the segment 'Wide': change them so they no longer refer to this segment, then delete it.",
    );
  });
});

describe("the live count", () => {
  it("says how many contacts match", () => {
    expect(matchNote(0)).toBe("No contact matches now");
    expect(matchNote(1)).toBe("1 contact matches now");
    expect(matchNote(1240)).toBe("1,240 contacts match now");
  });
});

describe("a save's errors", () => {
  it("go to the input they are about, the condition's worded with the rule they are in", () => {
    expect(
      sortErrors([
        { pointer: "/name", message: "A segment called 'Pro' already exists: choose another name." },
        { pointer: "/filter/all/1/within", message: "'soon' is not a duration." },
        { pointer: "/filter", message: "The filter is nested too deeply." },
        { pointer: "/colour", message: "Unknown field." },
        { message: "Something else." },
      ]),
    ).toEqual({
      name: ["A segment called 'Pro' already exists: choose another name."],
      description: [],
      filter: ["Rule 2 › in the last: 'soon' is not a duration.", "The filter is nested too deeply."],
      other: ["Unknown field.", "Something else."],
    });
  });
});

describe("canonicalJson", () => {
  it("is the same whatever order an object's keys come in", () => {
    expect(canonicalJson({ all: [{ value: "pro", op: "eq", property: "plan" }] })).toBe(canonicalJson({ all: [{ property: "plan", op: "eq", value: "pro" }] }));
    expect(canonicalJson({ all: [1, 2] })).not.toBe(canonicalJson({ all: [2, 1] }));
  });
});
