/** The one place the canvas talks to the automap REST API; its answers are typed by api-schema.d.ts, which
 * `make api-types` generates from the API's OpenAPI document (a test fails when it is stale). */
import type { components } from "./api-schema";
import type {
  ConversationChanges,
  ConversationCounts,
  ConversationDetail,
  ConversationPage,
  InboxReport,
  InboxView,
  MessageItem,
  NoteItem,
  StatusFilter,
  StreamToken,
} from "./inbox/types";
import type {
  FunnelCohort,
  FunnelContacts,
  FunnelDefinition,
  FunnelResult,
  MessagesFilter,
  MessagesReport,
  RevenueContacts,
  RevenueEvent,
  RevenueEventList,
  RevenueFilter,
  RevenueReport,
  SavedFunnel,
} from "./reports/types";

type Schemas = components["schemas"];

export type JsonSchema = Record<string, unknown>;
export type Config = Record<string, unknown>;

export type NodeTypeInfo = Schemas["NodeTypeInfo"];
export type NodeCategory = NodeTypeInfo["category"];
export type NodeCatalogue = Schemas["NodeTypeCatalogue"];

// The flow document is described by flows/schema/flow.schema.json, not by the OpenAPI document (where it is a
// free-form object), so its shape is written out here.
export interface DocNode {
  id: string;
  type: string;
  label?: string;
  position?: { x: number; y: number };
  config?: Config;
}

export interface DocEdge {
  from: string;
  port: string;
  to: string;
}

export interface FlowDocument {
  schema_version: number;
  name: string;
  description?: string;
  settings?: Config;
  nodes: DocNode[];
  edges: DocEdge[];
}

export type FlowError = Schemas["FlowError"];
export type FlowStatus = Schemas["FlowSummary"]["status"];
export type FlowSummary = Schemas["FlowSummary"];
/** A flow as GET /api/flows/<id> answers it, its draft typed as a flow document. */
export type FlowDetail = Omit<Schemas["Flow"], "document"> & { document: FlowDocument };
/** A scenario of the gallery, its preview typed as the part of a flow document it is. */
export type ScenarioSummary = Omit<Schemas["Scenario"], "preview"> & {
  preview: { nodes: Pick<DocNode, "id" | "type" | "position">[]; edges: DocEdge[] };
};
export type FlowStats = Schemas["FlowStats"];
export type NodeContact = Schemas["NodeContact"];
export type ContactSummary = Schemas["ContactSummary"];
export type ListedContact = Schemas["ListedContact"];
export type ContactCard = Schemas["ContactCard"];
export type MessageTemplate = Schemas["MessageTemplate"];
export type User = Schemas["User"];

/** An API answer other than 2xx, carrying the server's message and field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FlowError[] = [],
  ) {
    super(message);
  }
}

// A pasted API token is kept in this variable only, never in localStorage or sessionStorage, where any script
// running on the page could read it back (and, from localStorage, long after): reloading the page asks for it
// again. People who sign in with a password are known by the session cookie, which no page script can read.
let apiToken: string | null = null;
let csrfToken: string | null = null;
let onUnauthorised: () => void = () => {};

/** Where earlier versions of the canvas kept the token, in every tab for good: it is removed on load. */
export const LEGACY_TOKEN_KEY = "automap.token";

/** Removes a token an earlier version of the canvas left in localStorage. */
export function forgetLegacyToken(storage: Pick<Storage, "removeItem"> | undefined = globalThis.localStorage): void {
  try {
    storage?.removeItem(LEGACY_TOKEN_KEY);
  } catch {
    // storage may be disabled (private windows, policies): then nothing was kept there either
  }
}

forgetLegacyToken();

/** The pasted API token, if the user signed in with one (kept in memory until the page is reloaded). */
export function storedToken(): string | null {
  return apiToken;
}

export function storeToken(token: string | null): void {
  apiToken = token || null;
}

