import { describe, expect, it } from "vitest";

import { CATALOGUE } from "../test/catalogue";
import { tidyConfig, uiOverrides } from "./nodeForms";

const HIDDEN = { "ui:field": "hidden" };

describe("a node form follows its config schema's modes", () => {
  it("shows a trigger only the keys its `on` takes", () => {
    const ui = uiOverrides(CATALOGUE.trigger, { on: "segment_entered" });
    expect([ui.event, ui.where, ui.segment]).toEqual([HIDDEN, HIDDEN, undefined]);
    expect(uiOverrides(CATALOGUE.trigger, {}).segment).toEqual(HIDDEN); // `on` defaults to event
  });

  it("drops the keys a trigger's new mode does not take", () => {
    const config = { on: "manual", event: "cart_updated", where: [{ property: "total", op: "gt", value: 0 }] };
    expect(tidyConfig(CATALOGUE.trigger, config)).toEqual({ on: "manual" });
  });

  it("titles a split's variants by letter and keeps a wait's until group out of the optional-section switch", () => {
    expect(uiOverrides(CATALOGUE.split, {}).variants).toEqual({ items: { "ui:options": { lettered: true } } });
    expect(uiOverrides(CATALOGUE.wait, { until: { time: "09:00" } }).until).toEqual({ "ui:field": "ObjectField" });
  });

  it("hides and drops an email's subject and body once it uses a saved template, and brings them back after", () => {
    expect(uiOverrides(CATALOGUE.send_email, { template_id: 3 }).subject).toEqual(HIDDEN);
    expect(tidyConfig(CATALOGUE.send_email, { template_id: 3, subject: "Hi", body: "…" })).toEqual({ template_id: 3 });
    expect(tidyConfig(CATALOGUE.send_email, { template_id: undefined, subject: "Hi", body: "…" })).toEqual({ subject: "Hi", body: "…" });
  });
});
