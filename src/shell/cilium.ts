/**
 * The Cilium CLI against the simulated ClusterMesh: `cilium clustermesh status`, with `--context`
 * choosing the cluster. The formatter is a pure function over what the cluster's agents and
 * clustermesh-apiserver report, printing the lines cilium-cli prints (mesh.md §6): the
 * clustermesh-apiserver's Service and address, how many nodes are connected to every cluster,
 * each remote cluster's connections, the global services, and an error per agent and cluster not
 * connected. Errors have cobra's shape: `Error: ...`, exit status 1.
 */
import type { ToolOutput } from "../dns/format/output.js";
import type { RemoteClusterStatus } from "../mesh/cilium/agent.js";
import { CILIUM_NAMESPACE } from "../mesh/cilium/clustermesh.js";
import type { World } from "../scenario/world.js";
import { KubectlError, parseFlags } from "./kubectl/flags.js";

/** The subcommands the lab shell completes. */
export const CILIUM_COMMANDS: readonly string[] = ["clustermesh"];

/** What `cilium clustermesh status` reads of one cluster. */
export interface ClusterMeshStatusView {
  /** The clustermesh-apiserver's addresses, `ip:port`. */
  readonly access: readonly string[];
  /** The agent pods, one per node; every one sees what the cluster's agent sees. */
  readonly agents: readonly string[];
  readonly remotes: readonly RemoteClusterStatus[];
  /** Global Services the agents know. */
  readonly globalServices: number;
}

/** cilium-cli's `[min:N / avg:N.N / max:N]`, over agents that all report `n`. */
const spread = (n: number, space = "") => `[${space}min:${n} / avg:${n.toFixed(1)} / max:${n}${space}]`;

/** `cilium clustermesh status`'s summary output. */
export function clustermeshStatus(v: ClusterMeshStatusView): string {
  const lines = ['✅ Service "clustermesh-apiserver" of type "LoadBalancer" found', "✅ Cluster access information is available:"];
  for (const a of v.access) lines.push(`  - ${a}`);
  lines.push("✅ Deployment clustermesh-apiserver is ready", "ℹ️  KVStoreMesh is disabled", "");
  const total = v.agents.length;
  const connected = v.remotes.filter((r) => r.state === "ready").length;
  const notReady = connected < v.remotes.length ? total : 0;
  if (notReady > 0) lines.push(`⚠️  ${notReady}/${total} nodes are not connected to all clusters ${spread(connected)}`);
  else if (v.remotes.length > 0) lines.push(`✅ All ${total} nodes are connected to all clusters ${spread(connected)}`);
  lines.push("");
  if (v.remotes.length > 0) {
    lines.push("🔌 Cluster Connections:");
    for (const r of [...v.remotes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      lines.push(`  - ${r.name}: ${total}/${total} configured, ${r.state === "ready" ? total : 0}/${total} connected`);
    }
  } else lines.push("🔌 No cluster connected");
  lines.push("", `🔀 Global services: ${spread(v.globalServices, " ")}`, "");
  const down = v.remotes.filter((r) => r.state !== "ready");
  if (down.length > 0) {
    lines.push(`❌ ${down.length * total} Errors:`);
    for (const pod of [...v.agents].sort()) {
      for (const r of down) {
        lines.push(`  ❌ ${pod} is not connected to cluster ${r.name}: ${r.state === "connecting" ? "Waiting for initial connection to be established" : "the connection to the remote kvstore was lost (keepalive timeout)"}`);
        lines.push(`     💡 Run 'kubectl exec -it -n ${CILIUM_NAMESPACE} ${pod} -c cilium-agent -- cilium-dbg troubleshoot clustermesh ${r.name}' to investigate the cause`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

class CiliumError extends Error {}

/** `cilium ARGS` in the context's cluster. */
export function cilium(target: { readonly world: World; readonly context: string }, args: readonly string[]): ToolOutput {
  try {
    const flags = parseFlags(args, {});
    const context = flags.values.get("context") ?? target.context;
    const [command, sub, extra] = flags.words;
    if (command === undefined) throw new CiliumError(`a subcommand is required: cilium ${CILIUM_COMMANDS.join("|")} status`);
    if (command !== "clustermesh") throw new CiliumError(`unknown command "${command}" for "cilium"\nRun 'cilium --help' for usage.`);
    if (sub !== "status") throw new CiliumError(sub === undefined ? "a subcommand is required: cilium clustermesh status" : `unknown command "${sub}" for "cilium clustermesh"`);
    if (extra !== undefined) throw new CiliumError(`unknown command "${extra}" for "cilium clustermesh status"`);
    if (!target.world.clusters.has(context)) throw new CiliumError(`context "${context}" does not exist`);
    const mesh = target.world.cilium;
    const agent = mesh?.agents.get(context);
    if (!mesh || !agent) throw new CiliumError(`Unable to determine status:  services "clustermesh-apiserver" not found`);
    const server = mesh.apiservers.get(context)!.address!;
    const view: ClusterMeshStatusView = { access: [`${server.ip}:${server.port}`], agents: mesh.agentPods(context), remotes: agent.remoteClusters(), globalServices: agent.globalServices() };
    return { stdout: clustermeshStatus(view), stderr: "", exitCode: 0 };
  } catch (e) {
    if (e instanceof CiliumError || e instanceof KubectlError) return { stdout: "", stderr: `Error: ${e.message}\n`, exitCode: 1 };
    throw e;
  }
}
