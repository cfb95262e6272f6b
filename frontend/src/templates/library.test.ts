import { describe, expect, it } from "vitest";

import { ApiError, type NodeCatalogue, type SavedMessageTemplate } from "../api";
import {
  blankTemplate,
  blockPlacement,
  fieldErrors,
  inlineEmailFields,
  insertableVariables,
  matchingTemplates,
  sendingTemplate,
  STARTER_MJML,
  testSendProblem,
} from "./library";

function template(id: number, name: string, channel: SavedMessageTemplate["channel"], subject: string, updated: string): SavedMessageTemplate {
  return { id, name, channel, subject, body: "x", version: 1, created_at: updated, updated_at: updated, used_by: [] };
}

const LIBRARY = [
  template(1, "Welcome", "email", "Hi {{ name }}", "2024-05-01T10:00:00"),
  template(2, "Cart reminder", "email", "Your cart is waiting", "2024-05-03T10:00:00"),
  template(3, "Cart nudge", "popup", "Still there?", "2024-05-02T10:00:00"),
  template(4, "Hello", "chat", "", "2024-05-02T10:00:00"),
];

describe("finding templates in the library", () => {
  it("lists every template, the latest edited first (the newer template first on a tie)", () => {
    expect(matchingTemplates(LIBRARY, "", "").map((t) => t.id)).toEqual([2, 4, 3, 1]);
  });

  it("searches names and subjects in any case, within a channel", () => {
    expect(matchingTemplates(LIBRARY, "  CART ", "").map((t) => t.id)).toEqual([2, 3]);
    expect(matchingTemplates(LIBRARY, "cart", "popup").map((t) => t.id)).toEqual([3]);
    expect(matchingTemplates(LIBRARY, "waiting", "").map((t) => t.id)).toEqual([2]);
    expect(matchingTemplates(LIBRARY, "", "chat").map((t) => t.id)).toEqual([4]);
    expect(matchingTemplates(LIBRARY, "nothing like it", "")).toEqual([]);
  });

  it("leaves the list it was given in its order", () => {
    const list = [...LIBRARY];
    matchingTemplates(list, "", "");
    expect(list.map((t) => t.id)).toEqual([1, 2, 3, 4]);
  });
});

describe("a new template", () => {
  it("starts an email with a greeting whose name falls back, other channels empty", () => {
    expect(blankTemplate("email")).toEqual({ name: "", channel: "email", subject: "", body: STARTER_MJML });
    expect(STARTER_MJML).toContain('{{ contact.name | default("there") }}');
    expect(blankTemplate("popup")).toEqual({ name: "", channel: "popup", subject: "", body: "" });
    expect(blankTemplate("fax").channel).toBe("email");
    expect(blankTemplate(null).channel).toBe("email");
  });
});

describe("reading the API's answers", () => {
  it("puts each refusal beside the field its pointer names", () => {
    const refused = new ApiError(422, "The body is not valid: …", [
      { code: "invalid", node_id: null, pointer: "/body", message: "the MJML does not compile" },
      { code: "invalid", node_id: null, pointer: "/sample/contact", message: "Not a valid mapping." },
    ]);
    expect(fieldErrors(refused)).toEqual({ body: "the MJML does not compile", sample: "Not a valid mapping." });
    expect(fieldErrors(new ApiError(404, "There is no message template 9."))).toEqual({ "": "There is no message template 9." });
    expect(fieldErrors(new Error("Failed to fetch"))).toEqual({ "": "Failed to fetch" });
  });

  it("says why a test email was not sent", () => {
    expect(testSendProblem(new ApiError(409, "No SMTP server is configured: set AUTOMAP_SMTP_URL."))).toBe(
      "No test was sent: automap has no mail server to send through. No SMTP server is configured: set AUTOMAP_SMTP_URL.",
    );
    expect(testSendProblem(new ApiError(502, "The test email was not sent: 550 no."))).toMatch(/^The mail server did not take the test email\. The test/);
    expect(testSendProblem(new ApiError(422, "The email is not valid."))).toBe("The email is not valid.");
  });
});

describe("the visual editor's blocks", () => {
  it("puts rows into the body and content into a column", () => {
    expect(blockPlacement("<mj-section><mj-column><mj-text>1</mj-text></mj-column></mj-section>")).toBe("body");
    expect(blockPlacement("\n  <mj-hero>…</mj-hero>")).toBe("body");
    expect(blockPlacement("<mj-text>Insert text here</mj-text>")).toBe("column");
    expect(blockPlacement("<mj-sectionish/>")).toBe("column");
    expect(blockPlacement({ type: "mj-text" })).toBe("column");
  });
});

describe("the variables a template offers", () => {
  it("are those the email node's subject declares", () => {
    const variables = [{ variable: "contact.name", label: "Name", fallback: "there" }];
    const catalogue = {
      node_types: [{ type: "send_email", config_schema: { properties: { subject: { type: "string", personalisation: variables } } } }],
      schemas: {},
    } as unknown as NodeCatalogue;
    expect(insertableVariables(catalogue)).toEqual(variables);
    expect(insertableVariables({ node_types: [], schemas: {} } as unknown as NodeCatalogue)).toEqual([]);
  });
});

describe("saving an email written on a node as a template", () => {
  const inline = { subject: "Hi {{ name }}", body: "<mjml>…</mjml>", preheader: "Open me", from_name: "Shop" };

  it("gives the template the node's subject and body under the chosen name", () => {
    expect(inlineEmailFields(inline, "  Welcome ")).toEqual({ name: "Welcome", channel: "email", subject: "Hi {{ name }}", body: "<mjml>…</mjml>" });
  });

  it("leaves the node sending the template, keeping what a template does not carry", () => {
    expect(sendingTemplate(inline, 7)).toEqual({ preheader: "Open me", from_name: "Shop", template_id: 7 });
    expect(inline.subject).toBe("Hi {{ name }}");
  });
});
