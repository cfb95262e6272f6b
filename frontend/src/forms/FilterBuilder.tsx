/** A visual builder for the filter language: groups of property, event, segment and message rules, offering the
 * kinds, operators and statuses filter.schema.json defines; event rules with how many times, a window and rules on
 * the event's properties; segments chosen by name. */
import { type ReactNode, useMemo } from "react";

import type { Segment } from "../api";
import { SegmentSelect } from "../components/SegmentSelect";
import { useSegments } from "../components/segments";
import { SuggestedInput } from "../components/SuggestionList";
import { CONTACT_PROPERTIES, EVENTS, type SuggestionSource } from "../components/suggestions";
import { useEditor } from "../editor/store";
import { DurationInput } from "./DurationInput";
import { countOf, FILTER_SCHEMA_ID, FilterLanguage, type Rule, withCount, withoutKey, withWhere, wording } from "./filterLanguage";

export type { Rule };

/** The filter language of the served catalogue, or null until the catalogue is loaded. */
export function useFilterLanguage(): FilterLanguage | null {
  const schema = useEditor((state) => state.sharedSchemas[FILTER_SCHEMA_ID]);
  return useMemo(() => (schema ? new FilterLanguage(schema) : null), [schema]);
}

/** Where the builder is used: a flow's send nodes (message rules need a flow), the segment being edited. */
interface Place {
  /** Send nodes of this flow, for message rules; undefined outside a flow, where message rules mean nothing. */
  sendNodes?: string[];
  /** The segment being edited, which its own rules cannot choose. */
  ownSegment?: number;
}

/** What each row of rule inputs is given. */
interface RuleRowProps extends Place {
  language: FilterLanguage;
  rule: Rule;
  onChange(rule: Rule): void;
}

/** A select of a rule's choices for `choiceKey`, worded for a marketer. */
function ChoiceSelect({ language, rule, choiceKey, onChange, label }: { language: FilterLanguage; rule: Rule; choiceKey: string; onChange(rule: Rule): void; label?: string }) {
  const kind = language.kindOf(rule)?.key ?? "";
  return (
    <select value={String(rule[choiceKey] ?? "")} onChange={(event) => onChange({ ...rule, [choiceKey]: event.target.value })} aria-label={label} data-testid={`rule-${choiceKey}`}>
      {language.choices(rule, choiceKey).map((choice) => (
        <option key={choice} value={choice}>
          {wording(kind, choice)}
        </option>
      ))}
    </select>
  );
}

/** A typed value from what was typed: numbers and true/false become JSON numbers and booleans. */
export function typedValue(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

function valueText(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value);
}

/** One property rule: property, operator, value (none for `exists`, a list for `in`, as the schema says). */
function PropertyRuleRow({ language, rule, onChange, source }: Pick<RuleRowProps, "language" | "rule" | "onChange"> & { source: SuggestionSource }) {
  const takesList = language.takesList(rule, "value");
  // A new operator keeps what it can of the value: dropped for `exists`, wrapped in a list for `in`, unwrapped after.
  const changeOperator = (changed: Rule) => {
    const { value, ...rest } = changed;
    if (!language.takes(changed, "value")) onChange(rest);
    else if (language.takesList(changed, "value")) onChange({ ...rest, value: Array.isArray(value) ? value : value === undefined || value === "" ? [] : [value] });
    else onChange({ ...rest, value: Array.isArray(value) ? (value[0] ?? "") : (value ?? "") });
  };
  const setValue = (text: string) =>
    onChange({ ...rule, value: takesList ? text.split(",").map((part) => typedValue(part.trim())).filter((part) => part !== "") : typedValue(text) });
  return (
    <>
      <SuggestedInput
        source={source}
        className="rule-property"
        placeholder="property, e.g. city or utm_source"
        value={String(rule.property ?? "")}
        onChange={(event) => onChange({ ...rule, property: event.target.value })}
        aria-label="Property"
        data-testid="rule-property"
      />
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={changeOperator} label="Operator" />
      {language.takes(rule, "value") && (
        <input
          className="rule-value"
          placeholder={takesList ? "a, b, c" : "value"}
          value={valueText(rule.value)}
          onChange={(event) => setValue(event.target.value)}
          aria-label="Value"
          data-testid="rule-value"
        />
      )}
    </>
  );
}

