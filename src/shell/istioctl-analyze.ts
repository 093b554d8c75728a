/**
 * `istioctl analyze` against one cluster of the simulated mesh: the analyzers for the mistakes
 * the lesson's patterns invite, with istioctl's output. Real analyzers keep their codes and
 * words (IST0101 ReferencedResourceNotFound for a VirtualService destination's host or subset,
 * IST0102 NamespaceNotInjected, IST0134 ServiceEntryAddressesRequired); two are mcsim's own and
 * say so by their SIM codes: a Service that exists in another member cluster but not in this
 * one while DNS capture is off (its name is NXDOMAIN here, mesh.md §4), and a DestinationRule
 * with locality failover but no outlier detection (Istio then puts every endpoint at one
 * priority, so traffic never fails over, mesh.md §3.1).
 *
 * Output as istioctl's log format: a line per message, `Level [CODE] (Kind namespace/name)
 * text`, sorted by level (Error, Warning, Info), code and resource, on stdout. With none at or
 * above `--output-threshold`, `✔ No validation issues found when analyzing namespace: NS.` (or
 * `all namespaces`) on stderr. A message at or above `--failure-threshold` (default Error) ends
 * with istioctl's error and exit status 79.
 */
import type { ToolOutput } from "../dns/format/output.js";
import type { DestinationRule, ServiceEntry, VirtualService } from "../k8s/istio.js";
import type { Namespace, Service } from "../k8s/objects.js";
import { effectivePolicy, resolveHost } from "../mesh/istio/config.js";
import { DNS_AUTO_ALLOCATE, DNS_CAPTURE, INJECTION_LABEL, ISTIO_NAMESPACE } from "../mesh/istio/mesh.js";
import type { World } from "../scenario/world.js";

/** A message's level, in istioctl's order of severity. */
export type AnalysisLevel = "Error" | "Warning" | "Info";
const LEVELS: readonly AnalysisLevel[] = ["Error", "Warning", "Info"];

/** One analyzer message. */
export interface AnalysisMessage {
  readonly level: AnalysisLevel;
  readonly code: string;
  /** `Kind namespace/name`, or `Namespace name` for a namespace. */
  readonly resource: string;
  /** The namespace the message is about, for `-n`. */
  readonly namespace: string;
  readonly text: string;
}

/** istioctl's exit status when analyzers found issues at the failure threshold (`AnalyzerFoundIssuesError`). */
export const ANALYZER_FOUND_ISSUES = 79;

/** Namespaces the injection analyzer leaves out (Istio's `IsSystemNamespace`, and Istio's own). */
const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(["kube-system", "kube-public", "kube-node-lease", "local-path-storage", ISTIO_NAMESPACE]);

/** The label a revision-based injection uses; a namespace with it is injected too. */
const REVISION_LABEL = "istio.io/rev";

const ns = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? "default";
const ref = (kind: string, o: { metadata: { namespace?: string; name: string } }) => `${kind} ${ns(o)}/${o.metadata.name}`;

/** Every analyzer's messages for one cluster (`context`) of the world, unsorted and unfiltered. */
export function analyzeCluster(world: World, context: string): AnalysisMessage[] {
  const api = world.cluster(context).api;
  const domain = world.cluster(context).domain;
  const out: AnalysisMessage[] = [];
  const services = api.list("Service");
  const entries = api.list("ServiceEntry");
  const rules = api.list("DestinationRule");
  const metadata = world.mesh?.options.proxyMetadata ?? {};
  const hosts = new Set([...services.map((s) => `${s.metadata.name}.${ns(s)}.svc.${domain}`), ...entries.flatMap((e) => e.spec.hosts)]);
  for (const vs of api.list("VirtualService")) out.push(...destinationMessages(vs, hosts, rules, domain));
  for (const n of api.list("Namespace")) {
    const message = namespaceMessage(n);
    if (message) out.push(message);
  }
  if (metadata[DNS_AUTO_ALLOCATE] !== "true") for (const e of entries) out.push(...entryMessages(e));
  for (const dr of rules) {
    const message = failoverMessage(dr);
    if (message) out.push(message);
  }
  if (metadata[DNS_CAPTURE] !== "true") out.push(...missingServiceMessages(world, context, services));
  return out;
}

/** IST0101: a destination's host that is neither a Service of this cluster nor a ServiceEntry host, or a subset no DestinationRule of it has. */
function destinationMessages(vs: Readonly<VirtualService>, hosts: ReadonlySet<string>, rules: readonly Readonly<DestinationRule>[], domain: string): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  const namespace = ns(vs);
  for (const route of vs.spec.http ?? []) {
    for (const { destination } of route.route) {
      const host = resolveHost(destination.host, namespace, domain);
      const error = (text: string): AnalysisMessage => ({ level: "Error", code: "IST0101", resource: ref("VirtualService", vs), namespace, text });
      if (!host.includes("*") && !hosts.has(host)) {
        out.push(error(`Referenced host not found: "${destination.host}"`));
        continue;
      }
      if (destination.subset === undefined) continue;
      const found = rules.some((r) => resolveHost(r.spec.host, ns(r), domain) === host && (r.spec.subsets ?? []).some((s) => s.name === destination.subset));
      if (!found) out.push(error(`Referenced host+subset in destinationrule not found: "${destination.host}+${destination.subset}"`));
    }
  }
  return out;
}