/** Called whenever the server answers 401, so the app can show the login screen. */
export function setUnauthorisedHandler(handler: () => void): void {
  onUnauthorised = handler;
}

async function request<T>(method: string, path: string, body?: unknown, { quiet401 = false } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (csrfToken && method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && !quiet401) onUnauthorised();
    const message = payload?.message ?? `${method} ${path} answered ${response.status}`;
    throw new ApiError(response.status, message, payload?.errors ?? []);
  }
  return payload as T;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// --- session -------------------------------------------------------------------------------------

export async function currentSession(): Promise<User> {
  const answer = await request<Schemas["Session"]>("GET", "/api/session", undefined, { quiet401: true });
  csrfToken = answer.csrf_token;
  return answer.user;
}

export async function logIn(email: string, password: string): Promise<User> {
  const answer = await request<Schemas["Session"]>("POST", "/api/session", { email, password }, { quiet401: true });
  csrfToken = answer.csrf_token;
  return answer.user;
}

export async function logOut(): Promise<void> {
  if (storedToken()) storeToken(null);
  else await request<void>("DELETE", "/api/session").catch(() => undefined);
  csrfToken = null;
}

/** Signs in with a pasted token: kept only if the API accepts it. */
export async function logInWithToken(token: string): Promise<void> {
  storeToken(token);
  try {
    await request<NodeCatalogue>("GET", "/api/node-types", undefined, { quiet401: true });
  } catch (error) {
    storeToken(null);
    throw error;
  }
}

// --- catalogue, flows, scenarios --------------------------------------------------------------------

export const getNodeTypes = () => request<NodeCatalogue>("GET", "/api/node-types");

export const listFlows = (q = "", status = "") =>
  request<Schemas["FlowList"]>("GET", `/api/flows${query({ q, status })}`).then((answer) => answer.flows);

export const createFlow = (name: string, document?: FlowDocument) =>
  request<FlowDetail>("POST", "/api/flows", document ? { name, document } : { name });

export const getFlow = (id: number) => request<FlowDetail>("GET", `/api/flows/${id}`);

export const saveFlow = (id: number, document: FlowDocument) =>
  request<FlowDetail>("PUT", `/api/flows/${id}`, { name: document.name, description: document.description, document });

export const deleteFlow = (id: number) => request<void>("DELETE", `/api/flows/${id}`);

export const validateFlow = (id: number) =>
  request<Schemas["ValidationResult"]>("POST", `/api/flows/${id}/validate`);

export type MigrationPlan = Schemas["MigrationPlan"];
export type MigrationPreview = Schemas["MigrationPreview"];
export type WaitingNode = Schemas["WaitingNode"];
export type FlowDiff = Schemas["Diff"];

/** Publish the draft; with a `move` plan the contacts waiting in older versions move to the new one. */
export const publishFlow = (id: number, migration?: MigrationPlan) =>
  request<Schemas["PublishResult"]>("POST", `/api/flows/${id}/publish`, migration ? { migration } : undefined);

/** Who the plan would move where if the draft were published now; nothing is written. */
export const previewMigration = (id: number, migration: MigrationPlan) =>
  request<MigrationPreview>("POST", `/api/flows/${id}/migration-preview`, { migration });

/** A forecast's result once done: its figures per node as the statistics give them, the live figures of the same
 * days (null if the flow was never published), their difference per node (forecast minus live, only what differs),
 * and what cannot be exact, in sentences. */
export interface ForecastResult {
  window: { from: string; to: string; step_seconds: number };
  events: number;
  contacts: number;
  totals: FlowStats["totals"];
  nodes: FlowStats["nodes"];
  live: { totals: FlowStats["totals"]; nodes: FlowStats["nodes"] } | null;
  difference: Record<string, Record<string, number>>;
  notes: string[];
}
export type Forecast = Omit<Schemas["Forecast"], "status" | "error" | "progress" | "result"> & {
  status: "queued" | "running" | "done" | "failed";
  error: string | null;
  progress: number;
  result: ForecastResult | null;
};

