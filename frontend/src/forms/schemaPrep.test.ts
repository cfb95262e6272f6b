import { describe, expect, it } from "vitest";

import { errorTree, prepareSchema } from "./schemaPrep";

const BASE = "https://automap.dev/schema/";
const SHARED = {
  [`${BASE}common.schema.json`]: {
    $id: `${BASE}common.schema.json`,
    $defs: {
      duration: { type: "string", format: "duration", description: "An ISO 8601 duration." },
      time_of_day: { type: "string", pattern: "^\\d\\d:\\d\\d$" },
      event_name: { type: "string", minLength: 1 },
      property_path: { type: "string", pattern: "^[^.\\s][^\\s]*$" },
      segment_id: { type: "integer", minimum: 1 },
    },
  },
  [`${BASE}filter.schema.json`]: { $id: `${BASE}filter.schema.json`, $defs: { condition: {}, property_rules: {} } },
};

describe("prepareSchema", () => {
  it("offers the event names and property paths seen, by the definition referenced, wherever they are", () => {
    const common = `${BASE}common.schema.json#/$defs/`;
    const { uiSchema } = prepareSchema(
      {
        type: "object",
        properties: {
          event: { $ref: `${common}event_name`, title: "Event" },
          goal: { type: "object", properties: { event: { $ref: `${common}event_name` }, revenue_property: { $ref: `${common}property_path` } } },
          exit_when: { type: "array", items: { type: "object", properties: { event: { $ref: `${common}event_name` } } } },
          unset: { type: "array", items: { $ref: `${common}property_path` } },
        },
      },
      SHARED,
    );
    expect(uiSchema).toEqual({
      event: { "ui:widget": "eventName" },
      goal: { event: { "ui:widget": "eventName" }, revenue_property: { "ui:widget": "propertyPath", "ui:options": { scope: "event" } } },
      exit_when: { items: { event: { "ui:widget": "eventName" } } },
      unset: { items: { "ui:widget": "propertyPath" } },
    });
  });

  it("chooses a segment by name wherever a segment id is asked for", () => {
    const { uiSchema } = prepareSchema(
      { type: "object", properties: { segment: { $ref: `${BASE}common.schema.json#/$defs/segment_id`, title: "Segment" } } },
      SHARED,
    );
    expect(uiSchema).toEqual({ segment: { "ui:widget": "segment" } });
  });

  it("inlines shared definitions, keeping the node's own title", () => {
    const { schema } = prepareSchema(
      { type: "object", properties: { event: { $ref: `${BASE}common.schema.json#/$defs/event_name`, title: "Event" } } },
      SHARED,
    );
    expect(schema.properties).toEqual({ event: { type: "string", minLength: 1, title: "Event", description: undefined } });
  });

  it("picks the duration picker, time input and filter builder by the definition referenced", () => {
    const { schema, uiSchema } = prepareSchema(
      {
        type: "object",
        properties: {
          timeout: { $ref: `${BASE}common.schema.json#/$defs/duration`, title: "Give up after" },
          filter: { $ref: `${BASE}filter.schema.json#/$defs/condition`, title: "Rule" },
          goal: { type: "object", properties: { where: { $ref: `${BASE}filter.schema.json#/$defs/property_rules` } } },
          until: { type: "object", properties: { time: { $ref: `${BASE}common.schema.json#/$defs/time_of_day` } } },
        },
      },
      SHARED,
    );
    expect(uiSchema).toEqual({
      timeout: { "ui:widget": "duration" },
      filter: { "ui:field": "filter" },
      goal: { where: { "ui:field": "propertyRules" } },
      until: { time: { "ui:widget": "timeOfDay" } },
    });
    expect((schema.properties as Record<string, object>).filter).toEqual({ type: "object", title: "Rule", description: undefined });
  });

  it("leaves conditional keywords to the server and shows multi-type values as text-or-JSON", () => {
    const { schema, uiSchema } = prepareSchema(
      { type: "object", if: { required: ["a"] }, then: {}, else: {}, allOf: [], properties: { body: { type: ["string", "object"] } } },
      SHARED,
    );
    expect(Object.keys(schema)).toEqual(["type", "properties"]);
    expect(uiSchema).toEqual({ body: { "ui:field": "textOrJson" } });
  });

  it("shows a unique list of choices as checkboxes", () => {
    const { uiSchema } = prepareSchema(
      { type: "object", properties: { weekdays: { type: "array", uniqueItems: true, items: { enum: ["monday", "friday"] } } } },
      SHARED,
    );
    expect(uiSchema).toEqual({ weekdays: { "ui:widget": "checkboxes" } });
  });

  it("shows choices by the labels the schema gives them, keeping the values", () => {
    const { schema, uiSchema } = prepareSchema(
      { type: "object", properties: { on: { title: "Start", enum: ["event", "manual"], enumNames: ["When an event happens", "When added by hand"] } } },
      SHARED,
    );
    expect((schema.properties as Record<string, object>).on).toEqual({ title: "Start", enum: ["event", "manual"] });
    expect(uiSchema).toEqual({ on: { "ui:enumNames": ["When an event happens", "When added by hand"] } });
  });

  it("gives a personalised text its insert-variable menu, a body as a text area", () => {
    const variables = [{ variable: "contact.name", label: "Name", fallback: "there" }];
    const { schema, uiSchema } = prepareSchema(
      {
        type: "object",
        properties: {
          subject: { type: "string", maxLength: 300, personalisation: variables },
          body: { type: "string", personalisation: variables },
          from_name: { type: "string", maxLength: 100 },
        },
      },
      SHARED,
    );
    expect(uiSchema).toEqual({
      subject: { "ui:widget": "personalisedText", "ui:options": { variables } },
      body: { "ui:widget": "personalisedText", "ui:options": { rows: 6, variables } },
    });
    expect((schema.properties as Record<string, object>).subject).toEqual({ type: "string", maxLength: 300 });
  });

  it("puts an optional group of required fields behind a switch, and nothing else", () => {
    const group = { type: "object", required: ["event"], properties: { event: { type: "string" } } };
    const { uiSchema } = prepareSchema(
      { type: "object", required: ["kept"], properties: { goal: group, kept: group, loose: { type: "object", properties: { a: { type: "string" } } } } },
      SHARED,
    );
    expect(uiSchema).toEqual({ goal: { "ui:field": "optionalSection" } });
  });

  it("lets a free-form map take name → value pairs", () => {
    const { schema } = prepareSchema({ type: "object", properties: { set: { type: "object", minProperties: 1 } } }, SHARED);
    expect((schema.properties as Record<string, object>).set).toEqual({ type: "object", additionalProperties: { type: "string" } });
  });
});

describe("errorTree", () => {
  it("hangs the server's errors on the fields their pointers name", () => {
    const errors = [
      { pointer: "/nodes/2/config/timeout", message: "Not a duration." },
      { pointer: "/nodes/2/config/variants/1/id", message: "Taken." },
      { pointer: "/nodes/2", message: "Port next is not wired." },
      { pointer: "/settings/goal/event", message: "Required." },
    ];
    expect(errorTree(errors, /^\/nodes\/\d+\/config/)).toEqual({
      timeout: { __errors: ["Not a duration."] },
      variants: { 1: { id: { __errors: ["Taken."] } } },
    });
    expect(errorTree(errors, /^\/settings/)).toEqual({ goal: { event: { __errors: ["Required."] } } });
  });
});
