import { CorefileError, parseCorefile } from "../dns/corefile.js";
import { ciliumMembers } from "./cilium.js";
import { applyDnsFederation, MAX_FEDERATION_MEMBERS } from "./federation.js";
import { applyMcs, mcsMembers } from "./mcs.js";
import { INSTANT_ACTIONS } from "./faults.js";
import { CoreDns } from "../dns/coredns.js";
import { IMPLEMENTED_PLUGINS } from "../dns/plugins/index.js";
import { ApiServer } from "../k8s/apiserver.js";
import { ManifestError, loadManifests } from "../k8s/manifest.js";
import { LocatedError, ValueError, describe, didYouMean, readYamlDocuments, validate, type Fail, type PathSegment, type YamlNode } from "../k8s/schema.js";
import { EXTERNAL_NETWORK } from "../net/topology.js";
import { Sim } from "../sim/sim.js";
import { formatDuration } from "../sim/time.js";
import { scenarioSchema, type Defined, type SchemaContext } from "./schema.js";
import type { Scenario, ScenarioSpec } from "./spec.js";
import { UPSTREAM_DNS_IP } from "./world.js";

/**
 * A problem with a scenario or a file it names: where (file, 1-based line and column, field path)
 * and what, with what was expected. The CLI prints it as `file:line:column: path: detail`.
 */
