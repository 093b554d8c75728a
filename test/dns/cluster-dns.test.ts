import { describe, expect, it } from "vitest";
import { SECOND } from "../../src/index.js";
import type { Deployment, Pod, Service } from "../../src/k8s/objects.js";
import { World } from "../../src/scenario/world.js";
import { CLUSTER_ONLY_COREFILE } from "./corefiles.js";

const web: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
  },
};
const webSvc: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 80 }] },
};
const client = (image: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "client", namespace: "default" },
  spec: { containers: [{ name: "c", image }] },
});

function world(image = "debian:12") {
  const w = new World({ seed: 7 });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], dns: { corefile: CLUSTER_ONLY_COREFILE } });
  w.apply("east", [web, webSvc, client(image)]);
  w.runFor(20 * SECOND);
  return w;
}

describe("in-cluster DNS end to end", () => {
  it("runs kubeadm's kube-dns: the Service at .10 of the range, CoreDNS pods from the coredns ConfigMap", () => {
    const w = world();
    const c = w.cluster("east");
    expect(c.api.get("Service", "kube-system", "kube-dns")!.spec.clusterIP).toBe("10.100.0.10");
    expect(c.api.get("ConfigMap", "kube-system", "coredns")!.data!.Corefile).toBe(CLUSTER_ONLY_COREFILE);
    const pods = c.api.list("Pod", "kube-system").filter((p) => p.metadata.labels?.["k8s-app"] === "kube-dns");
    expect(pods).toHaveLength(2);
    expect(c.proxy.backends("10.100.0.10", 53).map((a) => a.port)).toEqual([53, 53]);
  });

  it("resolves a Service's short name from a glibc pod to its cluster IP with one A and one AAAA query (dns.md §5.7)", () => {
    const w = world();
    const lookup = w.resolve("east", "default/client", "web");
    w.runFor(SECOND);
    const r = lookup.result!;
    expect(r.ok).toBe(true);
    const ip = w.cluster("east").api.get("Service", "default", "web")!.spec.clusterIP!;
    expect(r.addresses).toEqual([{ family: 4, address: ip }]);
    expect(r.queries.map((q) => [q.name, q.qtype, q.server, q.outcome])).toEqual([
      ["web.default.svc.cluster.local", "A", "10.100.0.10", "NOERROR"],
      ["web.default.svc.cluster.local", "AAAA", "10.100.0.10", "NOERROR"],
    ]);
    // A round trip inside one region: well under a few milliseconds.
    expect(r.finishedAt - r.startedAt).toBeGreaterThan(0);
    expect(r.finishedAt - r.startedAt).toBeLessThan(10_000);
  });

  it("walks the search list for a name in another namespace: NXDOMAIN first, then the answer (dns.md §5.7)", () => {
    const w = world();
    w.apply("east", [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "production" } }, { ...webSvc, metadata: { name: "myservice", namespace: "production" } }]);
    w.runFor(SECOND);
    const lookup = w.resolve("east", "default/client", "myservice.production");
    w.runFor(SECOND);
    const r = lookup.result!;
    expect(r.ok).toBe(true);
    expect(r.queries.map((q) => [q.name, q.qtype, q.outcome])).toEqual([
      ["myservice.production.default.svc.cluster.local", "A", "NXDOMAIN"],
      ["myservice.production.default.svc.cluster.local", "AAAA", "NXDOMAIN"],
      ["myservice.production.svc.cluster.local", "A", "NOERROR"],
      ["myservice.production.svc.cluster.local", "AAAA", "NOERROR"],
    ]);
  });

  it("stops a musl pod's walk at NODATA where glibc goes on (dns.md §5.3)", () => {
    const musl = world("alpine:3.20");
    const glibc = world("debian:12");
    const m = musl.resolve("east", "default/client", "kube-system");
    const g = glibc.resolve("east", "default/client", "kube-system");
    musl.runFor(SECOND);
    glibc.runFor(SECOND);
    expect(m.result!.queries.map((q) => q.name)).toEqual(["kube-system.default.svc.cluster.local", "kube-system.default.svc.cluster.local", "kube-system.svc.cluster.local", "kube-system.svc.cluster.local"]);
    expect(m.result!.error).toBe("no-data");
    expect(g.result!.queries.length).toBeGreaterThan(4);
  });

  it("answers from the EndpointSlices a watch delay after a change: a new Service resolves only once CoreDNS has seen it", () => {
    const w = world();
    w.apply("east", [{ ...webSvc, metadata: { name: "late", namespace: "default" } }]);
    const early = w.resolve("east", "default/client", "late.default.svc.cluster.local.");
    w.runFor(SECOND);
    expect(early.result!.ok).toBe(false);
    expect(early.result!.error).toBe("not-found");
    const later = w.resolve("east", "default/client", "late.default.svc.cluster.local.");
    w.runFor(SECOND);
    expect(later.result!.ok).toBe(true);
  });

  it("gives the same lookups, byte for byte, from the same seed", () => {
    const run = () => {
      const w = world();
      const l = w.resolve("east", "default/client", "web");
      w.runFor(SECOND);
      return JSON.stringify(l.result);
    };
    expect(run()).toBe(run());
  });
});

