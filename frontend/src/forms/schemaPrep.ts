/** Turns a node's config JSON Schema into what the form library renders: shared `$ref`s inlined, friendly widgets chosen
 * (event names and property paths offer the ones seen in the data), choices shown by their labels (`enumNames`), personalised texts given their "Insert variable" menu and optional groups
 * of fields put behind a switch. */
import type { JsonSchema } from "../api";

export type UiSchema = Record<string, unknown>;

const FILTER = "filter.schema.json#/$defs/";
const COMMON = "common.schema.json#/$defs/";
/** Keywords the server checks; the form shows every field and the server's errors instead of hiding by rule. */
const SERVER_ONLY = ["if", "then", "else", "allOf", "dependentRequired", "minProperties", "maxProperties", "$schema", "examples"];

/** The schema to render and its uiSchema; `shared` holds the catalogue's schemas by `$id`. */
export function prepareSchema(schema: JsonSchema, shared: Record<string, JsonSchema>): { schema: JsonSchema; uiSchema: UiSchema } {
  const uiSchema: UiSchema = {};
  return { schema: walk(schema, shared, uiSchema, ""), uiSchema };
}

function definition(ref: string, shared: Record<string, JsonSchema>): JsonSchema {
  const [file, path] = ref.split("#/$defs/");
  const document = Object.values(shared).find((schema) => String(schema.$id ?? "").endsWith(file.split("/").pop()!));
  return ((document?.$defs as Record<string, JsonSchema> | undefined)?.[path] ?? {}) as JsonSchema;
}

function walk(schema: JsonSchema, shared: Record<string, JsonSchema>, ui: UiSchema, name: string): JsonSchema {
  let node: JsonSchema = { ...schema };
  const ref = typeof node.$ref === "string" ? node.$ref : null;
  if (ref) {
    delete node.$ref;
    const { title, description } = node;
    if (ref.endsWith(`${FILTER}condition`)) {
      ui["ui:field"] = "filter";
      return { type: "object", title: title ?? "Rule", description };
    }
    if (ref.endsWith(`${FILTER}property_rules`)) {
      ui["ui:field"] = "propertyRules";
      return { type: "array", title: title ?? "Only when", description };
    }
    if (ref.endsWith(`${COMMON}duration`)) ui["ui:widget"] = "duration";
    // Names typed from the data: every event name and property path offers the ones seen (see widgets).
    if (ref.endsWith(`${COMMON}event_name`)) ui["ui:widget"] = "eventName";
    if (ref.endsWith(`${COMMON}property_path`)) ui["ui:widget"] = "propertyPath";
    if (ref.endsWith(`${COMMON}time_of_day`)) ui["ui:widget"] = "timeOfDay";
    if (ref.endsWith(`${COMMON}segment_id`)) ui["ui:widget"] = "segment";
    const target = definition(ref, shared);
    node = { ...target, ...node, description: node.description ?? target.description };
    delete node.$id;
    if (ref.endsWith(`${COMMON}duration`)) delete node.format;
  }
  for (const keyword of SERVER_ONLY) delete node[keyword];
  if (Array.isArray(node.enumNames)) {
    // The labels a choice is shown by ("When an event happens" for `event`); the form library reads them from the uiSchema.
    ui["ui:enumNames"] = node.enumNames;
    delete node.enumNames;
  }
  if (Array.isArray(node.type)) {
    ui["ui:field"] = "textOrJson";
    delete node.type;
  }
  if (node.type === "object" && !node.properties && node.additionalProperties === undefined) {
    // A free-form map (update_contact's "set"): let the form add name → value pairs.
    node.additionalProperties = { type: "string" };
  }
  if (node.properties) {
    const properties: Record<string, JsonSchema> = {};
    const required = new Set((node.required ?? []) as string[]);
    for (const [key, child] of Object.entries(node.properties as Record<string, JsonSchema>)) {
      const childUi: UiSchema = {};
      properties[key] = walk(child, shared, childUi, key);
      // A property path beside an event (a goal's revenue property) names a property of that event, not of the contact.
      if (childUi["ui:widget"] === "propertyPath" && node.properties && "event" in (node.properties as object)) {
        childUi["ui:options"] = { ...(childUi["ui:options"] as UiSchema | undefined), scope: "event" };
      }
      if (!required.has(key) && isGroupWithRequiredFields(properties[key]) && !childUi["ui:field"]) childUi["ui:field"] = "optionalSection";
      if (Object.keys(childUi).length) ui[key] = childUi;
    }
    node.properties = properties;
  }
  if (node.items && typeof node.items === "object") {
    const itemsUi: UiSchema = {};
    node.items = walk(node.items as JsonSchema, shared, itemsUi, name);
    if (Object.keys(itemsUi).length) ui.items = itemsUi;
    if (node.uniqueItems && (node.items as JsonSchema).enum) ui["ui:widget"] = "checkboxes";
  }
  if (node.type === "string" && (name === "body" || (typeof node.maxLength === "number" && node.maxLength > 1000) || (!node.maxLength && name === "body"))) {
    ui["ui:widget"] = "textarea";
    ui["ui:options"] = { rows: name === "body" ? 6 : 3 };
  }
  if (Array.isArray(node.personalisation)) {
    // A text filled in per contact: the same box, with the contact values it offers to insert.
    ui["ui:options"] = { ...(ui["ui:options"] as UiSchema | undefined), variables: node.personalisation };
    ui["ui:widget"] = "personalisedText";
    delete node.personalisation;
  }
  return node;
}

/** An object whose fields are required once it is there: optional, it is a section the marketer switches on. */
function isGroupWithRequiredFields(schema: JsonSchema): boolean {
  return schema.type === "object" && Boolean(schema.properties) && Array.isArray(schema.required) && schema.required.length > 0;
}

/** The server's errors under `prefix` (e.g. /nodes/3/config) as the form's error tree ({field: {__errors: [...]}}). */
export function errorTree(errors: { pointer: string; message: string }[], prefix: RegExp): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const error of errors) {
    const match = prefix.exec(error.pointer);
    if (!match || match.index !== 0) continue;
    const path = error.pointer.slice(match[0].length).split("/").filter(Boolean).map(unescapePointer);
    let branch = tree;
    for (const key of path) branch = (branch[key] ??= {}) as Record<string, unknown>;
    ((branch.__errors ??= []) as string[]).push(error.message);
  }
  return tree;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}
