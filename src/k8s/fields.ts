/**
 * The building blocks the manifest schemas are made of: typed shorthands for the schemas of
 * `schema.ts`, the label and annotation maps, and the `metadata` every kind shares. The core kinds'
 * schemas (`manifest.ts`) and the Istio kinds' (`istio-manifest.ts`) are both written with them.
 */
import { API_VERSIONS, NAMESPACED, SERVED_VERSIONS, type Kind, type LabelSelector, type LabelSelectorRequirement, type ObjectMeta, type OwnerReference } from "./objects.js";
import {
  FORMATS,
  object,
  type ArraySchema,
  type BooleanSchema,
  type Format,
  type IntegerSchema,
  type NumberSchema,
  type ObjectSchema,
  type Schema,
  type StringMapSchema,
  type StringSchema,
} from "./schema.js";

/** A string, of a format when one is given. */
export function string(format?: Format): StringSchema {
  return format ? { type: "string", format } : { type: "string" };
}

/** A string that is one of `values` (a mistyped one is answered with the nearest). */
export function oneOf(values: readonly string[]): StringSchema {
  return { type: "string", enum: values };
}

/** A whole number, within bounds when they are given. */
export function integer(min?: number, max?: number): IntegerSchema {
  return { type: "integer", ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
}

/** A number (not necessarily whole), within bounds when they are given. */
export function number(min?: number, max?: number): NumberSchema {
  return { type: "number", ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
}

/** true or false. */
export function boolean(): BooleanSchema {
  return { type: "boolean" };
}

/** A list of `items`. */
export function list(items: Schema, options: Omit<ArraySchema, "type" | "items"> = {}): ArraySchema {
  return { type: "array", items, ...options };
}

/** `schema`, required. */
export function required<S extends Schema>(schema: S): S & { required: true } {
  return { ...schema, required: true };
}

/** `schema`, with the value used when it is left out. */
export function defaulted<S extends Schema>(schema: S, value: unknown): S & { default: unknown } {
  return { ...schema, default: value };
}

/** Any string but the empty one. */
export const nonEmpty: Format = { expected: "a non-empty string", problem: (text) => (text ? null : "") };

/** A name format applied to `generateName`, which is a prefix: a trailing '-' is fine. */
export function prefixOf(format: Format): Format {
  return {
    expected: `a prefix of ${format.expected.replace(/^an? /, "a ")}; it may end with '-'`,
    problem: (text) => format.problem(text.length > 1 && text.endsWith("-") ? `${text.slice(0, -1)}a` : text),
  };
}

/** `metadata.labels`, and any label map that selects. */
export const LABELS: StringMapSchema = { type: "stringMap", keys: FORMATS.qualifiedName, values: FORMATS.labelValue };
/** `metadata.annotations`: any qualified key, values of any text, 256 KiB in all. */
export const ANNOTATIONS: StringMapSchema = { type: "stringMap", keys: FORMATS.qualifiedName, maxSize: 256 * 1024 };
/** A port number. */
export const PORT = integer(1, 65535);

/** A string quoted for a message. */
export const q = (text: string) => JSON.stringify(text);

// ---------------------------------------------------------------------------------------------
// metadata

/** An entry of `metadata.ownerReferences`. */
export const ownerReference = object<OwnerReference>({
  fields: {
    apiVersion: required(string(nonEmpty)),
    kind: required(string(nonEmpty)),
    name: required(string(nonEmpty)),
    uid: required(string(nonEmpty)),
    controller: boolean(),
  },
  unsupported: ["blockOwnerDeletion"],
});

/** Fields of `metadata` the API server keeps that mcsim does not model. */
export const META_UNSUPPORTED = ["managedFields", "selfLink", "generation", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds"];

/**
 * `metadata` of a kind whose names have the given format. Namespaced kinds (`NAMESPACED`) default
 * their namespace to `default`; cluster-scoped kinds drop a namespace, as the API server does.
 */
export function metadata(kind: Kind, nameFormat: Format): ObjectSchema {
  const namespaced = NAMESPACED.has(kind);
  return object<ObjectMeta>({
    fields: {
      name: { ...string(nameFormat), required: { when: (m: ObjectMeta) => m.generateName === undefined, because: "generateName is not given" } },
      namespace: namespaced ? defaulted(string(FORMATS.dnsLabel), "default") : string(FORMATS.dnsLabel),
      labels: LABELS,
      annotations: ANNOTATIONS,
      uid: string(),
      resourceVersion: string(),
      creationTimestamp: string(FORMATS.timestamp),
      ownerReferences: list(ownerReference),
      generateName: string(prefixOf(nameFormat)),
    },
    unsupported: META_UNSUPPORTED,
    ...(!namespaced && { finish: (m: ObjectMeta) => delete m.namespace }),
  });
}

/** A custom resource's apiVersion: any version its CRD serves, stored at the storage version. */
export function servedVersion(kind: Kind): StringSchema & { required: true } {
  return required(oneOf(SERVED_VERSIONS[kind]));
}

/** Custom resources are read back at their CRD's storage version, whichever version wrote them. */
export function toStorageVersion(object: { apiVersion: string; kind: Kind }): void {
  object.apiVersion = API_VERSIONS[object.kind];
}

// ---------------------------------------------------------------------------------------------
// selectors

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

const selectorRequirement = object<LabelSelectorRequirement>({
  fields: {
    key: required(string(FORMATS.qualifiedName)),
    operator: required(oneOf(OPERATORS)),
    values: list(string(FORMATS.labelValue)),
  },
  rules: [
    (r, fail) => {
      const n = r.values?.length ?? 0;
      if ((r.operator === "In" || r.operator === "NotIn") && n === 0) fail(["values"], `must have at least one value when operator is ${r.operator}`);
      if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) fail(["values"], `must be empty when operator is ${r.operator}`);
    },
  ],
});

/** A label selector (`matchLabels`, `matchExpressions`), as every kind that selects has it. */
export const labelSelector = object<LabelSelector>({
  fields: { matchLabels: LABELS, matchExpressions: list(selectorRequirement) },
});