/** Replay the last `days` days of stored events through the draft or a version, in isolation (202: it runs as a job). */
export const requestForecast = (flowId: number, version: number | "draft", days: number) =>
  request<Forecast>("POST", `/api/flows/${flowId}/forecast`, { version, days });

export const getForecast = (flowId: number, forecastId: number) =>
  request<Forecast>("GET", `/api/flows/${flowId}/forecasts/${forecastId}`);

/** What changed from one revision (a version number, or "draft") to another. */
export const diffFlow = (id: number, from: string, to: string) =>
  request<FlowDiff>("GET", `/api/flows/${id}/diff${query({ from, to })}`);

export const setFlowState = (id: number, action: "pause" | "resume" | "archive") =>
  request<FlowDetail>("POST", `/api/flows/${id}/${action}`);

export const duplicateFlow = (id: number) => request<FlowDetail>("POST", `/api/flows/${id}/duplicate`);

/** Renames the flow (and its draft), leaving its map and published versions as they are. */
export const renameFlow = (id: number, name: string) => request<FlowDetail>("PATCH", `/api/flows/${id}`, { name });

export const importFlow = (document: unknown) => request<FlowDetail>("POST", "/api/flows/import", document);

/** A file the API serves for download, as a blob with the name its Content-Disposition gives (else `fallback`). */
export async function fetchFile(path: string, fallback: string): Promise<{ blob: Blob; filename: string }> {
  const headers: Record<string, string> = {};
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers, credentials: "same-origin" });
  if (!response.ok) {
    const payload = await response.json().catch(() => null);
    throw new ApiError(response.status, payload?.message ?? `Export answered ${response.status}`, payload?.errors ?? []);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallback;
  return { blob: await response.blob(), filename };
}

/** The flow document as the server exports it (the same bytes the download holds). */
export const exportFlow = (id: number, version?: number) => fetchFile(`/api/flows/${id}/export${query({ version })}`, `flow-${id}.json`);

export const listScenarios = () =>
  request<{ scenarios: ScenarioSummary[] }>("GET", "/api/scenarios").then((answer) => answer.scenarios);

export const importScenario = (slug: string) => request<FlowDetail>("POST", `/api/scenarios/${slug}/import`);

// --- statistics -----------------------------------------------------------------------------------

export interface StatsQuery {
  version?: number | null;
  from?: string | null;
  to?: string | null;
}

export const getFlowStats = (id: number, params: StatsQuery) =>
  request<FlowStats>("GET", `/api/flows/${id}/stats${query({ ...params })}`);

export const getNodeContacts = (id: number, nodeId: string, metric: string, params: StatsQuery & { limit?: number; offset?: number }) =>
  request<Schemas["NodeContacts"]>(
    "GET",
    `/api/flows/${id}/nodes/${encodeURIComponent(nodeId)}/contacts${query({ metric, ...params })}`,
  );

// --- contacts and message templates ----------------------------------------------------------------

/** What the contact list and its CSV export select by: text, a filter-language condition, a segment, and an order. */
export interface ContactSearch {
  q?: string;
  filter?: unknown;
  segment?: number;
  sort?: string;
}

function contactSearchQuery({ q, filter, segment, sort }: ContactSearch): Record<string, string | number | undefined> {
  return { q, filter: filter ? JSON.stringify(filter) : undefined, segment, sort };
}

export const listContacts = (params: ContactSearch & { limit?: number; offset?: number }) =>
  request<Schemas["ContactList"]>("GET", `/api/contacts${query({ ...contactSearchQuery(params), limit: params.limit, offset: params.offset })}`);

/** The CSV export of a search with its columns, e.g. `/api/contacts/export?segment=3&columns=name,email,properties.plan`. */
export const contactsExportPath = (search: ContactSearch, columns: string[]) =>
  `/api/contacts/export${query({ ...contactSearchQuery(search), columns: columns.join(",") })}`;

