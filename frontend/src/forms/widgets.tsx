/** The friendly widgets and fields the config forms use instead of raw text boxes. */
import { type FieldProps, getUiOptions, type RegistryFieldsType, type RegistryWidgetsType, type WidgetProps } from "@rjsf/utils";
import { useState } from "react";

import type { Config, JsonSchema } from "../api";
import { SegmentSelect } from "../components/SegmentSelect";
import { SuggestionList } from "../components/SuggestionList";
import { CONTACT_PROPERTIES, EVENT_PROPERTIES, EVENTS, type SuggestionSource } from "../components/suggestions";
import { useEditor } from "../editor/store";
import { DurationInput } from "./DurationInput";
import { EmailTemplatePicker } from "./EmailTemplatePicker";
import { FilterBuilder, PropertyRulesEditor, type Rule, useFilterLanguage } from "./FilterBuilder";
import { PersonalisedTextWidget } from "./PersonalisedText";

function DurationWidget({ id, value, onChange, disabled, readonly }: WidgetProps) {
  return <DurationInput id={id} value={value} onChange={onChange} disabled={disabled || readonly} />;
}

/** A text input offering what `source` suggests (event names, property paths seen in the data) in a datalist of its own. */
function SuggestedTextWidget({ id, value, onChange, onBlur, onFocus, disabled, readonly, placeholder, source }: WidgetProps & { source: SuggestionSource }) {
  const listId = `${id}__suggestions`;
  return (
    <>
      <input
        id={id}
        type="text"
        className="form-control"
        list={listId}
        value={value ?? ""}
        placeholder={placeholder}
        disabled={disabled || readonly}
        onChange={(event) => onChange(event.target.value || undefined)}
        onBlur={(event) => onBlur(id, event.target.value)}
        onFocus={(event) => onFocus(id, event.target.value)}
      />
      <SuggestionList id={listId} source={source} />
    </>
  );
}

function EventNameWidget(props: WidgetProps) {
  return <SuggestedTextWidget {...props} source={EVENTS} />;
}

/** A property path: of the contact, or (`scope: "event"` in the options, set where the path sits beside an event) of events. */
function PropertyPathWidget(props: WidgetProps) {
  return <SuggestedTextWidget {...props} source={getUiOptions(props.uiSchema).scope === "event" ? EVENT_PROPERTIES : CONTACT_PROPERTIES} />;
}

/** A segment chosen by name (the form keeps its id). */
function SegmentWidget({ id, value, onChange }: WidgetProps) {
  return <SegmentSelect id={id} value={value} onChange={onChange} />;
}

function TimeOfDayWidget({ id, value, onChange, disabled, readonly }: WidgetProps) {
  return <input id={id} type="time" value={value ?? ""} disabled={disabled || readonly} onChange={(event) => onChange(event.target.value || undefined)} />;
}

/** The flow's message nodes (the node types the catalogue files under "message"), for "message was read" rules. */
function useSendNodes(): string[] {
  const nodes = useEditor((state) => state.nodes);
  const catalogue = useEditor((state) => state.catalogue);
  return nodes.filter((node) => catalogue[node.type ?? ""]?.category === "message").map((node) => node.id);
}