export class ScenarioError extends Error {
  override readonly name: string = "ScenarioError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** The field path (`spec.traffic[0].rate`); empty for the file as a whole. */
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${path ? `${path}: ` : ""}${detail}`);
  }
}

/** Options of {@link loadScenario}. */
export interface LoadScenarioOptions {
  /**
   * Reads a file the scenario names (a path relative to the scenario file, already resolved); it
   * throws when the file cannot be read. Without it, a scenario that names files is an error.
   */
  readonly readFile?: (path: string) => string;
}

/**
 * Reads a scenario: the YAML is checked against the scenario schema (unknown fields, types,
 * ranges, with the nearest valid name for a misspelt one), the manifests and Corefiles it names
 * or holds are read and checked, and every name it refers to (clusters and their regions, zones
 * and networks, streams, faults) is checked to exist.
 *
 * @param file names the scenario in errors and anchors the relative paths it names.
 * @throws ScenarioError for the first problem, with its place.
 */
export function loadScenario(text: string, file: string, options: LoadScenarioOptions = {}): Scenario {
  const docs = readYamlDocuments(text);
  const where = (e: LocatedError) => new ScenarioError(file, e.position.line, e.position.column, e.path, e.detail);
  try {
    const roots = docs.map((d) => d.read()).filter((r): r is YamlNode => r !== null);
    if (roots.length === 0) throw new LocatedError({ line: 1, column: 1 }, "", "the file is empty; a scenario starts with apiVersion: mcsim/v1alpha1 and kind: Scenario");
    if (roots.length > 1) throw new LocatedError(roots[1]!.position, "", "a scenario file holds one document; remove the second (after ---)");
    const root = roots[0]!;
    const schema = scenarioSchema(context(text, file, options, definedNames(root)), [crossReferences]);
    const scenario = validate(root, schema) as Scenario;
    const own = new Set(scenario.spec.clusters.filter((c) => c.dns.corefile !== undefined).map((c) => c.name));
    return { ...scenario, spec: applyMcs(applyDnsFederation(scenario.spec), own) };
  } catch (e) {
    if (e instanceof LocatedError) throw where(e);
    throw e;
  }
}

/** Reading the files and blocks a scenario names, with errors that point into them. */
function context(text: string, file: string, options: LoadScenarioOptions, defined: Readonly<Record<Defined, readonly string[]>>): SchemaContext {
  const read = (path: string): { text: string; name: string } => {
    const name = relativeTo(file, path);
    if (!options.readFile) throw new ValueError(`cannot read ${JSON.stringify(path)}: this scenario was given without a way to read the files it names`);
    try {
      return { text: options.readFile(name), name };
    } catch (e) {
      const code = (e as { code?: string } | null)?.code;
      const why = code === "ENOENT" ? ": no such file" : code ? ` (${code})` : e instanceof Error ? ` (${e.message})` : "";
      throw new ValueError(`cannot read ${name}${why}; paths are relative to the scenario file`);
    }
  };
  const manifests = (source: string, body: string, place: Place) => {
    try {
      return { objects: loadManifests(body, source), source };
    } catch (e) {
      if (e instanceof ManifestError) throw placed(place, e.line, e.column, `${e.path}${e.document > 1 ? ` (document ${e.document})` : ""}`, e.detail);
      throw e;
    }
  };
  const corefile = (body: string, place: Place) => {
    try {
      // A replica set up from it checks every plugin's arguments (`cache thirty`), as CoreDNS's
      // setup does at start: the run would otherwise find them only when a CoreDNS pod starts.
      const checked = parseCorefile(body, place.file, { plugins: IMPLEMENTED_PLUGINS });
      const sim = new Sim({ seed: 0 });
      new CoreDns(sim, { cluster: "check", namespace: "kube-system", name: "corefile-check" }, {
        corefile: checked,
        api: new ApiServer(sim, "check"),
        resolvConfNameservers: [UPSTREAM_DNS_IP],
      });
      return body;
    } catch (e) {
      if (e instanceof CorefileError) throw placed(place, e.line, e.column, "", `Corefile: ${e.detail}`);
      throw e;
    }
  };
  return {
    manifestFile(path) {
      const { text: body, name } = read(path);
      return manifests(name, body, inFile(name));
    },
    inlineManifests(node) {
      const { body, place } = inline(text, file, node, "Kubernetes YAML");
      return manifests(`${file}:${node.position.line}`, body, place);
    },
    corefileFile(path) {
      const { text: body, name } = read(path);
      return corefile(body, inFile(name));
    },
    inlineCorefile(node) {
      const { body, place } = inline(text, file, node, "the Corefile's text");
      return corefile(body, place);
    },
    checkDefined(what, name) {
      const names = defined[what];
      if (names.includes(name)) return;
      throw new ValueError(`no ${what} named ${JSON.stringify(name)}${guess(name, names)}; ${names.length ? `the ${what}s are ${names.join(", ")}` : `the scenario has no ${what}s`}`);
    },
  };
}

/**
 * The names the scenario's clusters define, read from the YAML before it is checked, so that a
 * name can be checked where it is written, before or after spec.clusters. Values of the wrong type
 * are left out: checking spec.clusters reports them.
 */
function definedNames(root: YamlNode): Record<Defined, string[]> {
  const defined: Record<Defined, Set<string>> = { cluster: new Set(), region: new Set(), zone: new Set(), network: new Set() };
  const add = (what: Defined, node: YamlNode | undefined) => {
    if (node?.kind === "scalar" && typeof node.value === "string") defined[what].add(node.value);
  };
  const clusters = entry(entry(root, "spec"), "clusters");
  for (const cluster of clusters?.kind === "seq" ? clusters.items : []) {
    add("cluster", entry(cluster, "name"));
    add("region", entry(cluster, "region"));
    const zones = entry(cluster, "zones");
    for (const zone of zones?.kind === "seq" ? zones.items : []) add("zone", zone);
    const network = entry(cluster, "network");
    // A cluster's network is `default` unless it names one (Topology.addCluster).
    if (network) add("network", network);
    else defined.network.add("default");
  }
  // Hosts outside the clusters (the internet's resolver) are on a network of their own.
  defined.network.add(EXTERNAL_NETWORK);
  return { cluster: [...defined.cluster], region: [...defined.region], zone: [...defined.zone], network: [...defined.network] };
}

/** The value of a map's field, if the node is a map that has it (with a value). */
function entry(node: YamlNode | undefined, key: string): YamlNode | undefined {
  const value = node?.kind === "map" ? node.entries.find((e) => e.key === key)?.value : undefined;
  return value?.kind === "scalar" && value.value === null ? undefined : value;
}

/** Where a place (1-based line and column) inside a manifest or Corefile text is: in which file, and where there. */
interface Place {
  readonly file: string;
  at(line: number, column: number): { line: number; column: number };
}

/** A file read whole: its places are its own. */
function inFile(file: string): Place {
  return { file, at: (line, column) => ({ line, column }) };
}

function placed(place: Place, line: number, column: number, path: string, detail: string): ScenarioError {
  const at = place.at(line, column);
  return new ScenarioError(place.file, at.line, at.column, path, detail);
}

/**
 * Where the places of a text written inline in the scenario file are. A literal block (`inline: |`)
 * keeps its lines: its first line is the one after the header, and each line is indented by the
 * block's indentation, which is the first line with text less the spaces the text itself keeps
 * (more than an indentation indicator such as `|2` asks for). A one-line plain or quoted string
 * without escapes is where it is written; other texts (folded blocks, escapes, flow strings over
 * several lines) have no exact place in the file, so their problems are reported at their start.
 */
function inline(text: string, file: string, node: YamlNode, what: string): { body: string; place: Place } {
  if (node.kind !== "scalar" || typeof node.value !== "string") throw new ValueError(`expected ${what} (a YAML block starting with |), got ${describe(node)}`);
  const body = node.value;
  const { line, column } = node.position;
  const start = { file, at: () => node.position };
  const lines = text.split("\n");
  // An alias has its anchor's text but its own place: only a text found where it is read maps.
  if (!lines[line - 1]?.slice(column - 1).startsWith(node.source.split("\n")[0]!)) return { body, place: start };
  if (node.source.startsWith("|")) {
    const texts = body.split("\n");
    const k = texts.findIndex((l) => l.trim() !== "");
    const indent = k < 0 ? 0 : leadingSpaces(lines[line + k] ?? "") - leadingSpaces(texts[k]!);
    return { body, place: { file, at: (l, c) => ({ line: line + l, column: c + indent }) } };
  }
  const quote = /^["']/.test(node.source) ? 1 : 0;
  if (!body.includes("\n") && node.source.slice(quote, quote + body.length) === body) {
    return { body, place: { file, at: (_, c) => ({ line, column: column + quote + c - 1 }) } };
  }
  return { body, place: start };
}

function leadingSpaces(line: string): number {
  return /^ */.exec(line)![0].length;
}

/** `dir/scenario.yaml` + `manifests/a.yaml` → `dir/manifests/a.yaml`. */
export function relativeTo(base: string, path: string): string {
  if (path.startsWith("/")) return path;
  const parts = base.split("/").slice(0, -1);
  for (const part of path.split("/")) {
    if (part === "." || part === "") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/") || ".";
}

/**
 * Every stream and fault the spec refers to exists, and every time lies within the run. (Names of
 * clusters, regions, zones and networks are checked where they are written, by the schema.) Ends
 * left to default (written -1 by the schema, which does not know the duration) become the end of
 * the run.
 */
function crossReferences(spec: ScenarioSpec, fail: Fail): void {
  const within = (t: number, at: PathSegment[]) => {
    if (t > spec.duration) fail(at, `${formatDuration(t)} is after the end of the run (duration ${formatDuration(spec.duration)})`);
  };
  const federation = spec.patterns.dnsFederation;
  if (federation) {
    const members = federation.clusters.length > 0 ? federation.clusters.length : spec.clusters.length;
    if (members < 2) fail(["patterns", "dnsFederation"], "a federation needs two clusters or more; the scenario has one");
    if (members > MAX_FEDERATION_MEMBERS) fail(["patterns", "dnsFederation", "clusters"], `at most ${MAX_FEDERATION_MEMBERS} clusters can federate (one external address each); list the members`);
  }
  const cilium = spec.patterns.cilium;
  if (cilium) {
    const members = ciliumMembers(spec, cilium);
    if (members.length < 2) fail(["patterns", "cilium"], "a cluster mesh needs two clusters or more; the scenario has one");
    members.forEach((m, i) => {
      const first = members.findIndex((o) => o.id === m.id);
      if (first < i) fail(["patterns", "cilium", "clusters", i, "id"], `cluster ID ${m.id} is ${members[first]!.name}'s already; each member needs its own`);
    });
    // ClusterMesh routes pod IPs between clusters (mesh.md §6): one flat network.
    const networkOf = (name: string) => spec.clusters.find((c) => c.name === name)?.network ?? "default";
    const apart = members.find((m) => networkOf(m.name) !== networkOf(members[0]!.name));
    if (apart) fail(["patterns", "cilium", "clusters"], `cluster ${apart.name} is on network ${networkOf(apart.name)} and ${members[0]!.name} on ${networkOf(members[0]!.name)}: ClusterMesh members must share one network`);
  }
  const linkerd = spec.patterns.linkerd;
  if (linkerd && linkerd.clusters.length > 0) {
    const members = linkerd.clusters.map((c) => c.name);
    linkerd.links.forEach((l, i) => {
      for (const end of ["from", "to"] as const) {
        if (!members.includes(l[end])) fail(["patterns", "linkerd", "links", i, end], `cluster ${l[end]} is not a Linkerd member; the members (spec.patterns.linkerd.clusters) are ${members.join(", ")}`);
      }
    });
  }
  if (spec.warmup >= spec.duration) fail(["warmup"], `must be shorter than the run (duration ${formatDuration(spec.duration)})`);
  spec.traffic.forEach((s, i) => {
    if (s.start >= spec.duration) fail(["traffic", i, "start"], `the stream starts at or after the end of the run (duration ${formatDuration(spec.duration)})`);
    if (s.end < 0) (s as { end: number }).end = spec.duration;
    within(s.end, ["traffic", i, "end"]);
  });
  const faults = new Map(spec.faults.map((f) => [f.name, f]));
  spec.faults.forEach((f, i) => {
    within(f.at, ["faults", i, "at"]);
    const a = f.action;
    if ((a.kind === "heal" || a.kind === "release") && a.fault !== undefined) {
      const wanted = a.kind === "heal" ? "partition" : "hold";
      if (faults.get(a.fault)?.action.kind !== wanted) {
        const candidates = spec.faults.filter((g) => g.action.kind === wanted).map((g) => g.name);
        fail(["faults", i, a.kind], `no ${wanted} named ${JSON.stringify(a.fault)}${guess(a.fault, candidates)}; write all, or one of: ${candidates.join(", ") || `(no ${wanted} in this scenario)`}`);
      }
    }
    if (a.kind === "join" || a.kind === "leave") {
      if (!spec.patterns.mcs) fail(["faults", i, a.kind], `${a.kind} acts on the MCS clusterset, and this scenario has none: add spec.patterns.mcs`);
      const members = mcsMembers(spec);
      if (!members.includes(a.cluster)) {
        fail(["faults", i, a.kind, "cluster"], `cluster ${a.cluster} is not a member of the MCS clusterset; the members (spec.patterns.mcs.clusters) are ${members.join(", ")}`);
      }
    }
  });
  const streams = spec.traffic.map((s) => s.name);
  spec.expect.forEach((e, i) => {
    if (!streams.includes(e.stream)) fail(["expect", i, "stream"], `no stream named ${JSON.stringify(e.stream)}${guess(e.stream, streams)}; the streams are ${streams.join(", ") || "none"}`);
    // A lookup has no status and a call sends no queries of its own: such a check could only count nothing.
    const kind = spec.traffic.find((s) => s.name === e.stream)?.action.kind;
    const only = CHECKS_OF[e.check.kind];
    if (kind && only && only !== kind) fail(["expect", i, e.check.kind], `checks a ${only} stream, and ${e.stream} is a ${kind} stream; use ${kind === "request" ? "status or error" : "rcode or queriesPerLookup"}`);
    const clusters = spec.clusters.map((c) => c.name);
    if (e.to && !clusters.includes(e.to.cluster)) fail(["expect", i, "to", "cluster"], `no cluster named ${JSON.stringify(e.to.cluster)}${guess(e.to.cluster, clusters)}; the clusters are ${clusters.join(", ")}`);
    const w = e.window;
    if (w.kind === "phase") {
      const fault = faults.get(w.fault);
      if (!fault) fail(["expect", i, "fault"], `no fault named ${JSON.stringify(w.fault)}${guess(w.fault, [...faults.keys()])}; the faults are ${[...faults.keys()].join(", ") || "none"}`);
      if (w.phase === "during" && fault.for === undefined && INSTANT_ACTIONS.has(fault.action.kind)) {
        fail(["expect", i, "phase"], `${fault.name} (${fault.action.kind}) happens at one instant and has no during; use before or after, or a window`);
      }
    }
    if (w.kind === "window") {
      if (w.from >= spec.duration) fail(["expect", i, "window", "from"], `the window starts at or after the end of the run (duration ${formatDuration(spec.duration)})`);
      if (w.to < 0) (w as { to: number }).to = spec.duration;
      within(w.to, ["expect", i, "window", "to"]);
      if (w.to <= w.from) fail(["expect", i, "window", "to"], `must be after from (${formatDuration(w.from)})`);
    }
  });
}

/** The checks that only one kind of stream can meet. */
const CHECKS_OF: Partial<Record<ScenarioSpec["expect"][number]["check"]["kind"], ScenarioSpec["traffic"][number]["action"]["kind"]>> = {
  rcode: "resolve",
  queriesPerLookup: "resolve",
  status: "request",
  error: "request",
};

/** ` (did you mean "x"?)` when a name is close to one of the candidates. */
function guess(name: string, candidates: readonly string[]): string {
  const best = didYouMean(name, candidates);
  return best === undefined ? "" : ` (did you mean ${JSON.stringify(best)}?)`;
}