export type EventSuggestion = Schemas["EventSuggestion"];
export type PropertySuggestion = Schemas["PropertySuggestion"];

/** Event names seen lately, most frequent first. */
export const suggestEvents = (limit = 200) =>
  request<Schemas["EventSuggestions"]>("GET", `/api/suggestions/events${query({ limit })}`).then((answer) => answer.events);

/** Property paths seen lately on contacts, or on events (of one name when `event` is given), most common first. */
export const suggestProperties = (scope: "contact" | "event", event?: string, limit = 200) =>
  request<Schemas["PropertySuggestions"]>("GET", `/api/suggestions/properties${query({ scope, event, limit })}`).then((answer) => answer.properties);

export const getContact = (id: number) => request<ContactCard>("GET", `/api/contacts/${id}`);

export type Journey = Schemas["Journey"];
export type JourneyActionRequest = Schemas["ActionRequest"];

/** The contact's runs traced step by step, newest first. */
export const getJourneys = (contactId: number) =>
  request<Schemas["JourneyList"]>("GET", `/api/contacts/${contactId}/journeys`).then((answer) => answer.journeys);

/** Move, skip the wait of, exit or restart one of the contact's runs, with a reason for the audit log. */
export const actOnRun = (contactId: number, runId: number, action: JourneyActionRequest) =>
  request<Schemas["JourneyAction"]>("POST", `/api/contacts/${contactId}/journeys/${runId}/actions`, action);

export const listMessageTemplates = (channel?: MessageChannel) =>
  request<Schemas["MessageTemplateList"]>("GET", `/api/message-templates${query({ channel })}`).then(
    (answer) => answer.message_templates as SavedMessageTemplate[],
  );

/** A stored template as the API answers it: its id, version, dates and the flows that use it are always there. */
export type SavedMessageTemplate = MessageTemplate & Required<Pick<MessageTemplate, "id" | "version" | "created_at" | "updated_at" | "used_by">>;
/** What a template is saved with: its name, channel, subject and body. */
export type MessageTemplateFields = Pick<MessageTemplate, "name" | "channel" | "subject" | "body">;

export const getMessageTemplate = (id: number) => request<SavedMessageTemplate>("GET", `/api/message-templates/${id}`);

export const createMessageTemplate = (fields: MessageTemplateFields) =>
  request<SavedMessageTemplate>("POST", "/api/message-templates", fields);

/** Saves a new name, subject or body (the channel stays what it was). */
export const updateMessageTemplate = (id: number, { name, subject, body }: Omit<MessageTemplateFields, "channel">) =>
  request<SavedMessageTemplate>("PUT", `/api/message-templates/${id}`, { name, subject, body });

/** A copy under a name no template has: "Welcome" gives "Welcome (2)". */
export const duplicateMessageTemplate = (id: number) => request<SavedMessageTemplate>("POST", `/api/message-templates/${id}/duplicate`);

/** Refused (409) while a flow uses the template. */
export const deleteMessageTemplate = (id: number) => request<void>("DELETE", `/api/message-templates/${id}`);

/** Emails the saved template, rendered for the sample data, to `email` through the configured SMTP server. */
export const testSendMessageTemplate = (id: number, email: string, sample?: PreviewFor["sample"]) =>
  request<Schemas["TestSend"]>("POST", `/api/message-templates/${id}/test-send`, { email, sample });

/** Whom a message is previewed for: a real contact, or sample data; with neither, the server's sample contact, who has
 * only an email address, so every fallback shows. */
export type PreviewFor = Pick<Schemas["PreviewRequest"], "contact_id" | "sample">;
export type MessageChannel = Schemas["MessagePreviewRequest"]["channel"];
export type MessagePreview = Schemas["MessagePreview"];

export const previewMessageTemplate = (id: number, { contact_id, sample }: PreviewFor = {}) =>
  request<Schemas["MessageTemplatePreview"]>("POST", `/api/message-templates/${id}/preview`, { contact_id, sample });

