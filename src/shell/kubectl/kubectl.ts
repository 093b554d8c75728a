import { stringify } from "yaml";
import type { ToolOutput } from "../../dns/format/output.js";
import { ApiError } from "../../k8s/apiserver.js";
import { NAMESPACED, type K8sObject } from "../../k8s/objects.js";
import { parseTimestamp } from "../../k8s/timestamp.js";
import type { World } from "../../scenario/world.js";
import { humanDuration } from "./age.js";
import { executeJsonPath, JsonPathError, parseJsonPath, type JsonPath } from "./jsonpath.js";
import { matchesSelector } from "../../k8s/labels.js";
import { podReady, qualifiedName, resourceType, type PrintContext, type ResourceType } from "./resources.js";
import { parseSelector, SelectorError } from "./selector.js";
import { formatTable } from "./table.js";
import { config } from "./config.js";
import { contextCluster, KubectlError } from "./flags.js";
import { create, rollout } from "./create.js";
import { describe } from "./describe.js";
import { logs } from "./logs.js";
import { exec, run } from "./pods.js";
import { apply, del, relabel, scale } from "./write.js";

/**
 * `kubectl` against the simulated clusters: one context per cluster (`--context NAME`, named as
 * the cluster, `config use-context`), the `get` verb with `-n`, `-A`, `-l`,
 * `-o wide|yaml|json|name`, `--no-headers` and `--show-labels`, printing the tables, YAML and
 * JSON the real one prints, and `apply`, `delete`, `scale`, `label`, `annotate`, `exec`, `run`.
 * What it does not know is an error in kubectl's words, never ignored.
 */

/** What kubectl runs against: the world and the context used when `--context` is not given. */
export interface KubectlTarget {
  readonly world: World;
  /** The current context; `kubectl config use-context` changes it. */
  context: string;
  /** What `-f -` reads (a here-document in the lab shell). */
  readonly stdin?: string;
  /** Reads `-f FILE`; undefined when there is no such file. Without it, only `-f -` works. */
  readonly readFile?: (path: string) => string | undefined;
}

/** The verbs this kubectl knows, besides `get`. */
const VERBS: Readonly<Record<string, (target: KubectlTarget, args: readonly string[]) => ToolOutput>> = {
  config,
  create,
  describe,
  apply,
  delete: del,
  scale,
  label: (target, args) => relabel("labels", target, args),
  annotate: (target, args) => relabel("annotations", target, args),
  exec,
  logs,
  run,
  rollout,
};

/** kubectl's `-o` formats known here. */
type Output = "table" | "wide" | "yaml" | "json" | "name" | JsonPath;

interface GetArgs {
  context?: string;
  namespace: string;
  allNamespaces: boolean;
  selector?: string;
  output: Output;
  noHeaders: boolean;
  showLabels: boolean;
  words: string[];
}

