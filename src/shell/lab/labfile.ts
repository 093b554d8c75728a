import { LocatedError, readYamlDocuments, validate, ValueError, type ObjectSchema, type Schema, type YamlNode } from "../../k8s/schema.js";
import { relativeTo, ScenarioError } from "../../scenario/load.js";
import { EXPECTATION } from "../../scenario/schema.js";
import { SCENARIO_API_VERSION, type ExpectationSpec, type Scenario } from "../../scenario/spec.js";
import type { Micros } from "../../sim/time.js";
import { resourceType } from "../kubectl/resources.js";

/**
 * The lab file (`lab.yaml`): a lesson's steps on a scenario, as lab platforms show them (landscape.md
 * §1.1, §1.2): each step has its text, the checks that complete it (what a Killercoda verify script
 * or an Instruqt check script runs), hints, and the solution's commands.
 */

/** A lab: its title, its scenario and its steps. */
export interface Lab {
  readonly title: string;
  readonly description?: string;
  /** The scenario file, relative to the lab file as written; {@link LoadedLab.scenarioFile} resolves it. */
  readonly scenario: string;
  /** The pod the learner's own `dig` and `nslookup` run in; without one they say to run them in a pod. */
  readonly workstation?: PodRef;
  readonly steps: readonly LabStep[];
  readonly finish?: string;
}

/** One step of a lab. */
export interface LabStep {
  readonly title: string;
  /** What the learner reads (Markdown). */
  readonly text: string;
  readonly checks: readonly LabCheck[];
  readonly hints: readonly string[];
  /** Command lines that complete the step, for the platforms' solve scripts and for testing the lab. */
  readonly solution: readonly string[];
}

/** A pod in a cluster. */
export interface PodRef {
  readonly cluster: string;
  readonly namespace: string;
  readonly pod: string;
}

/** A check: a name (what `mcsim lab check DIR NAME` takes) and what it checks. */
export type LabCheck = { readonly name: string; readonly description?: string } & (
  | { readonly kind: "object"; readonly object: ObjectCheck }
  | { readonly kind: "lookup"; readonly lookup: LookupCheck }
  | { readonly kind: "request"; readonly request: RequestCheck }
  | { readonly kind: "expect"; readonly last: Micros; readonly expect: ExpectationSpec }
);