/** A message written on a send node (`content`: its fields, as in the node's config) rendered as the contact gets it. */
export const previewMessage = (channel: MessageChannel, content: Config, { contact_id, sample }: PreviewFor = {}) =>
  request<MessagePreview>("POST", "/api/message-templates/preview", { channel, content, contact_id, sample });

// --- failures (dead letters) -----------------------------------------------------------------------

export type Failure = Schemas["Failure"];

export const listFailures = (state = "quarantined") =>
  request<Schemas["FailureList"]>("GET", `/api/failures${query({ state, limit: 200 })}`);

export const getFailure = (id: number) => request<Schemas["FailureDetail"]>("GET", `/api/failures/${id}`);

export const retryFailures = (ids: number[]) =>
  request<Schemas["Retried"]>("POST", "/api/failures/retry", { ids }).then((answer) => answer.retried);

export const discardFailures = (ids: number[]) =>
  request<Schemas["Discarded"]>("POST", "/api/failures/discard", { ids }).then((answer) => answer.discarded);

// --- segments and broadcasts -----------------------------------------------------------------------

export type Segment = Schemas["SegmentOut"];
/** A broadcast and how far it has got, its computed fields typed (the OpenAPI document leaves them open). */
export type Broadcast = Omit<Schemas["Broadcast"], "chosen" | "progress" | "kept_out"> & {
  chosen: number | null;
  progress: number;
  kept_out: number;
};
/** A published version, its document typed as a flow document. */
export type FlowVersion = Omit<Schemas["Version"], "document"> & { document: FlowDocument };

/** Every segment, by name, with the flows and segments that use it, and its live count unless `counts` is false
 * (each count walks the contacts: pickers that need names only leave them out). */
export const listSegments = ({ counts = true }: { counts?: boolean } = {}) =>
  request<Schemas["SegmentList"]>("GET", `/api/segments${counts ? "" : "?counts=false"}`).then((answer) => answer.segments);

export const getSegment = (id: number) => request<Segment>("GET", `/api/segments/${id}`);

/** The fields of a segment a marketer edits. */
export type SegmentFields = { name: string; description: string; filter: Config };

export const createSegment = (fields: SegmentFields) => request<Segment>("POST", "/api/segments", fields);

export const updateSegment = (id: number, fields: SegmentFields) => request<Segment>("PUT", `/api/segments/${id}`, fields);

/** Refused (409, naming them) while flows or other segments use it. */
export const deleteSegment = (id: number) => request<void>("DELETE", `/api/segments/${id}`);

/** How many contacts an unsaved condition selects now, and the first `limit` of them (400 naming the pointers if invalid).
 * With `count` false, the page alone: `total` is null unless the page holds every match (counting reads them all). */
export const previewCondition = (filter: Config, limit = 20, count = true) =>
  request<Schemas["SegmentPreview"]>("POST", "/api/segments/preview", { filter, limit, count });

export const getFlowVersion = (id: number, number: number) => request<FlowVersion>("GET", `/api/flows/${id}/versions/${number}`);

/** Starts enrolling the segment's members at the live flow's manual trigger; jobs do it, getBroadcast follows them. */
export const sendToSegment = (flowId: number, segmentId: number) =>
  request<Broadcast>("POST", `/api/flows/${flowId}/enrol`, { segment_id: segmentId });

export const getBroadcast = (id: number) => request<Broadcast>("GET", `/api/broadcasts/${id}`);

/** The flow's latest broadcasts, the latest first, and how many it has had. */
export const listBroadcasts = (flowId: number, limit: number) =>
  request<{ items: Broadcast[]; total: number }>("GET", `/api/broadcasts${query({ flow_id: flowId, limit })}`);

// --- settings: workspace keys and email, users, API tokens ---------------------------------------------