describe("kubeadm's default Corefile", () => {
  it("resolves cluster names from the kubernetes plugin and external names through forward to the node's resolver, then from the cache", () => {
    const w = new World({ seed: 3, upstreamRecords: [{ name: "api.example.com", type: "A", data: "203.0.113.7", ttl: 300 }] });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.apply("east", [web, webSvc, client("debian:12")]);
    w.runFor(20 * SECOND);
    const first = w.resolve("east", "default/client", "api.example.com.", { family: "inet" });
    w.runFor(SECOND);
    const second = w.resolve("east", "default/client", "api.example.com.", { family: "inet" });
    w.runFor(SECOND);
    const local = w.resolve("east", "default/client", "web", { family: "inet" });
    w.runFor(SECOND);
    expect(first.result!.addresses).toEqual([{ family: 4, address: "203.0.113.7" }]);
    expect(second.result!.addresses).toEqual([{ family: 4, address: "203.0.113.7" }]);
    const took = (r: typeof first) => r.result!.finishedAt - r.result!.startedAt;
    // Forwarded to the upstream (its own service time) the first time; from the cache the second.
    expect(took(first)).toBeGreaterThan(took(second));
    expect(local.result!.ok).toBe(true);
  });

  it("serves the cluster's own domain: kubeadm writes its DNSDomain where the default says cluster.local", () => {
    const w = new World({ seed: 3 });
    w.addCluster({ name: "west", region: "eu-west-1", zones: ["eu-west-1a"], domain: "west.local" });
    w.apply("west", [web, webSvc, client("debian:12")]);
    w.runFor(20 * SECOND);
    expect(w.cluster("west").api.get("ConfigMap", "kube-system", "coredns")!.data!.Corefile).toContain("kubernetes west.local in-addr.arpa ip6.arpa");
    const fqdn = w.resolve("west", "default/client", "web.default.svc.west.local.", { family: "inet" });
    const short = w.resolve("west", "default/client", "web", { family: "inet" });
    w.runFor(SECOND);
    expect(fqdn.result!.ok).toBe(true);
    expect(short.result!.answeredName).toBe("web.default.svc.west.local");
  });

  it("answers NXDOMAIN for a name nobody knows, after the search walk (dns.md §5.7)", () => {
    const w = new World({ seed: 3 });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.apply("east", [client("debian:12")]);
    w.runFor(20 * SECOND);
    const l = w.resolve("east", "default/client", "nothing.example.org", { family: "inet" });
    w.runFor(5 * SECOND);
    expect(l.result!.error).toBe("not-found");
    expect(l.result!.queries.map((q) => q.name)).toEqual([
      "nothing.example.org.default.svc.cluster.local",
      "nothing.example.org.svc.cluster.local",
      "nothing.example.org.cluster.local",
      "nothing.example.org",
    ]);
  });
});

describe("large answers (dns.md §3.2, §8)", () => {
  it("truncates a headless Service's 60 addresses to 512 bytes with TC over UDP, and glibc gets them all over TCP", () => {
    const w = new World({ seed: 5 });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], nodesPerZone: 2, dns: { corefile: CLUSTER_ONLY_COREFILE } });
    w.apply("east", `
apiVersion: v1
kind: Service
metadata: {name: many}
spec:
  clusterIP: None
  selector: {app: many}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: many}
spec:
  replicas: 60
  selector: {matchLabels: {app: many}}
  template:
    metadata: {labels: {app: many}}
    spec: {containers: [{name: m, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: "debian:12"}]}
`);
    w.runFor(30 * SECOND);
    const lookup = w.resolve("east", "default/client", "many.default.svc.cluster.local.", { family: "inet" });
    w.runFor(SECOND);
    const r = lookup.result!;
    expect(r.ok).toBe(true);
    expect(r.addresses).toHaveLength(60);
    expect(r.queries.map((q) => [q.transport, q.truncated ?? false])).toEqual([
      ["udp", true],
      ["tcp", false],
    ]);
  });
});

describe("dns.md §5.7: myservice.production.svc.us-east.example.com from a default pod", () => {
  // The name has five dots, so with ndots:5 it is tried as is first (the table's note says four).
  const name = "myservice.production.svc.us-east.example.com";
  const lookupFrom = (records: { name: string; type: "A"; data: string }[]) => {
    const w = new World({ seed: 2, upstreamRecords: records });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.apply("east", [client("debian:12")]);
    w.runFor(20 * SECOND);
    const l = w.resolve("east", "default/client", name);
    w.runFor(30 * SECOND);
    return l.result!;
  };

  it("takes 2 queries (A and AAAA of the name as is) when the name resolves", () => {
    const r = lookupFrom([{ name, type: "A", data: "203.0.113.80" }]);
    expect(r.ok).toBe(true);
    expect(r.queries.map((q) => [q.name, q.qtype])).toEqual([
      [name, "A"],
      [name, "AAAA"],
    ]);
  });

  it("takes 8 queries when it does not: the name as is, then the three cluster search domains", () => {
    const r = lookupFrom([]);
    expect(r.ok).toBe(false);
    expect(r.queries.map((q) => q.name)).toEqual([
      name,
      name,
      `${name}.default.svc.cluster.local`,
      `${name}.default.svc.cluster.local`,
      `${name}.svc.cluster.local`,
      `${name}.svc.cluster.local`,
      `${name}.cluster.local`,
      `${name}.cluster.local`,
    ]);
  });
});
