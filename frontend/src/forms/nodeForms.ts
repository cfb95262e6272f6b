/** A node's form beyond what the generic schema form does: fields the config's current mode does not take are hidden
 * and dropped (as the config schema's if/then rules say), and some node types get their fields ordered or widgets chosen. */
import type { Config, NodeTypeInfo } from "../api";
import type { UiSchema } from "./schemaPrep";
import { allowedKeys } from "./schemaRules";

const HIDDEN = { "ui:field": "hidden" };

/** Field order and widgets a node type's form reads better with; the schema says what a field is, not where it goes. */
function layout(type: string, config: Config): UiSchema {
  switch (type) {
    case "trigger":
      return { "ui:order": ["on", "event", "where", "segment"] };
    case "send_email":
      return {
        "ui:order": ["template_id", "subject", "preheader", "body", "from_name", "reply_to", "goal"],
        template_id: { "ui:field": "emailTemplate" },
      };
    case "wait":
      // A wait takes a duration or an until moment (at most one key); the panel's switch picks which is shown, so the until
      // group is a plain one, not an optional section behind its own switch.
      return "until" in config ? { duration: HIDDEN, until: { "ui:field": "ObjectField" } } : { until: HIDDEN };
    case "send_popup":
      return {
        "ui:order": ["size", "title", "body", "button", "email_fallback_after", "email_fallback", "goal"],
        size: { "ui:widget": "radio" },
        email_fallback: { "ui:order": ["subject", "body"] },
      };
    default:
      return {};
  }
}

/** Extra uiSchema for a node given its current config: its layout, and the fields the config does not take hidden.
 * The list a node's ports come from (a split's variants) has its items titled by letter: "Variant A", "Variant B". */
export function uiOverrides(info: NodeTypeInfo, config: Config): UiSchema {
  const ui = layout(info.type, config);
  if (info.port_source) ui[info.port_source.list] = { items: { "ui:options": { lettered: true } } };
  const allowed = allowedKeys(info.config_schema, config);
  for (const key of Object.keys((info.config_schema.properties ?? {}) as Config)) {
    if (!allowed.includes(key)) ui[key] = HIDDEN;
  }
  return ui;
}

/** The config without empty keys and keys its current mode does not take (a trigger switched to manual drops its event). */
export function tidyConfig(info: NodeTypeInfo, config: Config): Config {
  const filled = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const allowed = allowedKeys(info.config_schema, filled);
  return Object.fromEntries(Object.entries(filled).filter(([key]) => allowed.includes(key)));
}
