/** The message template library's own logic: finding templates in the list, starting a new one, and reading the API's
 * answers into what the pages show (field errors beside their fields, a test send's outcome as a sentence). */
import { ApiError, type Config, type MessageChannel, type MessageTemplateFields, type NodeCatalogue, type SavedMessageTemplate } from "../api";
import type { InsertableVariable } from "../forms/variables";

export const CHANNELS: MessageChannel[] = ["email", "chat", "popup"];

export const CHANNEL_LABELS: Record<MessageChannel, string> = { email: "Email", chat: "Chat message", popup: "Popup" };

/** What a new email template starts with: one text block greeting the contact, "there" when the name is unknown. */
export const STARTER_MJML = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hi {{ contact.name | default("there") }},</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

/** A template not saved yet, for `channel` (anything else than a known channel starts an email). */
export function blankTemplate(channel: string | null): MessageTemplateFields {
  const known = CHANNELS.find((candidate) => candidate === channel) ?? "email";
  return { name: "", channel: known, subject: "", body: known === "email" ? STARTER_MJML : "" };
}

/** The templates whose name or subject holds `search` (any case), of `channel` ("" for all), the latest edited first. */
export function matchingTemplates(templates: SavedMessageTemplate[], search: string, channel: MessageChannel | ""): SavedMessageTemplate[] {
  const wanted = search.trim().toLocaleLowerCase();
  return templates
    .filter((template) => !channel || template.channel === channel)
    .filter((template) => !wanted || `${template.name}\n${template.subject}`.toLocaleLowerCase().includes(wanted))
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.id - a.id);
}

/** The API's refusal as messages by field ("name", "subject", "body", …), for showing each beside its field; a refusal
 * that names no field is under "". */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return { "": error instanceof Error ? error.message : String(error) };
  const byField: Record<string, string> = {};
  for (const problem of error.errors) {
    const field = problem.pointer.split("/")[1] ?? "";
    byField[field] = byField[field] ? `${byField[field]} ${problem.message}` : problem.message;
  }
  return Object.keys(byField).length ? byField : { "": error.message };
}

/** Why a test email was not sent, as the marketer should read it: no mail server set up (409), the mail server refused or
 * could not be reached (502), or the server's own sentence. */
export function testSendProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 409) return `No test was sent: automap has no mail server to send through. ${error.message}`;
  if (error.status === 502) return `The mail server did not take the test email. ${error.message}`;
  return error.message;
}

/** Where a block clicked in the visual editor goes: a section-like block (rows of columns) into the email's body,
 * content (text, button, image…) into a column. */
export function blockPlacement(content: unknown): "body" | "column" {
  const markup = typeof content === "string" ? content : "";
  return /^\s*<mj-(section|wrapper|hero|group)\b/.test(markup) ? "body" : "column";
}

/** The contact values a personalised text offers to insert, as the email node's subject declares them (the server's
 * one list: nodes/personalisation.py). */
export function insertableVariables(catalogue: NodeCatalogue): InsertableVariable[] {
  const email = catalogue.node_types.find((node) => node.type === "send_email");
  const properties = (email?.config_schema.properties ?? {}) as Record<string, { personalisation?: InsertableVariable[] }>;
  return properties.subject?.personalisation ?? [];
}

/** The fields an email written on a send node gives a library template of its own (its preheader stays on the node:
 * a template has none). */
export function inlineEmailFields(config: Config, name: string): MessageTemplateFields {
  return { name: name.trim(), channel: "email", subject: String(config.subject ?? ""), body: String(config.body ?? "") };
}

/** The send node's config once its email is the library template `templateId`: the template brings the subject and body. */
export function sendingTemplate(config: Config, templateId: number): Config {
  const kept = Object.entries(config).filter(([key]) => key !== "subject" && key !== "body");
  return { ...Object.fromEntries(kept), template_id: templateId };
}
