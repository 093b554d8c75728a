/**
 * `istioctl` against the simulated mesh: `remote-clusters`, `proxy-status` (`ps`),
 * `proxy-config endpoints|clusters POD[.NS]` and `version`, with `--context` choosing the
 * cluster whose istiod (or pod) is asked. The formatters are pure functions over what istiod's
 * debug endpoints (`clusterz`, `syncz`) and a sidecar's config dump give, printing what the real
 * ones print (mesh.md §2.1, §2.2), with Go's tabwriter as istioctl sets it (minimum width 0,
 * padding 5, spaces). Errors have cobra's and istioctl's shapes: `Error: ...`, exit status 1.
 */
import type { ToolOutput } from "../dns/format/output.js";
import type { IstiodDebug, ProxySyncInfo } from "../mesh/istio/istiod.js";
import { DEFAULT_ISTIO_VERSION, ISTIO_NAMESPACE } from "../mesh/istio/mesh.js";
import type { SidecarView } from "../mesh/istio/sidecar.js";
import { SUBSCRIPTION_ORDER, syncStatus, type XdsType } from "../mesh/istio/xds.js";
import type { World } from "../scenario/world.js";
import type { Micros } from "../sim/time.js";
import { SECOND } from "../sim/time.js";
import { analyzeCluster, formatAnalysis, parseLevel, type AnalysisLevel } from "./istioctl-analyze.js";
import { humanDuration } from "./kubectl/age.js";
import { KubectlError, parseFlags, type FlagSpec, type ParsedFlags } from "./kubectl/flags.js";

/** Go's tabwriter with istioctl's settings: each column as wide as its widest cell plus 5; the last unpadded. */
export function tabwrite(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, c) => c < r.length - 1 && (widths[c] = Math.max(widths[c] ?? 0, cell.length + 5)));
  return rows.map((r) => `${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("")}\n`).join("");
}

/** `major.minor` of a version as a number to compare (`1.27.0` → 1.27, `1.9` → 1.09). */
function minor(version: string): number {
  const [major = "0", min = "0"] = version.split(".");
  return Number(major) + Number(min) / 100;
}

/**
 * `istioctl remote-clusters`: a row per cluster of each istiod, istiods by pod name; the config
 * cluster's SECRET is empty. From 1.31 a REVISION column ends the row (mesh.md §2.1).
 */
export function remoteClusters(istiods: readonly IstiodDebug[], version: string): string {
  const revision = minor(version) >= 1.31;
  const rows: string[][] = [["NAME", "SECRET", "STATUS", "ISTIOD", ...(revision ? ["REVISION"] : [])]];
  for (const i of [...istiods].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))) {
    for (const c of i.clusters) rows.push([c.id, c.secretName, c.syncStatus, i.pod, ...(revision ? [i.revision] : [])]);
  }
  return tabwrite(rows);
}

/** Options of {@link proxyStatus}. */
export interface ProxyStatusOptions {
  /** The Istio version of istioctl, which chooses the layout (mesh.md §2.2). */
  readonly version: string;
  /** `-v 1`: 1.27+'s per-type columns. */
  readonly verbosity?: number;
  /** Now, for the ages of 1.23+ cells. */
  readonly now: Micros;
}

/**
 * `istioctl proxy-status`: a row per proxy, sorted by proxy ID. Up to 1.26 the columns are
 * `NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION`, each cell the type's status with its age
 * from 1.23 (`SYNCED (2m)`); from 1.27 `NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES`, and with
 * `-v 1` the per-type columns in type-URL order (CDS ECDS EDS LDS RDS) (mesh.md §2.2).
 */