export type WorkspaceKey = Schemas["WorkspaceKey"];
export type KeyName = WorkspaceKey["name"];
export type UserAccount = Schemas["UserAccount"];
/** Which inbox conversations a user sees: all of them, or the unassigned ones and their own. */
export type InboxAccess = UserAccount["inbox_access"];
export type ApiToken = Schemas["ApiToken"];
export type EmailStatus = Schemas["EmailStatus"];

/** The widget's install snippet with the site key in force, and how a site's backend vouches for its users. */
export const getInstall = () => request<Schemas["Install"]>("GET", "/api/workspace/install");

/** The three keys, secrets masked, and how many hours a rotated key's predecessor still works. */
export const listWorkspaceKeys = () => request<Schemas["WorkspaceKeyList"]>("GET", "/api/workspace/keys");

/** One key in full, secret or not. */
export const revealWorkspaceKey = (name: KeyName) =>
  request<Schemas["RevealedKey"]>("GET", `/api/workspace/keys/${name}`).then((answer) => answer.value);

/** A new random key; the old one is accepted for the grace period (409 when an environment variable sets it). */
export const rotateWorkspaceKey = (name: KeyName) => request<WorkspaceKey>("POST", `/api/workspace/keys/${name}/rotate`);

export const getEmailStatus = () => request<EmailStatus>("GET", "/api/workspace/email");

/** Sends a short test email through the configured SMTP server (409 when none is, 502 naming the server's refusal). */
export const sendTestEmail = (email: string) => request<Schemas["TestEmailSent"]>("POST", "/api/workspace/email/test", { email });

export const listUsers = () => request<Schemas["UserAccountList"]>("GET", "/api/users").then((answer) => answer.items);

export const createUser = (email: string, password: string) => request<UserAccount>("POST", "/api/users", { email, password });

/** Refused (409) for the user this browser is logged in as. */
export const disableUser = (id: number) => request<UserAccount>("POST", `/api/users/${id}/disable`);
export const enableUser = (id: number) => request<UserAccount>("POST", `/api/users/${id}/enable`);

/** The name visitors see as the sender of the user's messages, and which conversations the user sees. */
export const updateUser = (id: number, changes: { name?: string | null; inbox_access?: InboxAccess }) =>
  request<UserAccount>("PATCH", `/api/users/${id}`, changes);

export const setUserPassword = (id: number, password: string) => request<UserAccount>("POST", `/api/users/${id}/password`, { password });

export const listApiTokens = () => request<Schemas["ApiTokenList"]>("GET", "/api/api-tokens").then((answer) => answer.items);

/** A new token: the answer's `secret` is the token itself, shown this once. */
export const createApiToken = (name: string) => request<Schemas["NewApiToken"]>("POST", "/api/api-tokens", { name });

export const revokeApiToken = (id: number) => request<ApiToken>("POST", `/api/api-tokens/${id}/revoke`);

// --- operator inbox ------------------------------------------------------------------------------------

export interface ConversationQuery {
  view?: InboxView;
  status?: StatusFilter | "all";
  q?: string;
  contact_id?: number;
  limit?: number;
  offset?: number;
}

/** Conversations the user may see, the latest activity first. */
export const listConversations = (params: ConversationQuery) =>
  request<ConversationPage>("GET", `/api/conversations${query({ ...params })}`);

/** Open conversations in each view, and how many have unread contact messages. */
export const getConversationCounts = () => request<ConversationCounts>("GET", "/api/conversations/counts");

/** The conversation and its latest 200 items, oldest first (changes and reading answer the same). */
export const getConversation = (id: number) => request<ConversationDetail>("GET", `/api/conversations/${id}`);

/** An operator starts a conversation with a contact who has none. */
export const startConversation = (contactId: number, body: string) =>
  request<ConversationDetail>("POST", "/api/conversations", { contact_id: contactId, body });

/** An operator's message: pushed to the contact's open widgets, emailed if left unread. */
export const sendConversationMessage = (id: number, body: string) =>
  request<MessageItem>("POST", `/api/conversations/${id}/messages`, { body });

