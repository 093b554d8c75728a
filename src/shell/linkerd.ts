/**
 * `linkerd` against the simulated clusters: `multicluster gateways` and `multicluster check`
 * (`mc` for short), with `--context` choosing the source cluster whose service mirrors are asked.
 * The formatters are pure functions over what the service mirrors' metrics give (`gateway_alive`,
 * `gateway_latency`) and what the cluster's API server holds, printing what the real ones print
 * (mesh.md §5.5; linkerd/linkerd2 multicluster/cmd/gateways.go, check.go, cli/table/table.go).
 */
import type { ToolOutput } from "../dns/format/output.js";
import { kubeconfigServer } from "../mesh/kubeconfig.js";
import { CLUSTER_NAME_LABEL, MIRRORED_LABEL } from "../mesh/linkerd/mirror.js";
import { MULTICLUSTER_NAMESPACE } from "../mesh/linkerd/mesh.js";
import type { World } from "../scenario/world.js";
import { KubectlError, parseFlags } from "./kubectl/flags.js";

/** A row of `linkerd multicluster gateways`. */
export interface GatewayRow {
  readonly cluster: string;
  readonly alive: boolean;
  readonly services: number;
  /** The last successful probe's latency in milliseconds. */
  readonly latencyMs: number;
}

/**
 * `linkerd multicluster gateways`: CLUSTER and ALIVE left-aligned, flexible (at least 7 and 5
 * wide), NUM_SVC right-aligned in 9, LATENCY right-aligned in 11 (`-` when not alive), two spaces
 * between columns, rows by cluster name (mesh.md §5.5).
 */
export function gatewaysTable(rows: readonly GatewayRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const cells = [["CLUSTER", "ALIVE", "NUM_SVC", "LATENCY"], ...sorted.map((r) => [r.cluster, r.alive ? "True" : "False", String(r.services), r.alive ? `${r.latencyMs}ms` : "-"])];
  const width = (c: number, min: number) => Math.max(min, ...cells.map((r) => r[c]!.length));
  const [w0, w1, w2, w3] = [width(0, 7), width(1, 5), width(2, 9), width(3, 11)];
  return cells.map((r) => `${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]!.padStart(w2)}  ${r[3]!.padStart(w3)}\n`).join("");
}

/** What `linkerd multicluster gateways` reads in a cluster: a row per Link whose gateway is probed. */
export function gatewayRows(world: World, cluster: string): GatewayRow[] {
  const api = world.cluster(cluster).api;
  return (world.linkerd?.mirrorsOf(cluster) ?? []).flatMap((m) => {
    if (!m.probe) return [];
    const services = api.list("Service").filter((s) => s.metadata.labels?.[MIRRORED_LABEL] === "true" && s.metadata.labels?.[CLUSTER_NAME_LABEL] === m.target).length;
    return [{ cluster: m.target, alive: m.probe.metricAlive === true, services, latencyMs: Math.round((m.probe.latency ?? 0) / 1000) }];
  });
}

/** One check of `linkerd multicluster check`: its name, the links it covers, and what failed. */
interface Check {
  readonly name: string;
  readonly items: readonly string[];
  readonly problem?: string;
  readonly hint: string;
}