function FieldFrame({ props, children }: { props: FieldProps; children: React.ReactNode }) {
  const errors = props.errorSchema?.__errors ?? [];
  return (
    <div className="form-group custom-field">
      <label className="control-label">
        {props.schema.title ?? props.name}
        {props.required ? "*" : ""}
      </label>
      {props.schema.description && <p className="field-description">{props.schema.description}</p>}
      {children}
      {errors.length > 0 && (
        <ul className="error-detail">
          {errors.map((error) => (
            <li key={error} className="text-danger">
              {error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FilterField(props: FieldProps) {
  const sendNodes = useSendNodes();
  return (
    <FieldFrame props={props}>
      <FilterBuilder value={props.formData as Rule | undefined} onChange={props.onChange} sendNodes={sendNodes} />
    </FieldFrame>
  );
}

function PropertyRulesField(props: FieldProps) {
  const language = useFilterLanguage();
  const rules = (props.formData as Rule[] | undefined) ?? [];
  return (
    <FieldFrame props={props}>
      {rules.length === 0 ? (
        <button type="button" className="link" disabled={!language} onClick={() => props.onChange([language!.blank("property")])}>
          + Only when…
        </button>
      ) : (
        <PropertyRulesEditor rules={rules} onChange={props.onChange} />
      )}
    </FieldFrame>
  );
}

/** Text, or a JSON object when what is typed parses as one (a webhook body). */
function TextOrJsonField(props: FieldProps) {
  const initial = typeof props.formData === "object" && props.formData !== null ? JSON.stringify(props.formData, null, 2) : (props.formData ?? "");
  const [text, setText] = useState<string>(initial);
  const change = (next: string) => {
    setText(next);
    try {
      const parsed = JSON.parse(next);
      props.onChange(parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : next);
    } catch {
      props.onChange(next || undefined);
    }
  };
  return (
    <FieldFrame props={props}>
      <textarea rows={5} value={text} onChange={(event) => change(event.target.value)} placeholder='{"email": "{{ email }}"}' />
    </FieldFrame>
  );
}

function EmailTemplateField(props: FieldProps) {
  return (
    <FieldFrame props={props}>
      <EmailTemplatePicker value={props.formData as number | undefined} onChange={props.onChange} />
    </FieldFrame>
  );
}

/** What a section starts with when switched on: the defaults its fields declare (a message goal's 7 days). */
function sectionDefaults(schema: JsonSchema): Config {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(Object.entries(properties).filter(([, property]) => property.default !== undefined).map(([key, property]) => [key, structuredClone(property.default)]));
}

/** An optional group of fields (a frequency cap, a fallback email, a message goal) behind a switch: off, it is left out of
 * the config and shows none of its fields, so nothing in it reads as required until the marketer switches it on. */
function OptionalSectionField(props: FieldProps) {
  const [switchedOn, setSwitchedOn] = useState(false);
  const on = props.formData !== undefined || switchedOn;
  const { ObjectField } = props.registry.fields;
  const toggle = (checked: boolean) => {
    setSwitchedOn(checked);
    props.onChange(checked ? sectionDefaults(props.schema as JsonSchema) : undefined);
  };
  return (
    <div className="form-group optional-section">
      <div className="checkbox">
        <label>
          <input type="checkbox" id={`${props.idSchema.$id}__on`} checked={on} disabled={props.disabled || props.readonly} onChange={(event) => toggle(event.target.checked)} />
          <strong>{props.schema.title ?? props.name}</strong>
        </label>
      </div>
      {on ? <ObjectField {...props} uiSchema={{ ...props.uiSchema, "ui:label": false }} /> : props.schema.description && <p className="field-description">{props.schema.description}</p>}
    </div>
  );
}

/** An item of a list whose items have a title, titled by its place: "Exit rule 1", or "Variant A" where the list's
 * item uiSchema says `lettered` (a split's variants, see nodeForms). */
function ListItemField(props: FieldProps) {
  const { SchemaField } = props.registry.fields;
  const title = props.schema.title;
  if (!title || typeof props.index !== "number") return <SchemaField {...props} />;
  const place = getUiOptions(props.uiSchema).lettered ? String.fromCharCode(65 + props.index) : String(props.index + 1);
  return <SchemaField {...props} schema={{ ...props.schema, title: `${title} ${place}` }} />;
}

export const widgets: RegistryWidgetsType = {
  duration: DurationWidget,
  timeOfDay: TimeOfDayWidget,
  personalisedText: PersonalisedTextWidget,
  eventName: EventNameWidget,
  propertyPath: PropertyPathWidget,
  segment: SegmentWidget,
};
export const fields: RegistryFieldsType = {
  filter: FilterField,
  propertyRules: PropertyRulesField,
  textOrJson: TextOrJsonField,
  emailTemplate: EmailTemplateField,
  optionalSection: OptionalSectionField,
  ArraySchemaField: ListItemField,
  hidden: () => null,
};