/** An object exists in a cluster, optionally with a condition of a type at a status. */
export interface ObjectCheck {
  readonly cluster: string;
  /** A kind as kubectl names it: `ServiceExport`, `serviceexports`, `svcex`. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly condition?: { readonly type: string; readonly status: string };
}

/** A lookup of a name from a pod gets an answer (an address, or a given one), or ends with a given code. */
export interface LookupCheck extends PodRef {
  readonly name: string;
  readonly type: "A" | "AAAA";
  /** The response code of the lookup's last query (NXDOMAIN, SERVFAIL, ...); without it, an answer. */
  readonly rcode?: string;
  /** An address the answer must hold. */
  readonly address?: string;
}

/** A call of a URL from a pod ends with a status (any 2xx by default). */
export interface RequestCheck extends PodRef {
  readonly url: string;
  readonly status?: number;
}

/** A lab file read and checked, with its scenario. */
export interface LoadedLab {
  readonly lab: Lab;
  /** The scenario file's path, relative to the working directory as the lab file's is. */
  readonly scenarioFile: string;
  readonly scenario: Scenario;
}

/** A problem in a lab file: where (file, 1-based line and column, field path) and what, as a scenario file's are told. */
export class LabFileError extends ScenarioError {
  override readonly name: string = "LabFileError";
}

const str = (description: string, extra: Record<string, unknown> = {}): Schema => ({ type: "string", description, ...extra }) as Schema;
const RCODES = ["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "timeout"];

/** The names a lab's checks refer to, from its scenario: checked where they are written. */
interface Names {
  readonly clusters: readonly string[];
  readonly streams: readonly string[];
}

function oneOf(what: string, names: readonly string[], value: string): void {
  if (!names.includes(value)) throw new ValueError(`no ${what} named ${JSON.stringify(value)} in the lab's scenario; its ${what}s are ${names.join(", ") || "none"}`);
}

function podFields(names: Names): Record<string, Schema> {
  return {
    cluster: str("the pod's cluster", { required: true, transform: (c: string) => (oneOf("cluster", names.clusters, c), c) }),
    namespace: str("the pod's namespace", { default: "default" }),
    pod: str("the pod's name", { required: true }),
  };
}

function checkSchema(names: Names): ObjectSchema {
  const expectation: ObjectSchema = {
    ...EXPECTATION,
    rules: [
      ...(EXPECTATION.rules ?? []),
      (e: Record<string, unknown>, fail) => {
        if (e.window !== undefined || e.fault !== undefined) fail([e.window !== undefined ? "window" : "fault"], "a lab check looks at the last N seconds: give last: 30s beside expect, not a window or a fault's phase");
        if (!names.streams.includes(e.stream as string)) fail(["stream"], `no stream named ${JSON.stringify(e.stream)} in the lab's scenario; its streams are ${names.streams.join(", ") || "none"}`);
      },
    ],
  };
  return {
    type: "object",
    description: "a check: what mcsim lab check DIR NAME evaluates, exiting 0 or 1 with a one-line reason",
    fields: {
      name: str("the check's name, unique in the lab", { required: true }),
      description: str("what it checks, in words"),
      last: { type: "duration", min: 1, description: "with expect: the window it looks at, ending now", required: { when: (c) => c.expect !== undefined, because: "expect is given" } },
      object: {
        type: "object",
        description: "an object exists in a cluster, optionally with a condition",
        fields: {
          cluster: podFields(names).cluster!,
          kind: str("its kind, as kubectl names it (ServiceExport, serviceexports, svcex)", {
            required: true,
            transform: (k: string) => {
              if (!resourceType(k)) throw new ValueError(`kubectl knows no resource type ${JSON.stringify(k)} here`);
              return k;
            },
          }),
          namespace: str("its namespace (ignored for a cluster-scoped kind)", { default: "default" }),
          name: str("its name", { required: true }),
          condition: {
            type: "object",
            description: "a condition it must have in status.conditions",
            fields: { type: str("the condition's type (Ready, Valid, ...)", { required: true }), status: str("its status", { enum: ["True", "False", "Unknown"], default: "True" }) },
          },
        },
      },
      lookup: {
        type: "object",
        description: "a lookup of a name from a pod (through its resolv.conf and libc) gets an answer, or ends with rcode",
        fields: {
          ...podFields(names),
          name: str("the name looked up", { required: true }),
          type: str("the address type asked for", { enum: ["A", "AAAA"], default: "A" }),
          rcode: str("the response code of the lookup's last query, instead of an answer", { enum: RCODES }),
          address: str("an address the answer must hold"),
        },
        rules: [(l: Record<string, unknown>, fail) => l.rcode !== undefined && l.address !== undefined && fail(["address"], "give rcode or address, not both")],
      },
      request: {
        type: "object",
        description: "an HTTP call of a URL from a pod ends with a status (any 2xx by default)",
        fields: { ...podFields(names), url: str("the URL, http://host[:port][/path]", { required: true }), status: { type: "integer", min: 100, max: 599, description: "the status it must end with" } },
      },
      expect: { ...expectation, description: "an expectation of the scenario's kinds over the last N seconds of a stream" },
    },
    oneOf: { fields: ["object", "lookup", "request", "expect"], what: "check", several: "split them into separate checks" },
    rules: [(c: Record<string, unknown>, fail) => c.last !== undefined && c.expect === undefined && fail(["last"], "last goes with expect")],
    transform: (c: Record<string, any>) => {
      const kind = (["object", "lookup", "request", "expect"] as const).find((k) => c[k] !== undefined)!;
      return { name: c.name, ...(c.description !== undefined ? { description: c.description } : {}), kind, [kind]: c[kind], ...(kind === "expect" ? { last: c.last } : {}) };
    },
  };
}

function labSchema(names: Names): ObjectSchema {
  const check = checkSchema(names);
  return {
    type: "object",
    description: "an mcsim lab: a lesson's steps on a scenario, with the checks that complete them",
    fields: {
      apiVersion: str("the lab format's version", { enum: [SCENARIO_API_VERSION] }),
      kind: str("always Lab", { enum: ["Lab"] }),
      title: str("the lab's title", { required: true }),
      description: str("what the learner reads before the first step (Markdown)"),
      scenario: str("the scenario file the lab runs, relative to the lab file", { required: true }),
      workstation: { type: "object", description: "the pod the learner's own dig and nslookup run in", fields: podFields(names) },
      steps: {
        type: "array",
        min: 1,
        items: {
          type: "object",
          fields: {
            title: str("the step's title", { required: true }),
            text: str("what the learner reads and does (Markdown)", { required: true }),
            checks: { type: "array", items: check, default: [] },
            hints: { type: "array", items: { type: "string" }, default: [] },
            solution: { type: "array", items: { type: "string" }, default: [], description: "command lines that complete the step" },
          },
        },
      },
      finish: str("what the learner reads after the last step (Markdown)"),
    },
    rules: [
      (lab: Record<string, any>, fail) => {
        const seen = new Set<string>();
        lab.steps.forEach((s: LabStep, i: number) =>
          s.checks.forEach((c, j) => {
            if (seen.has(c.name)) fail(["steps", i, "checks", j, "name"], `a check named ${JSON.stringify(c.name)} is already defined; check names are unique in the lab`);
            seen.add(c.name);
          }),
        );
      },
    ],
  };
}

/**
 * Reads a lab file and the scenario it names: the YAML is checked field by field (unknown fields
 * are errors), and the clusters and streams its checks name must be the scenario's.
 *
 * @param readScenario loads the scenario file (its path resolved against the lab file's).
 * @throws LabFileError for the first problem, with its place.
 */
export function loadLab(text: string, file: string, readScenario: (path: string) => Scenario): LoadedLab {
  try {
    const roots = readYamlDocuments(text)
      .map((d) => d.read())
      .filter((r): r is YamlNode => r !== null);
    if (roots.length !== 1) throw new LocatedError(roots[1]?.position ?? { line: 1, column: 1 }, "", roots.length === 0 ? "the file is empty; a lab has a title, a scenario and steps" : "a lab file holds one document; remove the second (after ---)");
    const root = roots[0]!;
    const scenarioNode = root.kind === "map" ? root.entries.find((e) => e.key === "scenario")?.value : undefined;
    let names: Names = { clusters: [], streams: [] };
    let scenario: Scenario | undefined;
    let scenarioFile = "";
    if (scenarioNode?.kind === "scalar" && typeof scenarioNode.value === "string") {
      scenarioFile = relativeTo(file, scenarioNode.value);
      scenario = readScenario(scenarioFile);
      names = { clusters: scenario.spec.clusters.map((c) => c.name), streams: scenario.spec.traffic.map((s) => s.name) };
    }
    const lab = validate(root, labSchema(names)) as Lab;
    return { lab, scenarioFile, scenario: scenario! };
  } catch (e) {
    if (e instanceof LocatedError) throw new LabFileError(file, e.position.line, e.position.column, e.path, e.detail);
    throw e;
  }
}

/** Every check of the lab, by name. */
export function labChecks(lab: Lab): ReadonlyMap<string, LabCheck> {
  return new Map(lab.steps.flatMap((s) => s.checks.map((c) => [c.name, c] as const)));
}
