/** A visual builder for the filter language: groups of property, event, segment and message rules. */
import { DurationInput } from "./DurationInput";

export type Rule = Record<string, unknown>;

const PROPERTY_OPERATORS: [string, string][] = [
  ["eq", "is"],
  ["neq", "is not"],
  ["gt", "greater than"],
  ["gte", "at least"],
  ["lt", "less than"],
  ["lte", "at most"],
  ["contains", "contains"],
  ["not_contains", "does not contain"],
  ["exists", "is set"],
  ["not_exists", "is not set"],
  ["in", "is one of"],
  ["not_in", "is none of"],
];
const MESSAGE_STATUSES = ["sent", "delivered", "read", "clicked", "replied", "unsubscribed", "failed"];
const KINDS: [string, string][] = [
  ["property", "Property"],
  ["event", "Event"],
  ["segment", "Segment"],
  ["message", "Message"],
];

/** A typed value from what was typed: numbers and true/false become JSON numbers and booleans. */
export function typedValue(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

function valueText(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value);
}

function kindOf(rule: Rule): string {
  return KINDS.find(([kind]) => kind in rule)?.[0] ?? "property";
}

function blank(kind: string): Rule {
  switch (kind) {
    case "event":
      return { event: "", op: "did" };
    case "segment":
      return { segment: 1, op: "in" };
    case "message":
      return { message: "", status: "read", op: "is" };
    default:
      return { property: "", op: "eq", value: "" };
  }
}

/** One property rule: property, operator, value. */
export function PropertyRuleRow({ rule, onChange }: { rule: Rule; onChange(rule: Rule): void }) {
  const op = String(rule.op ?? "eq");
  const needsValue = op !== "exists" && op !== "not_exists";
  const setOp = (next: string) => {
    const { value, ...rest } = rule;
    if (next === "exists" || next === "not_exists") onChange({ ...rest, op: next });
    else if (next === "in" || next === "not_in") onChange({ ...rest, op: next, value: Array.isArray(value) ? value : value === undefined || value === "" ? [] : [value] });
    else onChange({ ...rest, op: next, value: Array.isArray(value) ? (value[0] ?? "") : (value ?? "") });
  };
  const setValue = (text: string) =>
    onChange({ ...rule, value: op === "in" || op === "not_in" ? text.split(",").map((part) => typedValue(part.trim())).filter((part) => part !== "") : typedValue(text) });
  return (
    <>
      <input className="rule-property" placeholder="property, e.g. total" value={String(rule.property ?? "")} onChange={(event) => onChange({ ...rule, property: event.target.value })} />
      <select value={op} onChange={(event) => setOp(event.target.value)}>
        {PROPERTY_OPERATORS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {needsValue && (
        <input
          className="rule-value"
          placeholder={op === "in" || op === "not_in" ? "a, b, c" : "value"}
          value={valueText(rule.value)}
          onChange={(event) => setValue(event.target.value)}
        />
      )}
    </>
  );
}

/** Property rules that must all hold (an event's or a goal's "only when"). */
export function PropertyRulesEditor({ rules, onChange }: { rules: Rule[]; onChange(rules: Rule[] | undefined): void }) {
  const update = (index: number, rule: Rule) => onChange(rules.map((other, position) => (position === index ? rule : other)));
  return (
    <div className="rules">
      {rules.map((rule, index) => (
        <div className="rule" key={index}>
          <PropertyRuleRow rule={rule} onChange={(next) => update(index, next)} />
          <button type="button" className="icon-button" aria-label="Remove rule" onClick={() => onChange(rules.length > 1 ? rules.filter((_, position) => position !== index) : undefined)}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...rules, blank("property")])}>
        + Add a property rule
      </button>
    </div>
  );
}

function RuleRow({ rule, onChange, sendNodes }: { rule: Rule; onChange(rule: Rule): void; sendNodes: string[] }) {
  const kind = kindOf(rule);
  return (
    <>
      <select className="rule-kind" value={kind} onChange={(event) => onChange(blank(event.target.value))} aria-label="Rule kind">
        {KINDS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {kind === "property" && <PropertyRuleRow rule={rule} onChange={onChange} />}
      {kind === "event" && (
        <>
          <select value={String(rule.op ?? "did")} onChange={(event) => onChange({ ...rule, op: event.target.value })}>
            <option value="did">did</option>
            <option value="did_not">did not do</option>
          </select>
          <input placeholder="event, e.g. order_paid" value={String(rule.event ?? "")} onChange={(event) => onChange({ ...rule, event: event.target.value })} />
          <span className="rule-word">in the last</span>
          <DurationInput value={rule.within as string | undefined} onChange={(within) => onChange(within ? { ...rule, within } : withoutKey(rule, "within"))} />
        </>
      )}
      {kind === "segment" && (
        <>
          <select value={String(rule.op ?? "in")} onChange={(event) => onChange({ ...rule, op: event.target.value })}>
            <option value="in">is in</option>
            <option value="not_in">is not in</option>
          </select>
          <input type="number" min={1} placeholder="segment id" value={String(rule.segment ?? "")} onChange={(event) => onChange({ ...rule, segment: Number(event.target.value) })} />
        </>
      )}
      {kind === "message" && (
        <>
          <select value={String(rule.message ?? "")} onChange={(event) => onChange({ ...rule, message: event.target.value })} aria-label="Send node">
            <option value="">choose a message…</option>
            {sendNodes.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
          <select value={String(rule.op ?? "is")} onChange={(event) => onChange({ ...rule, op: event.target.value })}>
            <option value="is">was</option>
            <option value="is_not">was not</option>
          </select>
          <select value={String(rule.status ?? "read")} onChange={(event) => onChange({ ...rule, status: event.target.value })}>
            {MESSAGE_STATUSES.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </>
      )}
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
  const condition: Rule = value && Object.keys(value).length ? value : { all: [blank("property")] };
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
              <RuleRow rule={child} onChange={update} sendNodes={sendNodes} />
            )}
            <button type="button" className="icon-button" aria-label="Remove rule" onClick={remove} disabled={children.length === 1}>
              ×
            </button>
          </div>
        );
      })}
      <div className="filter-actions">
        <button type="button" className="link" onClick={() => setChildren([...children, blank("property")])}>
          + Add rule
        </button>
        {depth < 2 && (
          <button type="button" className="link" onClick={() => setChildren([...children, { any: [blank("property")] }])}>
            + Add group
          </button>
        )}
      </div>
    </div>
  );
}
