import type { Deployment, EndpointSlice, K8sObject } from "../src/k8s/objects.js";
import { MILLISECOND, SECOND } from "../src/sim/time.js";
import { World } from "../src/scenario/world.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The Istio mesh (issue 7): (a) HTTP calls through sidecars across two clusters, tracing off, in
 * simulated calls per wall second; (b) one endpoint change pushed to 10,000 sidecars across 10
 * clusters (multi-primary: each istiod pushes to its own cluster's 1,000), in wall seconds from
 * the change until every sidecar has it.
 */

const NS = "bench";
const injected: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: { "istio-injection": "enabled" } } };

function deployment(name: string, replicas: number, port?: number): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: "nginx:1.27", ...(port ? { ports: [{ containerPort: port }] } : {}) }] } },
    },
  };
}

const service = (name: string, selector: boolean): K8sObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: NS },
  spec: { ...(selector ? { selector: { app: name } } : {}), ports: [{ name: "http", port: 80, targetPort: 8080 }] },
});

const meshOptions = (clusters: readonly string[]) => ({
  version: "1.24.0",
  revision: "default",
  model: "multi-primary" as const,
  clusters: clusters.map((name) => ({ name, network: "network1" })),
  injectNamespaces: [NS],
});

/** Calls through sidecars: east's clients keep calls in flight to web, which runs in east and west. */
function requestsPerWallSecond(simulated: number): { perWall: number; calls: number } {
  const w = new World({ seed: 1, traceLevel: "off" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], nodesPerZone: 2, dns: false });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"], nodesPerZone: 2, dns: false });
  for (const c of ["east", "west"]) {
    w.serveHttp(c, [{ name: "web", namespace: NS, labels: { app: "web" }, service: { workers: 64, serviceTime: { kind: "constant", value: MILLISECOND }, queueLimit: 10_000 } }]);
    w.apply(c, [injected, deployment("web", 3, 8080), service("web", true)]);
  }
  w.apply("east", [deployment("client", 10)]);
  w.installIstio(meshOptions(["east", "west"]));
  w.runFor(30 * SECOND);
  const url = `http://${w.cluster("east").api.get("Service", NS, "web")!.spec.clusterIP}/`;
  const clients = w.cluster("east").api.list("Pod", NS).filter((p) => p.metadata.labels?.app === "client").map((p) => `${NS}/${p.metadata.name}`);
  let calls = 0;
  const end = w.sim.now + simulated * SECOND;
  const loop = (client: string) => {
    if (w.sim.now >= end) return;
    w.request("east", client, url, { timeout: 5 * SECOND, onDone: () => {
      calls++;
      loop(client);
    } });
  };
  // 20 calls in flight per client: some 200 at once, each ~70ms across regions or ~1ms in east.
  for (const c of clients) for (let k = 0; k < 20; k++) loop(c);
  const start = process.hrtime.bigint();
  w.runUntil(end + 10 * SECOND);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return { perWall: calls / wall, calls };
}

/** A hand-written EndpointSlice of the selector-less Service `svc`, with `n` addresses. */
function slice(cluster: number, n: number): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "svc-a", namespace: NS, labels: { "kubernetes.io/service-name": "svc" } },
    addressType: "IPv4",
    endpoints: Array.from({ length: n }, (_, e) => ({ addresses: [`10.${cluster}.200.${e + 1}`], conditions: { ready: true } })),
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  };
}

const PUSH = { clusters: 10, sidecarsPerCluster: 1000, services: 10 };

/** One endpoint change in c0 until all 10,000 sidecars have it: wall seconds. */
function pushFanOut(): { wall: number; sidecars: number; converged: boolean } {
  const w = new World({ seed: 1, traceLevel: "off" });
  const names = Array.from({ length: PUSH.clusters }, (_, c) => `c${c}`);
  names.forEach((name, c) => {
    w.addCluster({ name, region: `r${c % 3}`, zones: [`r${c % 3}-z${c}`], nodesPerZone: 4, podCidr: `10.${c}.0.0/16`, serviceCidr: `172.${16 + c}.0.0/16`, dns: false });
    const services = Array.from({ length: PUSH.services }, (_, s) => service(`svc${s}`, false));
    w.apply(name, [injected, service("svc", false), slice(c, 2), ...services, deployment("client", PUSH.sidecarsPerCluster)]);
  });
  w.installIstio(meshOptions(names));
  w.runFor(60 * SECOND);
  const sidecars = w.mesh!.allSidecars();
  const cluster = `outbound|80||svc.${NS}.svc.cluster.local`;
  const have = (n: number) => sidecars.every((s) => s.view().endpoints.get(cluster)?.length === n);
  if (!have(2 * PUSH.clusters) || w.mesh!.pushing) return { wall: Number.NaN, sidecars: sidecars.length, converged: false };
  const start = process.hrtime.bigint();
  w.apply("c0", [slice(0, 3)]);
  let converged = false;
  for (let i = 0; i < 600 && !converged; i++) {
    w.runFor(50 * MILLISECOND);
    converged = !w.mesh!.pushing && have(2 * PUSH.clusters + 1);
  }
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, sidecars: sidecars.length, converged };
}

export const mesh: Benchmark = {
  name: "mesh",
  description: "Istio: calls through sidecars across two clusters (tracing off), and one endpoint change pushed to 10,000 sidecars in 10 clusters",
  run(): Figure[] {
    const figures: Figure[] = [];
    let calls = 0;
    const perWall = best(3, () => {
      const r = requestsPerWallSecond(20);
      calls = r.calls;
      return r.perWall;
    });
    figures.push({ bench: "mesh", figure: `requests.sidecar.2-clusters (${calls.toLocaleString("en-US")} calls)`, value: perWall, unit: "calls/wall-s", target: ">=100000", pass: meets(">=100000", perWall) });
    const push = pushFanOut();
    const wall = push.converged ? push.wall : Number.POSITIVE_INFINITY;
    figures.push({ bench: "mesh", figure: `push.eds.${push.sidecars}-sidecars.10-clusters`, value: wall, unit: "wall-s", target: "<=1", pass: push.converged && meets("<=1", wall) });
    return figures;
  },
};