/** A note only operators see. */
export const addConversationNote = (id: number, body: string) =>
  request<NoteItem>("POST", `/api/conversations/${id}/notes`, { body });

/** Closes, reopens, snoozes or (re)assigns the conversation. */
export const updateConversation = (id: number, changes: ConversationChanges) =>
  request<ConversationDetail>("PATCH", `/api/conversations/${id}`, changes);

export const markConversationRead = (id: number) => request<ConversationDetail>("POST", `/api/conversations/${id}/read`);

/** A token for the inbox's event stream (it lapses after an hour). */
export const getInboxStreamToken = () => request<StreamToken>("POST", "/api/conversations/stream-token");

/** First-response and reply times over a period, overall and per operator. */
export const getInboxReport = (from: string, to: string) => request<InboxReport>("GET", `/api/reports/inbox${query({ from, to })}`);

// --- reports: funnels, messages and revenue --------------------------------------------------------------

/** Each step's count, conversion and median time from the one before, and the breakdown's rows. */
export const computeFunnel = (definition: FunnelDefinition) => request<FunnelResult>("POST", "/api/reports/funnels/compute", definition);

/** One page of the contacts who reached (or dropped after) a step of the funnel, the latest first. */
export const listFunnelContacts = (cohort: FunnelCohort, limit: number, offset: number) =>
  request<FunnelContacts>("POST", "/api/reports/funnels/contacts", { ...cohort, limit, offset });

/** Tags the cohort's contacts and saves a segment of that tag: a snapshot to broadcast to. */
export const segmentFromFunnel = (cohort: FunnelCohort, name: string) =>
  request<Segment>("POST", "/api/reports/funnels/segment", { ...cohort, name });

export const listSavedFunnels = () => request<{ items: SavedFunnel[] }>("GET", "/api/reports/funnels").then((answer) => answer.items);

export const getSavedFunnel = (id: number) => request<SavedFunnel>("GET", `/api/reports/funnels/${id}`);

export const createSavedFunnel = (name: string, definition: FunnelDefinition) =>
  request<SavedFunnel>("POST", "/api/reports/funnels", { name, definition });

export const updateSavedFunnel = (id: number, name: string, definition: FunnelDefinition) =>
  request<SavedFunnel>("PUT", `/api/reports/funnels/${id}`, { name, definition });

export const deleteSavedFunnel = (id: number) => request<void>("DELETE", `/api/reports/funnels/${id}`);

/** Every send node's results per channel, with the totals, for the filters set. */
export const getMessagesReport = (filter: MessagesFilter) => request<MessagesReport>("GET", `/api/reports/messages${query({ ...filter })}`);

/** The CSV download of the same rows. */
export const messagesReportCsvPath = (filter: MessagesFilter) => `/api/reports/messages.csv${query({ ...filter })}`;

/** Revenue per period, in all and per first-touch source (medium, campaign) or per flow's goal; 400 naming the field. */
export const getRevenueReport = (filter: RevenueFilter) => request<RevenueReport>("GET", `/api/reports/revenue${query({ ...filter })}`);

/** One page of the contacts behind a row of the report (its group `key`), most revenue first. */
export const listRevenueContacts = (filter: RevenueFilter, key: string, limit: number, offset: number) =>
  request<RevenueContacts>("GET", `/api/reports/revenue/contacts${query({ ...filter, key, limit, offset })}`);

/** The events that are orders (what lifetime revenue and the report add up), and whether they are the defaults. */
export const getRevenueEvents = () => request<RevenueEventList>("GET", "/api/reports/revenue/events");

/** Replaces the revenue events (an empty list: nothing is revenue); 400 with pointers like /items/1/event. */
export const saveRevenueEvents = (items: RevenueEvent[]) => request<RevenueEventList>("PUT", "/api/reports/revenue/events", { items });
