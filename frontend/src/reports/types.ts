/** The reports' shapes, from the API's OpenAPI document (api-schema.d.ts), narrowed where the generated types are
 * looser than what the API sends: a nested object that may be null comes out as `{} | null | T`, and an event
 * step's rules as plain objects where the builder reads filter-language rules. */
import type { components } from "../api-schema";
import type { Rule } from "../forms/filterLanguage";

type Schemas = components["schemas"];

export type BreakdownBy = Schemas["FunnelBreakdown"]["by"];

export type FunnelStep = Omit<Schemas["FunnelStep"], "where"> & {
  /** Property rules on the event's own properties, all of which must hold. */
  where?: Rule[];
};

/** A funnel's definition; the server fills in what is left out (window P7D, order sequence, the last 30 days). */
export type FunnelDefinition = Omit<Schemas["FunnelDefinition"], "steps" | "window" | "order" | "breakdown"> & {
  steps: FunnelStep[];
  window?: Schemas["FunnelDefinition"]["window"];
  order?: Schemas["FunnelDefinition"]["order"];
  breakdown?: Schemas["FunnelBreakdown"] | null;
};

export type FunnelStepResult = Schemas["FunnelStepResult"];
export type BreakdownRow = Schemas["BreakdownGroup"];
export type FunnelResult = Schemas["FunnelResult"];

/** Reached: counted at step k; dropped: reached step k but not k + 1. */
export type Outcome = Schemas["StepSegment"]["outcome"];

/** Which contacts of a computed funnel: those who reached, or dropped after, one step. */
export type FunnelCohort = Pick<Schemas["StepSegment"], "step" | "outcome"> & { definition: FunnelDefinition };

export type FunnelContacts = Schemas["FunnelContacts"];

export type SavedFunnel = Omit<Schemas["SavedFunnelOut"], "definition"> & { definition: FunnelDefinition };

export type MessageChannel = Schemas["MessagesRow"]["channel"];

/** What the messages report is filtered by; dates are days (YYYY-MM-DD, UTC). */
export interface MessagesFilter {
  channel?: MessageChannel | "";
  flow_id?: number | null;
  from?: string;
  to?: string;
}

export type MessageFigures = Omit<Schemas["MessageFigures"], "rates">;
export type RatedFigure = keyof Schemas["MessageRates"];
export type MessagesRow = Schemas["MessagesRow"];
export type MessagesReport = Schemas["MessagesReport"];

export type RevenueBreakdown = Schemas["RevenueReport"]["by"];
export type RevenueInterval = Schemas["RevenueReport"]["interval"];

/** What the revenue report is asked for; a day left empty ("") is the server's default (the 30 days up to today). */
export interface RevenueFilter {
  from: string;
  to: string;
  by: RevenueBreakdown;
  interval: RevenueInterval;
}

export type RevenueReport = Schemas["RevenueReport"];
export type RevenueGroup = Schemas["RevenueGroup"];
export type RevenueFigures = Schemas["RevenueFigures"];
export type RevenueContacts = Schemas["RevenueContacts"];
export type RevenueEvent = Schemas["RevenueEvent"];
/** The revenue events setting; `default` is always sent (the generated type has it optional, as read-only). */
export type RevenueEventList = Required<Schemas["RevenueEventList"]>;
