import { Actor, Network, Sim, Topology, type Address, type Message } from "../../src/index.js";
import type { Distribution } from "../../src/sim/distribution.js";
import { ApiServer, type ApiServerOptions } from "../../src/k8s/apiserver.js";
import { KubeCluster } from "../../src/k8s/cluster.js";
import { SERVICE_NAME_LABEL } from "../../src/k8s/endpointslices.js";
import type { ConfigMap, Deployment, EndpointSlice, Namespace, Pod, Service, StatefulSet } from "../../src/k8s/objects.js";

/** A sim with one two-zone cluster `east` (two nodes per zone) and its KubeCluster. */
export function oneCluster(seed = 1) {
  const sim = new Sim({ seed });
  const topology = new Topology();
  const east = topology.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 2 });
  const net = new Network(sim, topology);
  const cluster = new KubeCluster(sim, net, east);
  return { sim, topology, net, cluster };
}

export function deployment(name: string, replicas: number, labels: Record<string, string> = { app: name }): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080 }] }] } },
    },
  };
}

export function service(name: string, selector: Record<string, string> | undefined, extra: Partial<Service["spec"]> = {}): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }], ...extra },
  };
}

export function statefulSet(name: string, replicas: number, serviceName: string): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      serviceName,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "db", image: "postgres:16", ports: [{ name: "pg", containerPort: 5432 }] }] } },
    },
  };
}

export function pod(name: string, labels: Record<string, string>, status?: Pod["status"]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels },
    spec: { containers: [{ name: "app", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080 }] }] },
    ...(status ? { status } : {}),
  };
}

/** Records which backend each message reached. */
export class Echo extends Actor {
  readonly got: string[] = [];
  constructor(sim: Sim, name: string) {
    super(sim, { cluster: "east", namespace: "default", name });
    this.handle("hello", (m: Message) => this.got.push(String(m.body)));
  }
}

/** Sends `hello` messages. */
export class Sender extends Actor {
  constructor(sim: Sim) {
    super(sim, { cluster: "east", namespace: "default", name: "sender" });
  }
  hello(to: Address, body: string): void {
    this.send(to, "hello", body);
  }
}

// ---- helpers for the API server and controller suites ----------------------------------------

/** A sim with one cluster `east` (two zones × `nodesPerZone` nodes) and options for its KubeCluster. */
export function world(options: { seed?: number; watchDelay?: Distribution; podStartup?: Distribution; nodesPerZone?: number; traceLevel?: "off" | "summary" } = {}) {
  const sim = new Sim({ seed: options.seed ?? 1, traceLevel: options.traceLevel ?? "off" });
  const topology = new Topology();
  const east = topology.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: options.nodesPerZone ?? 2 });
  const net = new Network(sim, topology);
  const cluster = new KubeCluster(sim, net, east, {
    ...(options.watchDelay ? { watchDelay: options.watchDelay } : {}),
    ...(options.podStartup ? { podStartup: options.podStartup } : {}),
  });
  return { sim, topology, net, cluster };
}

/** A lone API server (no controllers) on a fresh sim. */
export function bareApi(seed = 1, options: ApiServerOptions = {}, cluster = "east") {
  const sim = new Sim({ seed, traceLevel: "summary" });
  const api = new ApiServer(sim, cluster, options);
  return { sim, api };
}

export function configMap(name: string, namespace: string | undefined = "default", data: Record<string, string> = {}): ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, data };
}

export function namespace(name: string): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/** A pod status a manifest may pin: these addresses, Running, Ready (or not). */
export function pinnedStatus(ips: readonly string[], ready = true): NonNullable<Pod["status"]> {
  return { phase: "Running", podIP: ips[0]!, podIPs: ips.map((ip) => ({ ip })), conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
}

/** The slices labelled as belonging to a Service, in name order. */
export function slicesOf(api: ApiServer, serviceName: string, ns = "default"): Readonly<EndpointSlice>[] {
  return api.list("EndpointSlice", ns).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === serviceName);
}

/** Every address of every endpoint of a Service's slices of one family, sorted. */
export function sliceAddresses(api: ApiServer, serviceName: string, family: "IPv4" | "IPv6" = "IPv4"): string[] {
  return slicesOf(api, serviceName)
    .filter((s) => s.addressType === family)
    .flatMap((s) => s.endpoints.flatMap((e) => e.addresses))
    .sort();
}

/** A hand-written EndpointSlice for a selector-less Service. */
export function handSlice(name: string, serviceName: string, addresses: readonly string[], ports: EndpointSlice["ports"] = [{ name: "http", port: 8080, protocol: "TCP" }]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: "default", labels: { [SERVICE_NAME_LABEL]: serviceName } },
    addressType: "IPv4",
    endpoints: addresses.map((a) => ({ addresses: [a] })),
    ...(ports ? { ports } : {}),
  };
}
