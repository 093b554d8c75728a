import type { K8sObject, Kind } from "../../k8s/objects.js";
import { RESOURCES } from "../../k8s/apiserver.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import { resourceType } from "./resources.js";

/** A kubectl error: printed as `error: MESSAGE`, exit status 1. */
export class KubectlError extends Error {}

/** A verb's flags by every spelling, each mapped to one name: those taking a value, and switches. */
export interface FlagSpec {
  readonly values?: Readonly<Record<string, string>>;
  readonly switches?: Readonly<Record<string, string>>;
}

/** A verb's arguments, read as cobra reads them. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string>;
  readonly switches: ReadonlySet<string>;
  /** The positional arguments. */
  readonly words: readonly string[];
  /** What follows `--` (the command of `exec` and `run`), or undefined when there is no `--`. */
  readonly command: readonly string[] | undefined;
}

/** The flags every verb here takes. */
const GLOBAL: Readonly<Record<string, string>> = { "--context": "context", "-n": "namespace", "--namespace": "namespace" };

/**
 * Reads a verb's arguments: `--flag value`, `--flag=value`, `-n value`, `-nvalue`, grouped
 * switches (`-it`), `--` before a command, and cobra's messages for a flag it does not know.
 */
export function parseFlags(args: readonly string[], spec: FlagSpec): ParsedFlags {
  const valueFlags = { ...GLOBAL, ...spec.values };
  const switchFlags = spec.switches ?? {};
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return { values, switches, words, command: args.slice(i + 1) };
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg.startsWith("--") ? arg : arg.slice(0, 2);
    const inline = arg.startsWith("--") ? (eq > 0 ? arg.slice(eq + 1) : undefined) : arg.length > 2 ? arg.slice(2).replace(/^=/, "") : undefined;
    const valueName = valueFlags[flag];
    if (valueName !== undefined) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new KubectlError(`flag needs an argument: ${flag.startsWith("--") ? `--${flag.slice(2)}` : `'${flag.slice(1)}' in ${flag}`}`);
      values.set(valueName, value);
    } else if (switchFlags[flag] !== undefined && (inline === undefined || !arg.startsWith("--"))) {
      switches.add(switchFlags[flag]);
      // Grouped single-letter switches: `-it` is `-i -t`.
      if (!arg.startsWith("--")) {
        for (const letter of arg.slice(2)) {
          const name = switchFlags[`-${letter}`];
          if (name === undefined) throw new KubectlError(`unknown shorthand flag: '${letter}' in ${arg}`);
          switches.add(name);
        }
      }
    } else if (switchFlags[flag] !== undefined && (inline === "true" || inline === "false")) {
      if (inline === "true") switches.add(switchFlags[flag]);
    } else if (arg.startsWith("--")) throw new KubectlError(`unknown flag: ${flag}`);
    else throw new KubectlError(`unknown shorthand flag: '${arg[1]}' in ${arg}`);
  }
  return { values, switches, words, command: undefined };
}

/** The cluster a context names: the one given by `--context`, else the current one. */
export function contextCluster(clusters: ReadonlyMap<string, KubeCluster>, context: string): KubeCluster {
  const cluster = clusters.get(context);
  if (!cluster) throw new KubectlError(`context "${context}" does not exist`);
  return cluster;
}

/** How kubectl names an object in what it prints about a change: `deployment.apps/web`. */
export function objectRef(object: Readonly<K8sObject>): string {
  return `${typeName(object.kind)}/${object.metadata.name}`;
}

/** A kind's resource as `-o name` writes it (`serviceexport.multicluster.x-k8s.io`). */
export function typeName(kind: Kind): string {
  return resourceType(RESOURCES[kind])?.nameType ?? kind.toLowerCase();
}

/**
 * The objects `KIND NAME...` or `KIND/NAME...` name (as `delete`, `scale`, `label` take them),
 * with the kind each is.
 */
export function namedObjects(words: readonly string[]): { kind: Kind; name: string }[] {
  const [first, ...rest] = words;
  if (first === undefined) throw new KubectlError("you must specify the type of resource and a name, as in KIND NAME or KIND/NAME");
  const kindOf = (word: string): Kind => {
    const t = resourceType(word);
    if (!t) throw new KubectlError(`the server doesn't have a resource type "${word}"`);
    // `endpoints` is a view of the Services' EndpointSlices here, not an object to change.
    if (t.names[0] !== RESOURCES[t.kind]) throw new KubectlError(`mcsim keeps no ${t.names[0]} objects (kubectl get ${t.names[0]} shows the EndpointSlices): change the Service or its pods instead`);
    return t.kind;
  };
  if (first.includes("/")) {
    return words.map((w) => {
      const slash = w.indexOf("/");
      if (slash < 0) throw new KubectlError("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form");
      return { kind: kindOf(w.slice(0, slash)), name: w.slice(slash + 1) };
    });
  }
  if (rest.length === 0) throw new KubectlError(`resource(s) were provided, but no name was specified`);
  const kind = kindOf(first);
  return rest.map((name) => ({ kind, name }));
}
