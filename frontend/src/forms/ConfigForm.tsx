/** A form generated from a JSON Schema (node config or flow settings) with the server's errors shown inline. */
import Form from "@rjsf/core";
import type { ErrorSchema } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { useMemo } from "react";

import type { Config, JsonSchema } from "../api";
import { prepareSchema, type UiSchema } from "./schemaPrep";
import { fields, widgets } from "./widgets";

export interface ConfigFormProps {
  schema: JsonSchema;
  shared: Record<string, JsonSchema>;
  value: Config;
  onChange(value: Config): void;
  extraUi?: UiSchema;
  errors?: Record<string, unknown>;
  idPrefix: string;
}

function mergeUi(base: UiSchema, extra: UiSchema): UiSchema {
  const merged: UiSchema = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] =
      value && typeof value === "object" && !Array.isArray(value) && current && typeof current === "object"
        ? { ...(current as UiSchema), ...(value as UiSchema) }
        : value;
  }
  return merged;
}

export function ConfigForm({ schema, shared, value, onChange, extraUi = {}, errors, idPrefix }: ConfigFormProps) {
  const prepared = useMemo(() => prepareSchema(schema, shared), [schema, shared]);
  const uiSchema = useMemo(() => mergeUi({ ...prepared.uiSchema, "ui:submitButtonOptions": { norender: true } }, extraUi), [prepared, extraUi]);
  return (
    <Form
      className="config-form"
      schema={prepared.schema}
      uiSchema={uiSchema}
      formData={value}
      validator={validator}
      widgets={widgets}
      fields={fields}
      idPrefix={idPrefix}
      extraErrors={errors as ErrorSchema | undefined}
      showErrorList={false}
      noHtml5Validate
      experimental_defaultFormStateBehavior={{ emptyObjectFields: "skipDefaults", arrayMinItems: { populate: "never" } }}
      onChange={(event) => {
        const next = (event.formData ?? {}) as Config;
        if (JSON.stringify(next) !== JSON.stringify(value)) onChange(next);
      }}
    />
  );
}