export function proxyStatus(istiods: readonly IstiodDebug[], options: ProxyStatusOptions): string {
  const v = minor(options.version);
  const proxies = istiods.flatMap((i) => i.proxies).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const cell = (p: ProxySyncInfo, type: XdsType): string => {
    const state = p.types.get(type);
    const status = syncStatus(state);
    if (v < 1.23 || state?.lastSent === undefined) return status;
    return `${status} (${humanDuration(Math.floor((options.now - state.lastSent) / SECOND))})`;
  };
  if (v < 1.27 || (options.verbosity ?? 0) >= 1) {
    const types: readonly XdsType[] = v < 1.27 ? ["CDS", "LDS", "EDS", "RDS", "ECDS"] : ["CDS", "ECDS", "EDS", "LDS", "RDS"];
    const rows = [["NAME", "CLUSTER", ...types, "ISTIOD", "VERSION"]];
    for (const p of proxies) rows.push([p.id, p.cluster, ...types.map((t) => cell(p, t)), p.istiod, p.version]);
    return tabwrite(rows);
  }
  const rows = [["NAME", "CLUSTER", "ISTIOD", "VERSION", "SUBSCRIBED TYPES"]];
  for (const p of proxies) {
    const subscribed = SUBSCRIPTION_ORDER.filter((t) => p.types.has(t));
    rows.push([p.id, p.cluster, p.istiod, p.version, subscribed.length === 0 ? "0" : `${subscribed.length} (${subscribed.join(",")})`]);
  }
  return tabwrite(rows);
}

/** One cluster of a sidecar's config, as a cluster name (`outbound|80|v1|web.default.svc.cluster.local`) gives it. */
interface ClusterKey {
  readonly direction: string;
  readonly port: number;
  readonly subset: string;
  readonly fqdn: string;
}

/** Istio's `ParseSubsetKey`: `direction|port|subset|hostname`. */
function parseClusterName(name: string): ClusterKey {
  const [direction = "", port = "0", subset = "", fqdn = ""] = name.split("|");
  return { direction, port: Number(port), subset, fqdn };
}

/** istioctl's order of clusters: by FQDN, then subset, then direction, then port. */
function byClusterKey(a: ClusterKey, b: ClusterKey): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return text(a.fqdn, b.fqdn) || text(a.subset, b.subset) || text(a.direction, b.direction) || a.port - b.port;
}

/** Filters of {@link proxyConfigClusters}, as its flags give them. */
export interface ClusterFilter {
  readonly fqdn?: string;
  readonly port?: number;
  readonly subset?: string;
  readonly direction?: string;
}

/**
 * `istioctl proxy-config clusters POD`: `SERVICE FQDN PORT SUBSET DIRECTION TYPE DESTINATION
 * RULE`, one row per cluster the sidecar got by CDS (its type: EDS, STRICT_DNS, LOGICAL_DNS or
 * ORIGINAL_DST for a ServiceEntry's resolution; a subset of `-` for none),
 * in istioctl's order. The bootstrap's static clusters (`xds-grpc`, `BlackHoleCluster`, ...)
 * are not simulated, so not listed; the DESTINATION RULE cell stays empty until clusters carry one.
 */
export function proxyConfigClusters(view: SidecarView, filter: ClusterFilter = {}): string {
  const keys = [...view.clusters.values()]
    .map((c) => ({ ...parseClusterName(c.name), type: c.type }))
    .filter((k) => (filter.fqdn === undefined || k.fqdn === filter.fqdn) && (filter.port === undefined || k.port === filter.port))
    .filter((k) => (filter.subset === undefined || k.subset === filter.subset) && (filter.direction === undefined || k.direction === filter.direction))
    .sort(byClusterKey);
  const rows = [["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]];
  for (const k of keys) rows.push([k.fqdn, String(k.port), k.subset || "-", k.direction, k.type, ""]);
  return tabwrite(rows);
}

/** Filters of {@link proxyConfigEndpoints}, as its flags give them. */
export interface EndpointFilter {
  /** The Envoy cluster's name (`--cluster`). */
  readonly cluster?: string;
  readonly address?: string;
  readonly port?: number;
  /** `HEALTHY` or `UNHEALTHY` (`--status`). */
  readonly status?: string;
}

/**
 * `istioctl proxy-config endpoints POD`: `ENDPOINT STATUS OUTLIER CHECK CLUSTER` as Envoy's
 * `/clusters` gives them, one row per endpoint of each cluster the sidecar got by EDS, ordered
 * by address, then port, then cluster. OUTLIER CHECK is `FAILED` for an endpoint the sidecar's
 * outlier detection has ejected, `OK` otherwise.
 */
export function proxyConfigEndpoints(view: SidecarView, filter: EndpointFilter = {}): string {
  const rows: { address: string; port: number; status: string; outlier: string; cluster: string }[] = [];
  for (const [cluster, endpoints] of view.endpoints) {
    if (filter.cluster !== undefined && cluster !== filter.cluster) continue;
    for (const e of endpoints) {
      const status = e.healthy ? "HEALTHY" : "UNHEALTHY";
      if ((filter.address ?? e.address) !== e.address || (filter.port ?? e.port) !== e.port || (filter.status ?? status) !== status) continue;
      rows.push({ address: e.address, port: e.port, status, outlier: view.ejected(cluster, e) ? "FAILED" : "OK", cluster });
    }
  }
  rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0)));
  return tabwrite([["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"], ...rows.map((r) => [`${r.address}:${r.port}`, r.status, r.outlier, r.cluster])]);
}

