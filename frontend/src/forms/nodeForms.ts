/** What the generic schema form cannot know about particular node types: field order, fields shown by mode, keys to drop. */
import type { Config } from "../api";
import type { UiSchema } from "./schemaPrep";

const HIDDEN = { "ui:widget": "hidden" };

/** Extra uiSchema for a node type given its current config. */
export function uiOverrides(type: string, config: Config): UiSchema {
  switch (type) {
    case "trigger": {
      const on = config.on ?? "event";
      return {
        "ui:order": ["on", "event", "where", "segment"],
        ...(on !== "event" ? { event: HIDDEN, where: { "ui:field": "hidden" } } : {}),
        ...(on !== "segment_entered" ? { segment: HIDDEN } : {}),
      };
    }
    case "send_email":
      return {
        "ui:order": ["template_id", "subject", "preheader", "body", "from_name", "reply_to", "goal"],
        template_id: { "ui:field": "emailTemplate" },
        ...(config.template_id ? { subject: HIDDEN, body: { "ui:widget": "hidden" } } : {}),
      };
    case "wait":
      return "until" in config ? { duration: HIDDEN } : { until: { "ui:field": "hidden" } };
    case "send_popup":
      return { "ui:order": ["size", "title", "body", "button", "email_fallback_after", "email_fallback", "goal"], size: { "ui:widget": "radio" } };
    default:
      return {};
  }
}

const TRIGGER_KEYS: Record<string, string[]> = {
  event: ["on", "event", "where"],
  segment_entered: ["on", "segment"],
  manual: ["on"],
};

/** The config without keys the node's current mode does not take (a trigger switched to manual drops its event). */
export function tidyConfig(type: string, config: Config): Config {
  const tidy = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  if (type === "trigger") {
    const allowed = TRIGGER_KEYS[String(tidy.on ?? "event")] ?? Object.keys(tidy);
    return Object.fromEntries(Object.entries(tidy).filter(([key]) => allowed.includes(key)));
  }
  if (type === "send_email" && tidy.template_id) {
    delete tidy.subject;
    delete tidy.body;
  }
  return tidy;
}
