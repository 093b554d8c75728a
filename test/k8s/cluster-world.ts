import { Actor, Network, Sim, Topology, type Address, type Message } from "../../src/index.js";
import { KubeCluster } from "../../src/k8s/cluster.js";
import type { Deployment, Pod, Service, StatefulSet } from "../../src/k8s/objects.js";

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