/** IST0102: a namespace with no injection label, but for the system ones. */
function namespaceMessage(n: Readonly<Namespace>): AnalysisMessage | undefined {
  const name = n.metadata.name;
  const labels = n.metadata.labels ?? {};
  if (SYSTEM_NAMESPACES.has(name) || labels[INJECTION_LABEL] !== undefined || labels[REVISION_LABEL] !== undefined) return undefined;
  const text = `The namespace is not enabled for Istio injection. Run 'kubectl label namespace ${name} istio-injection=enabled' to enable it, or 'kubectl label namespace ${name} istio-injection=disabled' to explicitly mark it as not needing injection.`;
  return { level: "Info", code: "IST0102", resource: `Namespace ${name}`, namespace: name, text };
}

/** IST0134: a ServiceEntry without addresses with a TCP port (or one of no protocol), when addresses are not allocated. */
function entryMessages(e: Readonly<ServiceEntry>): AnalysisMessage[] {
  if ((e.spec.addresses ?? []).length > 0) return [];
  const tcp = (e.spec.ports ?? []).some((p) => p.protocol === undefined || p.protocol.toUpperCase() === "TCP");
  return tcp ? [{ level: "Warning", code: "IST0134", resource: ref("ServiceEntry", e), namespace: ns(e), text: "ServiceEntry addresses are required for this protocol." }] : [];
}

/** SIM0002: locality failover (failover or failoverPriority) in a policy without outlierDetection. */
function failoverMessage(dr: Readonly<DestinationRule>): AnalysisMessage | undefined {
  const policies = [undefined, ...(dr.spec.subsets ?? [])].map((s) => effectivePolicy(dr, s));
  const bad = policies.some((p) => {
    const lb = p.loadBalancer?.localityLbSetting;
    return (lb?.failover?.length || lb?.failoverPriority?.length) && !p.outlierDetection;
  });
  if (!bad) return undefined;
  const text =
    "localityLbSetting failover has no effect without outlierDetection: Istio gives every endpoint the same priority, so traffic never fails over to another locality. Add an outlierDetection to the traffic policy (mesh.md §3.1).";
  return { level: "Warning", code: "SIM0002", resource: ref("DestinationRule", dr), namespace: ns(dr), text };
}

/**
 * SIM0001: a Service of another mesh cluster in a namespace this cluster has, with no Service of
 * its name here: without DNS capture its name does not resolve here (mesh.md §4).
 */
function missingServiceMessages(world: World, context: string, local: readonly Readonly<Service>[]): AnalysisMessage[] {
  const mesh = world.mesh;
  if (!mesh || !mesh.options.clusters.some((c) => c.name === context)) return [];
  const api = world.cluster(context).api;
  const here = new Set(local.map((s) => `${ns(s)}/${s.metadata.name}`));
  const elsewhere = new Map<string, { service: Readonly<Service>; clusters: string[] }>();
  for (const member of mesh.options.clusters) {
    if (member.name === context) continue;
    for (const s of world.cluster(member.name).api.list("Service")) {
      const key = `${ns(s)}/${s.metadata.name}`;
      if (SYSTEM_NAMESPACES.has(ns(s)) || key === "default/kubernetes" || here.has(key) || !api.get("Namespace", "", ns(s))) continue;
      const seen = elsewhere.get(key);
      if (seen) seen.clusters.push(member.name);
      else elsewhere.set(key, { service: s, clusters: [member.name] });
    }
  }
  return [...elsewhere.values()].map(({ service, clusters }) => ({
    level: "Warning",
    code: "SIM0001",
    resource: ref("Service", service),
    namespace: ns(service),
    text: `The Service exists in cluster ${clusters.join(", ")} but not in this cluster (${context}): its name does not resolve here, since kube-dns is per cluster and DNS capture (ISTIO_META_DNS_CAPTURE) is off. Create the Service in every cluster that calls it, or turn DNS capture on (mesh.md §4).`,
  }));
}

/** Options of {@link formatAnalysis}. */
export interface AnalyzeOptions {
  /** `-n`: the namespace analyzed; undefined with `-A`. */
  readonly namespace: string | undefined;
  readonly outputThreshold: AnalysisLevel;
  readonly failureThreshold: AnalysisLevel;
  /** The Istio version, for the documentation link. */
  readonly version: string;
}

const rank = (l: AnalysisLevel) => LEVELS.indexOf(l);

/** What `istioctl analyze` prints for these messages, and its exit status. */
export function formatAnalysis(messages: readonly AnalysisMessage[], options: AnalyzeOptions): ToolOutput {
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const shown = messages
    .filter((m) => (options.namespace === undefined || m.namespace === options.namespace) && rank(m.level) <= rank(options.outputThreshold))
    .sort((a, b) => rank(a.level) - rank(b.level) || text(a.code, b.code) || text(a.resource, b.resource) || text(a.text, b.text));
  const target = options.namespace === undefined ? "all namespaces" : `namespace: ${options.namespace}`;
  if (shown.length === 0) return { stdout: "", stderr: `\u2714 No validation issues found when analyzing ${target}.\n`, exitCode: 0 };
  const stdout = shown.map((m) => `${m.level} [${m.code}] (${m.resource}) ${m.text}\n`).join("");
  if (!shown.some((m) => rank(m.level) <= rank(options.failureThreshold))) return { stdout, stderr: "", exitCode: 0 };
  const [major = "1", minor = "0"] = options.version.split(".");
  return {
    stdout,
    stderr: `Error: Analyzers found issues when analyzing ${target}.\nSee https://istio.io/v${major}.${minor}/docs/reference/config/analysis for more information about causes and resolutions.\n`,
    exitCode: ANALYZER_FOUND_ISSUES,
  };
}

/** A threshold flag's value as a level (istioctl takes them in any case). */
export function parseLevel(value: string): AnalysisLevel | undefined {
  return LEVELS.find((l) => l.toLowerCase() === value.toLowerCase());
}
