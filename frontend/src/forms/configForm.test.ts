/** The config forms as a marketer reads them, rendered from the served node catalogue. */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import type { Config } from "../api";
import { NODE_CATALOGUE } from "../test/catalogue";
import { ConfigForm } from "./ConfigForm";
import { uiOverrides } from "./nodeForms";

function form(type: string, value: Config): string {
  const info = NODE_CATALOGUE.node_types.find((candidate) => candidate.type === type)!;
  const props = { idPrefix: `node-${type}`, schema: info.config_schema, shared: NODE_CATALOGUE.schemas, value, extraUi: uiOverrides(info, value), onChange: () => undefined };
  return renderToStaticMarkup(createElement(ConfigForm, props));
}

/** The words a rendered form shows, tags dropped. */
function words(html: string): string {
  return html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

describe("a config form a marketer reads without help", () => {
  it("offers a trigger's sources by their labels, not their values", () => {
    const html = form("trigger", { on: "event", event: "signed_up" });
    expect(html).toContain('<option value="0" selected="">When an event happens</option>');
    expect(words(html)).toContain("When a contact enters a segment");
    expect(words(html)).not.toMatch(/\bsegment_entered\b/);
  });

  it("stars an optional section's fields only once it is switched on", () => {
    const off = words(form("send_popup", { size: "small", title: "Hi", body: "Welcome" }));
    expect(off).toContain("Fallback email");
    expect(off).not.toMatch(/Subject \*/);
    expect(off).not.toMatch(/Goal event \*/);
    const on = words(form("send_popup", { size: "small", title: "Hi", body: "Welcome", email_fallback: { subject: "", body: "" }, goal: { event: "" } }));
    expect(on).toMatch(/Subject \*/);
    expect(on).toMatch(/Goal event \*/);
  });

  it("titles a split's variants Variant A, Variant B with a plain port name", () => {
    const text = words(form("split", { variants: [{ id: "a", label: "A", weight: 50 }, { id: "b", label: "B", weight: 50 }] }));
    expect(text).toContain("Variant A");
    expect(text).toContain("Variant B");
    expect(text).toContain("Port name");
    expect(text).not.toContain("Variants-1");
  });

  it("gives a send node's texts the insert-variable menu, keeping their ids", () => {
    const html = form("send_chat", { body: "Hi" });
    expect(html).toContain('id="node-send_chat_body"');
    expect(words(html)).toContain("+ Insert variable");
  });
});
