import type { Schema } from "./schema.js";

/**
 * JSON Schema (draft-07) from the schemas the loaders validate with, so that an editor's checks
 * and mcsim's own cannot disagree about which fields exist. What JSON Schema cannot say (rules
 * across fields, formats without a regular expression, transforms) is left to mcsim's validator:
 * the generated schema accepts a superset of what mcsim accepts, never less.
 */

/** A JSON Schema document or sub-schema. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The text {@link parseDuration} reads, as a regular expression (`0` alone is allowed too; it trims spaces). */
export const DURATION_PATTERN = "^\\s*(0|((\\d+(\\.\\d+)?|\\.\\d+)(us|µs|μs|ms|s|m|h))+)\\s*$";

/** The draft-07 schema of values that `schema` accepts. */
export function toJsonSchema(schema: Schema): JsonSchema {
  const described = (body: JsonSchema): JsonSchema => (schema.description ? { description: schema.description, ...body } : body);
  switch (schema.type) {
    case "string":
      return described({
        type: "string",
        ...(schema.enum ? { enum: [...schema.enum] } : {}),
        ...(schema.format?.pattern ? { pattern: schema.format.pattern } : {}),
      });
    case "integer":
      return described({ type: "integer", ...bounds(schema.min, schema.max) });
    case "number":
      return described({
        type: "number",
        ...(schema.min === undefined ? {} : schema.exclusiveMin ? { exclusiveMinimum: schema.min } : { minimum: schema.min }),
        ...(schema.max === undefined ? {} : { maximum: schema.max }),
      });
    case "duration":
      return described({ anyOf: [{ type: "string", pattern: DURATION_PATTERN }, { const: 0 }] });
    case "boolean":
      return described({ type: "boolean" });
    case "intOrString":
      return described({
        anyOf: [{ type: "integer", ...bounds(schema.min, schema.max) }, { type: "string", ...(schema.format.pattern ? { pattern: schema.format.pattern } : {}) }],
      });
    case "stringMap":
      return described({ type: "object", additionalProperties: { type: schema.numbersAsStrings ? ["string", "number"] : "string" } });
    case "map":
      return described({ type: "object", additionalProperties: toJsonSchema(schema.values) });
    case "array":
      return described({
        type: "array",
        items: toJsonSchema(schema.items),
        ...(schema.min === undefined ? {} : { minItems: schema.min }),
        ...(schema.max === undefined ? {} : { maxItems: schema.max }),
      });
    case "object": {
      const properties: Record<string, JsonSchema> = {};
      // The validator reads `field: null` as a field left out, which an optional field may be.
      for (const [name, field] of Object.entries(schema.fields)) properties[name] = field.required === true ? toJsonSchema(field) : orNull(toJsonSchema(field));
      const required = Object.entries(schema.fields)
        .filter(([, field]) => field.required === true)
        .map(([name]) => name);
      return described({
        type: "object",
        properties,
        ...(required.length ? { required } : {}),
        additionalProperties: false,
        ...(schema.oneOf ? { oneOf: schema.oneOf.fields.map((f) => ({ required: [f] })) } : {}),
      });
    }
    case "union":
      return described({ anyOf: schema.options.map(toJsonSchema) });
    case "raw":
      return described({});
  }
}

/** `body`, or null. */
function orNull(body: JsonSchema): JsonSchema {
  const { description, ...rest } = body;
  const described = (b: JsonSchema): JsonSchema => (description === undefined ? b : { description, ...b });
  if (Object.keys(rest).length === 0) return body; // anything, null included
  // A plain type can take null as a second type; an enumeration or a oneOf would refuse it.
  if (typeof rest.type === "string" && !rest.enum && !rest.oneOf) return described({ ...rest, type: [rest.type, "null"] });
  if (Object.keys(rest).length === 1 && Array.isArray(rest.anyOf)) return described({ anyOf: [...rest.anyOf, { type: "null" }] });
  return described({ anyOf: [rest, { type: "null" }] });
}

function bounds(min: number | undefined, max: number | undefined): JsonSchema {
  return { ...(min === undefined ? {} : { minimum: min }), ...(max === undefined ? {} : { maximum: max }) };
}