function parseGetArgs(args: readonly string[]): GetArgs {
  const a: GetArgs = { namespace: "default", allNamespaces: false, output: "table", noHeaders: false, showLabels: false, words: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith("--") && eq > 0) return arg.slice(eq + 1);
      if (/^-[nlo]./.test(arg)) return arg.slice(2).replace(/^=/, "");
      const v = args[++i];
      if (v === undefined) throw new KubectlError(`flag needs an argument: ${JSON.stringify(flag)}`);
      return v;
    };
    const short = /^-[nlo]/.test(arg) ? arg.slice(0, 2) : flag;
    switch (short) {
      case "--context":
        a.context = value();
        break;
      case "-n":
      case "--namespace":
        a.namespace = value();
        break;
      case "-A":
      case "--all-namespaces":
        a.allNamespaces = true;
        break;
      case "-l":
      case "--selector":
        a.selector = value();
        break;
      case "-o":
      case "--output": {
        const o = value();
        if (o === "jsonpath" || o.startsWith("jsonpath=")) a.output = jsonPathOutput(o.slice("jsonpath=".length));
        else if (o !== "wide" && o !== "yaml" && o !== "json" && o !== "name") throw new KubectlError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,name,wide,yaml`);
        else a.output = o;
        break;
      }
      case "--no-headers":
        a.noHeaders = true;
        break;
      case "--show-labels":
        a.showLabels = true;
        break;
      default:
        if (arg.startsWith("-")) throw new KubectlError(`unknown flag: ${flag}`);
        a.words.push(arg);
    }
  }
  return a;
}

/** The printer of `-o jsonpath=TEMPLATE`, or kubectl's refusal of a template it cannot parse. */
function jsonPathOutput(template: string): JsonPath {
  if (template === "") throw new KubectlError("template format specified but no template given");
  try {
    return parseJsonPath(template);
  } catch (e) {
    if (e instanceof JsonPathError) throw new KubectlError(`error parsing jsonpath ${template}, ${e.message}`);
    throw e;
  }
}

/** Runs `kubectl ARGS`: what it prints and its exit status. */
export function kubectl(target: KubectlTarget, args: readonly string[]): ToolOutput {
  // Global flags may come before the verb, as in `kubectl --context east get pods`.
  const verbAt = args.findIndex((a, i) => !a.startsWith("-") && !(i > 0 && (args[i - 1] === "--context" || args[i - 1] === "-n" || args[i - 1] === "--namespace")));
  const verb = args[verbAt];
  const rest = [...args.slice(0, Math.max(verbAt, 0)), ...args.slice(verbAt + 1)];
  try {
    if (verb === undefined) throw new KubectlError(`you must specify a command: kubectl get|${Object.keys(VERBS).join("|")} ...`);
    if (verb === "get") return get(target, parseGetArgs(rest));
    const run = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    if (!run) throw new KubectlError(`unknown command "${verb}" for "kubectl"`);
    return run(target, rest);
  } catch (e) {
    if (e instanceof KubectlError || e instanceof SelectorError || e instanceof JsonPathError) return { stdout: "", stderr: `error: ${e.message}${e.message.endsWith("\n") ? "" : "\n"}`, exitCode: 1 };
    if (e instanceof ApiError) return { stdout: "", stderr: `${e.message}\n`, exitCode: 1 };
    throw e;
  }
}

function get(target: KubectlTarget, a: GetArgs): ToolOutput {
  const cluster = contextCluster(target.world.clusters, a.context ?? target.context);
  const [typesWord, ...names] = a.words;
  if (typesWord === undefined) throw new KubectlError("you must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.");
  // `kubectl get pod/web svc/web` names type and object together.
  const requests: { type: ResourceType; names: string[] }[] = [];
  const typeOf = (word: string): ResourceType => {
    const t = resourceType(word);
    if (!t) throw new KubectlError(`the server doesn't have a resource type "${word}"`);
    return t;
  };
  if (typesWord.includes("/")) {
    for (const word of a.words) {
      const slash = word.indexOf("/");
      if (slash < 0) throw new KubectlError("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form");
      requests.push({ type: typeOf(word.slice(0, slash)), names: [word.slice(slash + 1)] });
    }
  } else {
    for (const word of typesWord.split(",")) requests.push({ type: typeOf(word), names });
  }
  const now = target.world.sim.now;
  const ctx: PrintContext = {
    age: (o) => {
      const created = parseTimestamp(o.metadata.creationTimestamp ?? "");
      return created === undefined ? "<unknown>" : humanDuration((now - created) / 1_000_000);
    },
    slicesOf: (ns, svc) => cluster.api.listByLabel("EndpointSlice", ns, "kubernetes.io/service-name", svc),
    podsOf: (ns, selector) => {
      const pods = cluster.api.list("Pod", ns).filter((p) => matchesSelector(p.metadata.labels, selector));
      return { total: pods.length, ready: pods.filter(podReady).length };
    },
  };
  const matches = a.selector === undefined ? () => true : parseSelector(a.selector);
  const found: { type: ResourceType; objects: Readonly<K8sObject>[] }[] = [];
  const errors: string[] = [];
  for (const r of requests) {
    const namespaced = NAMESPACED.has(r.type.kind);
    let objects: Readonly<K8sObject>[];
    if (r.names.length > 0) {
      objects = [];
      for (const name of r.names) {
        const o = cluster.api.get(r.type.kind, namespaced ? a.namespace : "", name);
        if (o) objects.push(o);
        // The API server names the resource with its group, as in `deployments.apps "web" not found`.
        else errors.push(`Error from server (NotFound): ${qualifiedName(r.type)} "${name}" not found`);
      }
    } else {
      objects = cluster.api.list(r.type.kind, namespaced && !a.allNamespaces ? a.namespace : undefined).filter((o) => matches(o.metadata.labels));
      objects.sort((x, y) => (x.metadata.namespace ?? "").localeCompare(y.metadata.namespace ?? "") || x.metadata.name.localeCompare(y.metadata.name));
    }
    found.push({ type: r.type, objects });
  }
  const all = found.flatMap((f) => f.objects);
  const stderr = errors.map((e) => `${e}\n`).join("");
  const exitCode = errors.length ? 1 : 0;
  if (all.length === 0 && errors.length === 0) {
    const where = a.allNamespaces || !found.some((f) => NAMESPACED.has(f.type.kind)) ? "" : ` in ${a.namespace} namespace`;
    return { stdout: "", stderr: `No resources found${where}.\n`, exitCode: 0 };
  }
  const single = a.words.length > 0 && requests.every((r) => r.names.length > 0) && all.length === 1;
  if (typeof a.output === "object") return { stdout: executeJsonPath(a.output, single ? all[0] : list(all)), stderr, exitCode };
  switch (a.output) {
    case "name":
      return { stdout: found.flatMap((f) => f.objects.map((o) => `${f.type.nameType}/${o.metadata.name}\n`)).join(""), stderr, exitCode };
    case "yaml":
      return { stdout: stringify(single ? all[0] : list(all), { sortMapEntries: true, lineWidth: 0, version: "1.1", indentSeq: false }), stderr, exitCode };
    case "json":
      return { stdout: `${JSON.stringify(single ? all[0] : list(all), null, 4)}\n`, stderr, exitCode };
    default: {
      const prefixed = found.length > 1;
      const tables = found
        .filter((f) => f.objects.length > 0)
        .map((f) => table(f.type, f.objects, { ctx, wide: a.output === "wide", allNamespaces: a.allNamespaces, prefixed, noHeaders: a.noHeaders, showLabels: a.showLabels }));
      return { stdout: tables.join("\n"), stderr, exitCode };
    }
  }
}