/** What istioctl runs against: the world and the context used when `--context` is not given. */
export interface IstioctlTarget {
  readonly world: World;
  readonly context: string;
}

/** istioctl's flags on every command. */
const GLOBAL_FLAGS: FlagSpec["values"] = { "-i": "istioNamespace", "--istioNamespace": "istioNamespace" };

/** A subcommand: its flags (besides the global ones) and what it prints (on stdout, exit 0, or all of its output). */
interface Subcommand {
  readonly flags: FlagSpec;
  run(target: IstioctlTarget, flags: ParsedFlags, context: string): string | ToolOutput;
}

/** A failure istioctl reports as `Error: MESSAGE`, exit status 1. */
class IstioctlError extends Error {}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  "remote-clusters": {
    flags: {},
    run: (t, f, context) => {
      noArguments("remote-clusters", f);
      return remoteClusters(istiodsOf(t, f, context), istioVersion(t.world));
    },
  },
  "proxy-status": {
    flags: { values: { "-v": "verbosity", "--verbosity": "verbosity" } },
    run: (t, f, context) => {
      if (f.words.length > 0) throw new IstioctlError(`proxy-status ${f.words[0]}: comparing one proxy's config with istiod's is not simulated; run istioctl proxy-status for every proxy's sync status`);
      const verbosity = f.values.get("verbosity");
      if (verbosity !== undefined && !/^\d+$/.test(verbosity)) throw new IstioctlError(`invalid argument "${verbosity}" for "-v, --verbosity" flag: strconv.ParseInt: parsing "${verbosity}": invalid syntax`);
      return proxyStatus(istiodsOf(t, f, context), { version: istioVersion(t.world), now: t.world.sim.now, ...(verbosity !== undefined ? { verbosity: Number(verbosity) } : {}) });
    },
  },
  analyze: {
    flags: { values: { "--failure-threshold": "failureThreshold", "--output-threshold": "outputThreshold" }, switches: { "-A": "allNamespaces", "--all-namespaces": "allNamespaces" } },
    run: (t, f, context) => {
      if (f.words.length > 0) throw new IstioctlError(`analyzing files (${f.words[0]}) is not simulated; istioctl analyze looks at the context's cluster`);
      const level = (name: string, fallback: AnalysisLevel): AnalysisLevel => {
        const value = f.values.get(name);
        if (value === undefined) return fallback;
        const parsed = parseLevel(value);
        if (!parsed) throw new IstioctlError(`invalid argument "${value}" for "--${name === "failureThreshold" ? "failure" : "output"}-threshold" flag: valid options are [Info Warning Error]`);
        return parsed;
      };
      const options = { namespace: f.switches.has("allNamespaces") ? undefined : (f.values.get("namespace") ?? "default"), outputThreshold: level("outputThreshold", "Info"), failureThreshold: level("failureThreshold", "Error"), version: istioVersion(t.world) };
      return formatAnalysis(analyzeCluster(t.world, context), options);
    },
  },
  version: {
    flags: {},
    run: (t, f, context) => {
      noArguments("version", f);
      const client = `client version: ${istioVersion(t.world)}\n`;
      let istiods: readonly IstiodDebug[];
      try {
        istiods = istiodsOf(t, f, context);
      } catch {
        return `Istio is not present in the cluster: no running Istio pods in namespace "${f.values.get("istioNamespace") ?? ISTIO_NAMESPACE}"\n${client}`;
      }
      const mesh = t.world.mesh!.options;
      const proxies = istiods.flatMap((i) => i.proxies);
      const versions = [...new Set(proxies.map((p) => p.version))].map((v) => `${v} (${proxies.filter((p) => p.version === v).length} proxies)`);
      return `${client}control plane version: ${mesh.version}\ndata plane version: ${versions.join(", ") || "none"}\n`;
    },
  },
};