/** Property rules that must all hold on an event's properties (an event rule's or a goal's "only when"); `event`
 * names the event, when known, whose properties are suggested. */
export function PropertyRulesEditor({ rules, onChange, event, addLabel = "+ Add a property rule" }: { rules: Rule[]; onChange(rules: Rule[] | undefined): void; event?: string; addLabel?: string }) {
  const source: SuggestionSource = { kind: "properties", scope: "event", ...(event ? { event } : {}) };
  const language = useFilterLanguage();
  if (!language) return null;
  const update = (index: number, rule: Rule) => onChange(rules.map((other, position) => (position === index ? rule : other)));
  return (
    <div className="rules">
      {rules.map((rule, index) => (
        <div className="rule" key={index}>
          <PropertyRuleRow language={language} rule={rule} onChange={(next) => update(index, next)} source={source} />
          <button type="button" className="icon-button" aria-label="Remove rule" onClick={() => onChange(rules.length > 1 ? rules.filter((_, position) => position !== index) : undefined)}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...rules, language.blank("property")])} data-testid="add-property-rule">
        {addLabel}
      </button>
    </div>
  );
}

/** An event rule: did or not, the event, how many times, in the last …, and rules on the event's properties. */
function EventRuleInputs({ language, rule, onChange }: RuleRowProps) {
  const count = countOf(rule);
  const where = (rule.where as Rule[] | undefined) ?? [];
  return (
    <>
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={onChange} label="Did or did not" />
      <SuggestedInput source={EVENTS} placeholder="event, e.g. order_paid" value={String(rule.event ?? "")} onChange={(event) => onChange({ ...rule, event: event.target.value })} aria-label="Event" data-testid="rule-event" />
      <select value={count.op} onChange={(event) => onChange(withCount(rule, event.target.value, count.times))} aria-label="How many times" data-testid="rule-count">
        <option value="">at least once</option>
        {language.countChoices().map((op) => (
          <option key={op} value={op}>
            {wording("count", op)}
          </option>
        ))}
      </select>
      {count.op && (
        <>
          <input
            type="number"
            min={0}
            step={1}
            className="rule-times"
            value={count.times}
            onChange={(event) => onChange(withCount(rule, count.op, Number(event.target.value)))}
            aria-label="Times"
            data-testid="rule-times"
          />
          <span className="rule-word">times</span>
        </>
      )}
      <span className="rule-word">in the last</span>
      <DurationInput value={rule.within as string | undefined} onChange={(within) => onChange(within ? { ...rule, within } : withoutKey(rule, "within"))} />
      <div className="rule-where" data-testid="rule-where">
        {where.length > 0 && <span className="rule-word">where the event's</span>}
        <PropertyRulesEditor rules={where} onChange={(rules) => onChange(withWhere(rule, rules))} event={rule.event ? String(rule.event) : undefined} addLabel="+ Only when the event's property…" />
      </div>
    </>
  );
}

/** The inputs of each kind of rule the builder can draw, after the kind select. */
const RULE_INPUTS: Record<string, (props: RuleRowProps) => ReactNode> = {
  property: ({ language, rule, onChange }) => <PropertyRuleRow language={language} rule={rule} onChange={onChange} source={CONTACT_PROPERTIES} />,
  event: (props) => <EventRuleInputs {...props} />,
  segment: ({ language, rule, onChange, ownSegment }) => (
    <>
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={onChange} label="In or not in" />
      <SegmentSelect value={rule.segment} onChange={(segment) => onChange({ ...rule, segment })} exclude={ownSegment} testId="rule-segment" />
    </>
  ),
  message: ({ language, rule, onChange, sendNodes }) =>
    sendNodes === undefined ? (
      <span className="rule-word text-danger">Message rules ask about a message of a flow: they select no one here. Choose another kind of rule.</span>
    ) : (
      <>
        <select value={String(rule.message ?? "")} onChange={(event) => onChange({ ...rule, message: event.target.value })} aria-label="Send node">
          <option value="">choose a message…</option>
          {sendNodes.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={onChange} />
        <ChoiceSelect language={language} rule={rule} choiceKey="status" onChange={onChange} label="Status" />
      </>
    ),
};

/** A new rule of a kind; a segment rule starts on the first segment it may choose, when there is one. */
function freshRule(language: FilterLanguage, kind: string, segments: Segment[] | null, ownSegment: number | undefined): Rule {
  const rule = language.blank(kind);
  const first = segments?.find((segment) => segment.id !== ownSegment);
  return kind === "segment" && first ? { ...rule, segment: first.id } : rule;
}

function RuleRow({ language, rule, onChange, sendNodes, ownSegment }: RuleRowProps) {
  const segments = useSegments();
  const current = language.kindOf(rule)?.key;
  // Outside a flow there are no messages to ask about: message rules are not offered (one already there says so).
  const kinds = language.kinds.filter((kind) => kind.key in RULE_INPUTS && (kind.key !== "message" || sendNodes !== undefined || current === "message"));
  const kind = current ?? kinds[0].key;
  const Inputs = RULE_INPUTS[kind];
  return (
    <>
      <select className="rule-kind" value={kind} onChange={(event) => onChange(freshRule(language, event.target.value, segments, ownSegment))} aria-label="Rule kind" data-testid="rule-kind">
        {kinds.map(({ key, title }) => (
          <option key={key} value={key}>
            {title}
          </option>
        ))}
      </select>
      <Inputs language={language} rule={rule} onChange={onChange} sendNodes={sendNodes} ownSegment={ownSegment} />
    </>
  );
}

export interface FilterBuilderProps extends Place {
  value: Rule | undefined;
  onChange(value: Rule): void;
  depth?: number;
}

/** A condition: a group of rules (all / any) or a single rule, nested groups allowed. */
export function FilterBuilder({ value, onChange, sendNodes, ownSegment, depth = 0 }: FilterBuilderProps) {
  const language = useFilterLanguage();
  if (!language) return <p className="muted">Loading the filter language…</p>;
  const condition: Rule = value && Object.keys(value).length ? value : { all: [language.blank("property")] };
  const groupKey = "all" in condition ? "all" : "any" in condition ? "any" : null;
  if (!groupKey) {
    // A single rule at the top: show it inside an "all" group so more rules can be added.
    return <FilterBuilder value={{ all: [condition] }} onChange={onChange} sendNodes={sendNodes} ownSegment={ownSegment} depth={depth} />;
  }
  const children = (condition[groupKey] as Rule[]) ?? [];
  const setChildren = (next: Rule[]) => onChange({ [groupKey]: next });
  return (
    <div className={`filter-group depth-${depth}`} data-testid="filter-builder">
      <div className="filter-group-head">
        <select value={groupKey} onChange={(event) => onChange({ [event.target.value]: children })} aria-label="Match" data-testid="filter-match">
          <option value="all">All of these</option>
          <option value="any">Any of these</option>
        </select>
      </div>
      {children.map((child, index) => {
        const update = (rule: Rule) => setChildren(children.map((other, position) => (position === index ? rule : other)));
        const remove = () => setChildren(children.filter((_, position) => position !== index));
        const nested = "all" in child || "any" in child;
        return (
          <div className="rule" key={index} data-testid="filter-rule">
            {nested ? (
              <FilterBuilder value={child} onChange={update} sendNodes={sendNodes} ownSegment={ownSegment} depth={depth + 1} />
            ) : (
              <RuleRow language={language} rule={child} onChange={update} sendNodes={sendNodes} ownSegment={ownSegment} />
            )}
            <button type="button" className="icon-button" aria-label="Remove rule" onClick={remove} disabled={children.length === 1}>
              ×
            </button>
          </div>
        );
      })}
      <div className="filter-actions">
        <button type="button" className="link" onClick={() => setChildren([...children, language.blank("property")])} data-testid="filter-add-rule">
          + Add rule
        </button>
        {depth < 2 && (
          <button type="button" className="link" onClick={() => setChildren([...children, { any: [language.blank("property")] }])} data-testid="filter-add-group">
            + Add group
          </button>
        )}
      </div>
    </div>
  );
}