/** A `kind: List` holding objects, as kubectl prints several. */
function list(items: readonly Readonly<K8sObject>[]): object {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

/**
 * A cell as kubectl's table printer writes it: cut at the first line break (which would break the
 * table's rows), with `...` to show it was cut. Free-text cells such as a ClusterProperty's value
 * can hold one.
 */
function firstLine(cell: string): string {
  const end = cell.search(/[\f\n\r]/);
  return end < 0 ? cell : `${cell.slice(0, end)}...`;
}

function table(
  type: ResourceType,
  objects: readonly Readonly<K8sObject>[],
  o: { ctx: PrintContext; wide: boolean; allNamespaces: boolean; prefixed: boolean; noHeaders: boolean; showLabels: boolean },
): string {
  const namespaced = o.allNamespaces && NAMESPACED.has(type.kind);
  const header = [...(namespaced ? ["NAMESPACE"] : []), ...type.columns, ...(o.wide ? type.wideColumns : []), ...(o.showLabels ? ["LABELS"] : [])];
  const rows = objects.map((object) => {
    const cells = (type.row as (x: Readonly<K8sObject>, c: PrintContext, w: boolean) => string[])(object, o.ctx, o.wide);
    if (o.prefixed) cells[0] = `${type.nameType}/${cells[0]}`;
    const labels = Object.entries(object.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",") || "<none>";
    return [...(namespaced ? [object.metadata.namespace ?? "default"] : []), ...cells, ...(o.showLabels ? [labels] : [])].map(firstLine);
  });
  return o.noHeaders ? formatTable(rows[0]!, rows.slice(1)) : formatTable(header, rows);
}
