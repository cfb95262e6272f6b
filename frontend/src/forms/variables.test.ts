import { describe, expect, it } from "vitest";

import { insertAt, placeholder } from "./variables";

describe("inserting a contact value", () => {
  it("writes the value with its fallback as a template string", () => {
    expect(placeholder("contact.name", "there")).toBe('{{ contact.name | default("there") }}');
    expect(placeholder("contact.email", "")).toBe('{{ contact.email | default("") }}');
    expect(placeholder("contact.name", 'my "friend"')).toBe('{{ contact.name | default("my \\"friend\\"") }}');
  });

  it("replaces the selection and puts the cursor after what it inserted", () => {
    expect(insertAt("Hi !", 3, 3, "{{ x }}")).toEqual({ text: "Hi {{ x }}!", cursor: 10 });
    expect(insertAt("Hi you!", 3, 6, "{{ x }}")).toEqual({ text: "Hi {{ x }}!", cursor: 10 });
    expect(insertAt("Hi", 99, 120, "!")).toEqual({ text: "Hi!", cursor: 3 });
  });
});