/** `proxy-config`'s own subcommands, by every name istioctl takes. */
const PROXY_CONFIG: Readonly<Record<string, Subcommand>> = {
  endpoint: {
    flags: { values: { "--cluster": "cluster", "--address": "address", "--port": "port", "--status": "status" } },
    run: (t, f, context) => {
      const port = portFlag(f);
      const filter: EndpointFilter = { ...pick(f, "cluster", "address", "status"), ...(port !== undefined ? { port } : {}) };
      return proxyConfigEndpoints(sidecarView(t, f, context, "endpoint"), filter);
    },
  },
  cluster: {
    flags: { values: { "--fqdn": "fqdn", "--port": "port", "--subset": "subset", "--direction": "direction" } },
    run: (t, f, context) => {
      const port = portFlag(f);
      return proxyConfigClusters(sidecarView(t, f, context, "cluster"), { ...pick(f, "fqdn", "subset", "direction"), ...(port !== undefined ? { port } : {}) });
    },
  },
};
const PROXY_CONFIG_ALIASES: Readonly<Record<string, string>> = { endpoint: "endpoint", endpoints: "endpoint", ep: "endpoint", cluster: "cluster", clusters: "cluster", c: "cluster" };
const ALIASES: Readonly<Record<string, string>> = { ps: "proxy-status", pc: "proxy-config" };

/** The subcommands, for completion. */
export const ISTIOCTL_COMMANDS: readonly string[] = ["analyze", "proxy-config", "proxy-status", "remote-clusters", "version"];

/** Runs `istioctl ARGS`: what it prints and its exit status. */
export function istioctl(target: IstioctlTarget, args: readonly string[]): ToolOutput {
  try {
    const [name, rest] = splitCommand(args);
    if (name === undefined) throw new IstioctlError(`a subcommand is required: istioctl ${ISTIOCTL_COMMANDS.join("|")}`);
    const command = ALIASES[name] ?? name;
    const sub = Object.hasOwn(SUBCOMMANDS, command) ? SUBCOMMANDS[command]! : undefined;
    if (command !== "proxy-config" && !sub) throw new IstioctlError(`unknown command "${name}" for "istioctl"\nRun 'istioctl --help' for usage.`);
    const out = command === "proxy-config" ? proxyConfig(target, rest) : runSubcommand(target, sub!, rest);
    return typeof out === "string" ? done(out) : out;
  } catch (e) {
    if (e instanceof IstioctlError || e instanceof KubectlError) return { stdout: "", stderr: `Error: ${e.message}\n`, exitCode: 1 };
    throw e;
  }
}

/**
 * The first word that is a subcommand and the arguments without it: global flags may come before
 * it, as in `istioctl --context west ps`, so a flag's value is not taken for it.
 */
function splitCommand(args: readonly string[]): [string | undefined, string[]] {
  const at = args.findIndex((a, i) => !a.startsWith("-") && !(i > 0 && ["--context", "-n", "--namespace", "-i", "--istioNamespace"].includes(args[i - 1]!)));
  return [args[at], [...args.slice(0, Math.max(at, 0)), ...args.slice(at + 1)]];
}

