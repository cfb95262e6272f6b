/** A visual builder for the filter language: groups of property, event, segment and message rules, offering the
 * kinds, operators and statuses filter.schema.json defines. */
import { type ReactNode, useMemo } from "react";

import { useEditor } from "../editor/store";
import { DurationInput } from "./DurationInput";
import { FILTER_SCHEMA_ID, FilterLanguage, type Rule, wording } from "./filterLanguage";

export type { Rule };

/** The filter language of the served catalogue, or null until the catalogue is loaded. */
export function useFilterLanguage(): FilterLanguage | null {
  const schema = useEditor((state) => state.sharedSchemas[FILTER_SCHEMA_ID]);
  return useMemo(() => (schema ? new FilterLanguage(schema) : null), [schema]);
}

/** What each row of rule inputs is given. */
interface RuleRowProps {
  language: FilterLanguage;
  rule: Rule;
  onChange(rule: Rule): void;
  sendNodes: string[];
}

/** A select of a rule's choices for `choiceKey`, worded for a marketer. */
function ChoiceSelect({ language, rule, choiceKey, onChange, label }: { language: FilterLanguage; rule: Rule; choiceKey: string; onChange(rule: Rule): void; label?: string }) {
  const kind = language.kindOf(rule)?.key ?? "";
  return (
    <select value={String(rule[choiceKey] ?? "")} onChange={(event) => onChange({ ...rule, [choiceKey]: event.target.value })} aria-label={label}>
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
function PropertyRuleRow({ language, rule, onChange }: Omit<RuleRowProps, "sendNodes">) {
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
      <input className="rule-property" placeholder="property, e.g. total" value={String(rule.property ?? "")} onChange={(event) => onChange({ ...rule, property: event.target.value })} />
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={changeOperator} />
      {language.takes(rule, "value") && (
        <input className="rule-value" placeholder={takesList ? "a, b, c" : "value"} value={valueText(rule.value)} onChange={(event) => setValue(event.target.value)} />
      )}
    </>
  );
}

/** Property rules that must all hold (an event's or a goal's "only when"). */
export function PropertyRulesEditor({ rules, onChange }: { rules: Rule[]; onChange(rules: Rule[] | undefined): void }) {
  const language = useFilterLanguage();
  if (!language) return null;
  const update = (index: number, rule: Rule) => onChange(rules.map((other, position) => (position === index ? rule : other)));
  return (
    <div className="rules">
      {rules.map((rule, index) => (
        <div className="rule" key={index}>
          <PropertyRuleRow language={language} rule={rule} onChange={(next) => update(index, next)} />
          <button type="button" className="icon-button" aria-label="Remove rule" onClick={() => onChange(rules.length > 1 ? rules.filter((_, position) => position !== index) : undefined)}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...rules, language.blank("property")])}>
        + Add a property rule
      </button>
    </div>
  );
}

/** The inputs of each kind of rule the builder can draw, after the kind select. */
const RULE_INPUTS: Record<string, (props: RuleRowProps) => ReactNode> = {
  property: ({ language, rule, onChange }) => <PropertyRuleRow language={language} rule={rule} onChange={onChange} />,
  event: ({ language, rule, onChange }) => (
    <>
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={onChange} />
      <input placeholder="event, e.g. order_paid" value={String(rule.event ?? "")} onChange={(event) => onChange({ ...rule, event: event.target.value })} />
      <span className="rule-word">in the last</span>
      <DurationInput value={rule.within as string | undefined} onChange={(within) => onChange(within ? { ...rule, within } : withoutKey(rule, "within"))} />
    </>
  ),
  segment: ({ language, rule, onChange }) => (
    <>
      <ChoiceSelect language={language} rule={rule} choiceKey="op" onChange={onChange} />
      <input type="number" min={1} placeholder="segment id" value={String(rule.segment ?? "")} onChange={(event) => onChange({ ...rule, segment: Number(event.target.value) })} />
    </>
  ),
  message: ({ language, rule, onChange, sendNodes }) => (
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

function RuleRow({ language, rule, onChange, sendNodes }: RuleRowProps) {
  const kinds = language.kinds.filter((kind) => kind.key in RULE_INPUTS);
  const kind = language.kindOf(rule)?.key ?? kinds[0].key;
  const Inputs = RULE_INPUTS[kind];
  return (
    <>
      <select className="rule-kind" value={kind} onChange={(event) => onChange(language.blank(event.target.value))} aria-label="Rule kind">
        {kinds.map(({ key, title }) => (
          <option key={key} value={key}>
            {title}
          </option>
        ))}
      </select>
      <Inputs language={language} rule={rule} onChange={onChange} sendNodes={sendNodes} />
    </>
  );
}

function withoutKey(rule: Rule, key: string): Rule {
  const copy = { ...rule };
  delete copy[key];
  return copy;
}

export interface FilterBuilderProps {
  value: Rule | undefined;
  onChange(value: Rule): void;
  /** Send nodes of this flow, for message rules. */
  sendNodes?: string[];
  depth?: number;
}

/** A condition: a group of rules (all / any) or a single rule, nested groups allowed. */
export function FilterBuilder({ value, onChange, sendNodes = [], depth = 0 }: FilterBuilderProps) {
  const language = useFilterLanguage();
  if (!language) return <p className="muted">Loading the filter language…</p>;
  const condition: Rule = value && Object.keys(value).length ? value : { all: [language.blank("property")] };
  const groupKey = "all" in condition ? "all" : "any" in condition ? "any" : null;
  if (!groupKey) {
    // A single rule at the top: show it inside an "all" group so more rules can be added.
    return <FilterBuilder value={{ all: [condition] }} onChange={onChange} sendNodes={sendNodes} depth={depth} />;
  }
  const children = (condition[groupKey] as Rule[]) ?? [];
  const setChildren = (next: Rule[]) => onChange({ [groupKey]: next });
  return (
    <div className={`filter-group depth-${depth}`} data-testid="filter-builder">
      <div className="filter-group-head">
        <select value={groupKey} onChange={(event) => onChange({ [event.target.value]: children })} aria-label="Match">
          <option value="all">All of these</option>
          <option value="any">Any of these</option>
        </select>
      </div>
      {children.map((child, index) => {
        const update = (rule: Rule) => setChildren(children.map((other, position) => (position === index ? rule : other)));
        const remove = () => setChildren(children.filter((_, position) => position !== index));
        const nested = "all" in child || "any" in child;
        return (
          <div className="rule" key={index}>
            {nested ? (
              <FilterBuilder value={child} onChange={update} sendNodes={sendNodes} depth={depth + 1} />
            ) : (
              <RuleRow language={language} rule={child} onChange={update} sendNodes={sendNodes} />
            )}
            <button type="button" className="icon-button" aria-label="Remove rule" onClick={remove} disabled={children.length === 1}>
              ×
            </button>
          </div>
        );
      })}
      <div className="filter-actions">
        <button type="button" className="link" onClick={() => setChildren([...children, language.blank("property")])}>
          + Add rule
        </button>
        {depth < 2 && (
          <button type="button" className="link" onClick={() => setChildren([...children, { any: [language.blank("property")] }])}>
            + Add group
          </button>
        )}
      </div>
    </div>
  );
}