/** `linkerd multicluster check`: the extension's checks, `√` or `×`, links listed under each, and the result. */
export function multiclusterCheck(world: World, cluster: string): ToolOutput {
  const api = world.cluster(cluster).api;
  const mesh = world.linkerd;
  const links = api.list("Link", MULTICLUSTER_NAMESPACE);
  const targets = links.map((l) => l.spec.targetClusterName ?? l.metadata.name);
  const mirrors = mesh?.mirrorsOf(cluster) ?? [];
  const anchor = mesh?.trustAnchorOf(cluster);
  const failing = (bad: string[], what: string) => (bad.length ? { problem: `${what} ${bad.join(", ")}` } : {}) as { problem?: string };
  const badCredentials = links.filter((l) => {
    const data = l.spec.clusterCredentialsSecret === undefined ? undefined : api.get("Secret", MULTICLUSTER_NAMESPACE, l.spec.clusterCredentialsSecret)?.data?.["kubeconfig"];
    if (data === undefined) return true;
    try {
      kubeconfigServer(Buffer.from(data, "base64").toString("utf8"));
      return false;
    } catch {
      return true;
    }
  });
  const hint = (id: string) => `see https://linkerd.io/2/checks/#${id} for hints`;
  const checks: Check[] = [
    { name: "Link CRD exists", items: [], hint: hint("l5d-multicluster-link-crd-exists") },
    { name: "Link resources are valid", items: targets, hint: hint("l5d-multicluster-links-are-valid") },
    { name: "remote cluster access credentials are valid", items: targets, ...failing(badCredentials.map((l) => l.metadata.name), "missing or invalid credentials for"), hint: hint("l5d-smc-target-clusters-access") },
    { name: "clusters share trust anchors", items: targets, ...failing(targets.filter((t) => mesh?.trustAnchorOf(t) !== anchor), "trust anchors do not match for"), hint: hint("l5d-multicluster-clusters-share-anchors") },
    { name: "service mirror controllers are running", items: targets, ...failing(targets.filter((t) => !mirrors.some((m) => m.target === t)), "no service mirror controller for"), hint: hint("l5d-multicluster-service-mirror-running") },
    { name: "probe services able to communicate with all gateway mirrors", items: targets, ...failing(mirrors.filter((m) => m.probe && m.probe.metricAlive !== true).map((m) => m.target), "liveness checks failed for"), hint: hint("l5d-multicluster-gateways-endpoints") },
    {
      name: "all mirror services have endpoints",
      items: [],
      ...failing(api.list("Service").filter((s) => s.metadata.labels?.[MIRRORED_LABEL] === "true" && s.metadata.labels?.["mirror.linkerd.io/remote-discovery"] === undefined && !(api.get("EndpointSlice", s.metadata.namespace ?? "default", s.metadata.name)?.endpoints ?? []).some((e) => e.conditions?.ready !== false)).map((s) => `${s.metadata.name}.${s.metadata.namespace}`), "Some mirror services do not have endpoints:"),
      hint: hint("l5d-multicluster-services-endpoints"),
    },
  ];
  let out = "linkerd-multicluster\n--------------------\n";
  for (const c of checks) {
    out += `${c.problem ? "×" : "√"} ${c.name}\n`;
    if (c.problem) out += `    ${c.problem}\n    ${c.hint}\n`;
    else for (const i of c.items) out += `\t* ${i}\n`;
  }
  const ok = checks.every((c) => !c.problem);
  out += `\nStatus check results are ${ok ? "√" : "×"}\n`;
  return { stdout: out, stderr: "", exitCode: ok ? 0 : 1 };
}

/** The subcommands of `linkerd`, for completion and help. */
export const LINKERD_COMMANDS = ["multicluster"] as const;

/** Where `linkerd` runs: the world, and the current context (a cluster's name). */
export interface LinkerdTarget {
  readonly world: World;
  readonly context: string;
}

class LinkerdError extends Error {}

/** `linkerd ARGS` against the world, as the real CLI answers (cobra's errors, exit status 1). */
export function linkerd(target: LinkerdTarget, args: readonly string[]): ToolOutput {
  try {
    const flags = parseFlags(args, {});
    const context = flags.values.get("context") ?? target.context;
    const [command, sub, ...more] = flags.words;
    if (command === undefined) throw new LinkerdError(`a subcommand is required: linkerd multicluster gateways|check`);
    if (command !== "multicluster" && command !== "mc") throw new LinkerdError(`unknown command "${command}" for "linkerd"\nRun 'linkerd --help' for usage.`);
    if (!target.world.clusters.has(context)) throw new LinkerdError(`context "${context}" does not exist`);
    if (more.length > 0) throw new LinkerdError(`unknown command "${more[0]}" for "linkerd multicluster ${sub}"`);
    if (sub === "gateways") return { stdout: gatewaysTable(gatewayRows(target.world, context)), stderr: "", exitCode: 0 };
    if (sub === "check") return multiclusterCheck(target.world, context);
    throw new LinkerdError(sub === undefined ? "a subcommand is required: linkerd multicluster gateways|check" : `unknown command "${sub}" for "linkerd multicluster"\nRun 'linkerd multicluster --help' for usage.`);
  } catch (e) {
    if (e instanceof LinkerdError || e instanceof KubectlError) return { stdout: "", stderr: `Error: ${e.message}\n`, exitCode: 1 };
    throw e;
  }
}