function proxyConfig(target: IstioctlTarget, args: readonly string[]): string | ToolOutput {
  const [name, rest] = splitCommand(args);
  if (name === undefined) throw new IstioctlError(`a subcommand is required: istioctl proxy-config endpoint|cluster POD[.NAMESPACE]`);
  const key = Object.hasOwn(PROXY_CONFIG_ALIASES, name) ? PROXY_CONFIG_ALIASES[name]! : undefined;
  if (key === undefined) throw new IstioctlError(`unknown command "${name}" for "istioctl proxy-config"\nRun 'istioctl proxy-config --help' for usage.`);
  return runSubcommand(target, PROXY_CONFIG[key]!, rest);
}

function runSubcommand(target: IstioctlTarget, sub: Subcommand, args: readonly string[]): string | ToolOutput {
  const flags = parseFlags(args, { values: { ...GLOBAL_FLAGS, ...sub.flags.values }, ...(sub.flags.switches ? { switches: sub.flags.switches } : {}) });
  if (flags.command !== undefined) throw new IstioctlError(`unknown command "--" for "istioctl"`);
  const context = flags.values.get("context") ?? target.context;
  if (!target.world.clusters.has(context)) throw new IstioctlError(`context "${context}" does not exist`);
  return sub.run(target, flags, context);
}

function done(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

function noArguments(command: string, f: ParsedFlags): void {
  if (f.words.length > 0) throw new IstioctlError(`unknown command "${f.words[0]}" for "istioctl ${command}"`);
}

/** The string flags that were given, by name. */
function pick<K extends string>(f: ParsedFlags, ...names: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const n of names) {
    const v = f.values.get(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function portFlag(f: ParsedFlags): number | undefined {
  const port = f.values.get("port");
  if (port === undefined) return undefined;
  if (!/^\d+$/.test(port)) throw new IstioctlError(`invalid argument "${port}" for "--port" flag: strconv.ParseInt: parsing "${port}": invalid syntax`);
  return Number(port);
}

/** The Istio version of istioctl: the mesh's, as a lab installs the two together. */
function istioVersion(world: World): string {
  return world.mesh?.options.version ?? DEFAULT_ISTIO_VERSION;
}

/**
 * The istiod pods of the context's cluster, as istioctl finds them (`app=istiod` in the Istio
 * namespace). A remote cluster of primary-remote has none (mesh.md §2.2's multicluster caveat).
 */
function istiodsOf(target: IstioctlTarget, f: ParsedFlags, context: string): IstiodDebug[] {
  const istiod = (f.values.get("istioNamespace") ?? ISTIO_NAMESPACE) === ISTIO_NAMESPACE ? target.world.mesh?.istiods.get(context) : undefined;
  if (!istiod) throw new IstioctlError("unable to find any Istiod instances");
  return [istiod.debug()];
}

/** The config of the sidecar of `POD[.NAMESPACE]` (or `-n`), with istioctl's errors when there is none. */
function sidecarView(target: IstioctlTarget, f: ParsedFlags, context: string, command: string): SidecarView {
  const [ref, extra] = f.words;
  if (ref === undefined) throw new IstioctlError(`${command} requires pod name or --file parameter`);
  if (extra !== undefined) throw new IstioctlError(`${command} takes one pod, not ${extra} as well`);
  const dot = ref.indexOf(".");
  const pod = dot < 0 ? ref : ref.slice(0, dot);
  const namespace = dot < 0 ? (f.values.get("namespace") ?? "default") : ref.slice(dot + 1);
  if (!target.world.cluster(context).api.get("Pod", namespace, pod)) throw new IstioctlError(`pods "${pod}" not found`);
  const sidecar = target.world.mesh?.sidecarOf(context, namespace, pod);
  if (!sidecar) throw new IstioctlError(`failed to execute command on sidecar: error execing into ${pod}/${namespace} istio-proxy container: container istio-proxy is not valid for pod ${pod}`);
  return sidecar.view();
}
