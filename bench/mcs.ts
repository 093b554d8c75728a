import { spawnSync } from "node:child_process";
import { ClusterSet } from "../src/mcs/clusterset.js";
import { World } from "../src/scenario/world.js";
import { SECOND } from "../src/sim/time.js";
import type { EndpointSlice, K8sObject } from "../src/k8s/objects.js";
import { meets, type Benchmark, type Figure } from "./figure.js";

/** The issue's scale: 50 clusters, each exporting 2,000 Services with 5 endpoints, all at once. */
const FULL = { clusters: 50, services: 2000 };
/** A tenth of it each way, run first: what the full run's figures are compared with. */
const SMALL = { clusters: 10, services: 200 };
const ENDPOINTS = 5;

interface ChildResult {
  readonly wall: number;
  /** The child's CPU time, user and system: on a shared machine, steadier than wall time. */
  readonly cpu: number;
  readonly simulated: number;
  readonly maxRssMiB: number;
  readonly converged: boolean;
}

/** Each cluster's objects: Services without selectors, their hand-written slices, and their exports. */
function objectsOf(cluster: number, services: number): K8sObject[] {
  const out: K8sObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } }];
  for (let s = 0; s < services; s++) {
    const name = `svc-${s}`;
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-a`, namespace: "bench", labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [`10.${cluster}.${s >> 8}.${(s & 255) ^ e}`], conditions: { ready: true } })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    };
    out.push(
      { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "bench" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] } },
      slice,
      { apiVersion: "multicluster.x-k8s.io/v1beta1", kind: "ServiceExport", metadata: { name, namespace: "bench" } },
    );
  }
  return out;
}

/** Runs in the child: builds the clusterset, exports everything at once, and runs until every member imports every name. */
export function mcsChild(clusters: number, services: number): ChildResult {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const world = new World({ seed: 1 });
  for (let c = 0; c < clusters; c++) {
    world.addCluster({ name: `c${c}`, region: `r${c % 5}`, zones: [`z${c}`], nodesPerZone: 1, network: "flat", podCidr: `10.${c}.0.0/16`, serviceCidr: `172.${16 + (c >> 4)}.${(c & 15) << 4}.0/20`, dns: false });
    world.apply(`c${c}`, objectsOf(c, services));
  }
  const set = new ClusterSet(world.sim, world.network, [...world.clusters.values()]);
  // Converged: every member imports every name from every cluster, slices included.
  const done = () =>
    set.clusters.every((c) => {
      const api = world.cluster(c).api;
      const imports = api.list("ServiceImport", "bench");
      return imports.length === services && imports.every((i) => i.status?.clusters?.length === clusters) && api.count("EndpointSlice", "bench") === services * (clusters + 1);
    });
  let converged = false;
  for (let t = 1; t <= 600; t++) {
    world.runUntil(t * SECOND);
    if (done()) {
      converged = true;
      break;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: (cpu.user + cpu.system) / 1e6, simulated: world.sim.now / SECOND, maxRssMiB: process.resourceUsage().maxRSS / 1024, converged };
}

/**
 * The child's heap limit: a process given the target's 4 GiB, less what is not heap. Within it
 * the collector works harder rather than letting the heap grow past the budget; a run that does
 * not fit fails, and says so.
 */
const HEAP_LIMIT_MIB = 3840;

function child(scale: { clusters: number; services: number }): ChildResult {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MIB}`, process.argv[1]!, "--mcs-child", String(scale.clusters), String(scale.services)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    // Out of memory, most likely: the figures say FAIL, and this says why.
    process.stderr.write(`mcs: the ${scale.clusters}×${scale.services} run failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}\n`);
    return { wall: Number.NaN, cpu: Number.NaN, simulated: Number.NaN, maxRssMiB: Number.NaN, converged: false };
  }
  return JSON.parse(r.stdout) as ChildResult;
}

export const mcs: Benchmark = {
  name: "mcs",
  description: `MCS convergence: ${FULL.clusters} clusters × ${FULL.services} exported Services × ${ENDPOINTS} endpoints, all at once, until every import is in every cluster (and a tenth of it each way)`,
  run(): Figure[] {
    const figures: Figure[] = [];
    for (const [label, scale] of [["small", SMALL], ["full", FULL]] as const) {
      const r = child(scale);
      const tag = `${label}.${scale.clusters}x${scale.services}`;
      const wallTarget = label === "full" ? "<=60" : undefined;
      const memTarget = label === "full" ? "<=4096" : undefined;
      figures.push(
        { bench: "mcs", figure: `${tag}.converged`, value: r.converged ? 1 : 0, unit: "yes", target: ">=1", pass: r.converged },
        { bench: "mcs", figure: `${tag}.simulated`, value: r.simulated, unit: "s" },
        { bench: "mcs", figure: `${tag}.wall`, value: r.wall, unit: "s", ...(wallTarget ? { target: wallTarget, pass: meets(wallTarget, r.wall) } : {}) },
        { bench: "mcs", figure: `${tag}.cpu`, value: r.cpu, unit: "s" },
        { bench: "mcs", figure: `${tag}.peak-rss`, value: r.maxRssMiB, unit: "MiB", ...(memTarget ? { target: memTarget, pass: meets(memTarget, r.maxRssMiB) } : {}) },
      );
    }
    return figures;
  },
};
