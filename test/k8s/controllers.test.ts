import { describe, expect, it } from "vitest";
import { SECOND, address } from "../../src/index.js";
import { MANAGED_BY, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE } from "../../src/k8s/endpointslices.js";
import type { KubeCluster } from "../../src/k8s/cluster.js";
import type { Kind, Pod, Service } from "../../src/k8s/objects.js";
import { POD_TEMPLATE_HASH, STATEFULSET_POD_NAME } from "../../src/k8s/workloads.js";
import { constant } from "../../src/sim/distribution.js";
import { Echo, Sender, deployment, handSlice, pinnedStatus, pod, service, sliceAddresses, slicesOf, statefulSet, world } from "./cluster-world.js";

const MS = 1_000;
const ALPHABET = "[bcdfghjklmnpqrstvwxz2456789]";

/** Relabels an object in place through the API. */
function relabel(cluster: KubeCluster, kind: "Pod" | "Service", name: string, labels: Record<string, string>): void {
  const current = cluster.api.get(kind, "default", name)!;
  cluster.api.update({ ...current, metadata: { ...current.metadata, labels } } as Pod | Service);
}

const podIps = (cluster: KubeCluster) =>
  cluster.api
    .list("Pod", "default")
    .map((p) => p.status?.podIP)
    .sort();

describe("EndpointSlice controller", () => {
  it("chunks endpoints 100 to a slice, follows scaling, and deletes every slice with the Service", () => {
    const { cluster, sim } = world({ nodesPerZone: 2 });
    cluster.apply([deployment("web", 250), service("web", { app: "web" })]);
    sim.runFor(20 * SECOND);
    expect(MAX_ENDPOINTS_PER_SLICE).toBe(100);
    let slices = slicesOf(cluster.api, "web");
    expect(slices).toHaveLength(3);
    expect(slices.map((s) => s.endpoints.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(sliceAddresses(cluster.api, "web")).toEqual(podIps(cluster));
    expect(new Set(sliceAddresses(cluster.api, "web")).size).toBe(250);
    for (const s of slices) {
      expect(s.metadata.labels?.[MANAGED_BY_LABEL]).toBe(MANAGED_BY);
      expect(s.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: cluster.api.get("Service", "default", "web")!.metadata.uid, controller: true }]);
    }

    cluster.apply([deployment("web", 120)]);
    sim.runFor(5 * SECOND);
    slices = slicesOf(cluster.api, "web");
    expect(slices).toHaveLength(2);
    for (const s of slices) expect(s.endpoints.length).toBeLessThanOrEqual(100);
    expect(sliceAddresses(cluster.api, "web")).toEqual(podIps(cluster));
    expect(podIps(cluster)).toHaveLength(120);

    // No pods: one empty slice stands for the Service, as the real controller's placeholder.
    cluster.apply([deployment("web", 0)]);
    sim.runFor(5 * SECOND);
    slices = slicesOf(cluster.api, "web");
    expect(slices.map((s) => s.endpoints.length)).toEqual([0]);

    cluster.apply([deployment("web", 150)]);
    sim.runFor(20 * SECOND);
    expect(slicesOf(cluster.api, "web")).toHaveLength(2);
    cluster.delete("Service", "default", "web");
    sim.runFor(SECOND);
    expect(slicesOf(cluster.api, "web")).toEqual([]);
    expect(cluster.api.list("EndpointSlice")).toEqual([]);
  });

  it("sets an endpoint's hostname only when the pod's subdomain names the Service", () => {
    const { cluster, sim } = world();
    const mk = (name: string, ip: string, hostname?: string, subdomain?: string): Pod => {
      const p = pod(name, { app: "db" }, pinnedStatus([ip]));
      if (hostname) p.spec.hostname = hostname;
      if (subdomain) p.spec.subdomain = subdomain;
      return p;
    };
    cluster.apply([
      mk("p1", "10.10.0.101", "h1", "db"),
      mk("p2", "10.10.0.102", "h2", "other"),
      mk("p3", "10.10.0.103", "h3"),
      mk("p4", "10.10.0.104", undefined, "db"),
      service("db", { app: "db" }, { clusterIP: "None" }),
      service("other", { app: "db" }),
    ]);
    sim.runFor(SECOND);
    const hostnames = (svc: string) =>
      Object.fromEntries(slicesOf(cluster.api, svc)[0]!.endpoints.map((e) => [e.targetRef!.name, e.hostname ?? null]));
    expect(hostnames("db")).toEqual({ p1: "h1", p2: null, p3: null, p4: null });
    expect(hostnames("other")).toEqual({ p1: null, p2: "h2", p3: null, p4: null });
  });

  it("resolves named target ports through the pods' containers, numbers as given, and leaves out what no pod has", () => {
    const { cluster, sim } = world();
    const p = pod("multi", { app: "m" }, pinnedStatus(["10.10.0.60"]));
    p.spec.containers = [
      { name: "app", image: "nginx", ports: [{ name: "http", containerPort: 8080 }, { name: "metrics", containerPort: 9100 }] },
      { name: "sidecar", image: "envoy", ports: [{ name: "admin", containerPort: 15000 }] },
    ];
    cluster.apply([
      p,
      service("m", { app: "m" }, {
        ports: [
          { name: "web", port: 80, targetPort: "http" },
          { name: "metrics", port: 9000, targetPort: "metrics", protocol: "TCP" },
          { name: "admin", port: 15000, targetPort: "admin" },
          { name: "num", port: 81, targetPort: 8081 },
          { name: "same", port: 82 },
          { name: "missing", port: 83, targetPort: "nope" },
          { name: "grpc", port: 90, targetPort: 9090, protocol: "UDP", appProtocol: "grpc" },
        ],
      }),
    ]);
    sim.runFor(SECOND);
    expect(slicesOf(cluster.api, "m")[0]!.ports).toEqual([
      { name: "web", port: 8080, protocol: "TCP" },
      { name: "metrics", port: 9100, protocol: "TCP" },
      { name: "admin", port: 15000, protocol: "TCP" },
      { name: "num", port: 8081, protocol: "TCP" },
      { name: "same", port: 82, protocol: "TCP" },
      { name: "grpc", port: 9090, protocol: "UDP", appProtocol: "grpc" },
    ]);
  });

  it("writes an IPv6 slice of the pods' IPv6 addresses when the Service has the IPv6 family", () => {
    const { cluster, sim } = world();
    cluster.apply([
      pod("a", { app: "ds" }, pinnedStatus(["10.10.0.40", "fd00:10::40"])),
      pod("b", { app: "ds" }, pinnedStatus(["10.10.0.41", "fd00:10::41"])),
      pod("v4only", { app: "ds" }, pinnedStatus(["10.10.0.42"])),
      service("ds", { app: "ds" }, { clusterIPs: ["10.100.0.50", "fd00:100::50"], ipFamilyPolicy: "RequireDualStack" }),
      service("v4", { app: "ds" }),
    ]);
    sim.runFor(SECOND);
    expect(slicesOf(cluster.api, "ds").map((s) => s.addressType).sort()).toEqual(["IPv4", "IPv6"]);
    expect(sliceAddresses(cluster.api, "ds", "IPv4")).toEqual(["10.10.0.40", "10.10.0.41", "10.10.0.42"]);
    expect(sliceAddresses(cluster.api, "ds", "IPv6")).toEqual(["fd00:10::40", "fd00:10::41"]);
    const v6 = slicesOf(cluster.api, "ds").find((s) => s.addressType === "IPv6")!;
    expect(v6.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    // A single-stack IPv4 Service gets no IPv6 slice, whatever its pods have.
    expect(slicesOf(cluster.api, "v4").map((s) => s.addressType)).toEqual(["IPv4"]);
  });

  it("never changes a slice's addressType as it reconciles a dual-stack Service", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const { cluster, sim } = world({ seed });
      const families = new Map<string, Set<string>>();
      cluster.watch("EndpointSlice", "test", (e) => {
        const set = families.get(e.object.metadata.name) ?? new Set();
        set.add(e.object.addressType);
        families.set(e.object.metadata.name, set);
      });
      cluster.apply([
        pod("a", { app: "ds" }, pinnedStatus(["10.10.0.40", "fd00:10::40"])),
        service("ds", { app: "ds" }, { clusterIPs: ["10.100.0.50", "fd00:100::50"] }),
      ]);
      sim.runFor(SECOND);
      relabel(cluster, "Pod", "a", { app: "ds", round: "1" });
      sim.runFor(SECOND);
      cluster.apply([pod("b", { app: "ds" }, pinnedStatus(["10.10.0.41", "fd00:10::41"]))]);
      sim.runFor(SECOND);
      cluster.setPodReady("default", "a", false);
      sim.runFor(SECOND);
      expect(slicesOf(cluster.api, "ds")).toHaveLength(2);
      for (const [name, set] of families) expect([name, [...set]]).toEqual([name, [set.values().next().value]]);
    }
  });

  it("follows pods' labels and the Service's selector", () => {
    const { cluster, sim } = world();
    cluster.apply([
      pod("a", { app: "web" }, pinnedStatus(["10.10.0.11"])),
      pod("b", { app: "web" }, pinnedStatus(["10.10.0.12"])),
      pod("c", { app: "api" }, pinnedStatus(["10.10.0.13"])),
      service("web", { app: "web" }),
    ]);
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.11", "10.10.0.12"]);
    relabel(cluster, "Pod", "b", { app: "web-canary" });
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.11"]);
    expect(cluster.api.get("Pod", "default", "b")).toBeDefined();
    relabel(cluster, "Pod", "c", { app: "web", extra: "yes" });
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.11", "10.10.0.13"]);
    cluster.apply([service("web", { app: "web-canary" })]);
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.12"]);
    cluster.delete("Pod", "default", "b");
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual([]);
    expect(slicesOf(cluster.api, "web")).toHaveLength(1);
  });

  it("writes no slices for an ExternalName Service, and removes them when a Service becomes one", () => {
    const { cluster, sim } = world();
    cluster.apply([
      pod("a", { app: "web" }, pinnedStatus(["10.10.0.11"])),
      service("ext", { app: "web" }, { type: "ExternalName", externalName: "example.com" }),
      service("web", { app: "web" }),
    ]);
    sim.runFor(SECOND);
    expect(slicesOf(cluster.api, "ext")).toEqual([]);
    expect(slicesOf(cluster.api, "web")).toHaveLength(1);
    cluster.apply([service("web", { app: "web" }, { type: "ExternalName", externalName: "example.org" })]);
    sim.runFor(SECOND);
    expect(slicesOf(cluster.api, "web")).toEqual([]);
  });

  it("marks a not-ready pod serving false even when the Service publishes it as ready", () => {
    const { cluster, sim } = world();
    cluster.apply([
      pod("up", { app: "p" }, pinnedStatus(["10.10.0.50"], true)),
      pod("down", { app: "p" }, pinnedStatus(["10.10.0.51"], false)),
      service("p", { app: "p" }, { publishNotReadyAddresses: true }),
      service("q", { app: "p" }),
    ]);
    sim.runFor(SECOND);
    const conditions = (svc: string) => Object.fromEntries(slicesOf(cluster.api, svc)[0]!.endpoints.map((e) => [e.targetRef!.name, e.conditions]));
    expect(conditions("p")).toEqual({ up: { ready: true, serving: true, terminating: false }, down: { ready: true, serving: false, terminating: false } });
    expect(conditions("q")).toEqual({ up: { ready: true, serving: true, terminating: false }, down: { ready: false, serving: false, terminating: false } });
  });

  it("lags the pods by the watch delay", () => {
    const { cluster, sim } = world({ watchDelay: constant(10 * MS) });
    cluster.apply([pod("a", { app: "web" }, pinnedStatus(["10.10.0.11"])), service("web", { app: "web" })]);
    sim.runFor(SECOND);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.11"]);
    relabel(cluster, "Pod", "a", { app: "gone" });
    sim.runFor(10 * MS - 1);
    expect(sliceAddresses(cluster.api, "web")).toEqual(["10.10.0.11"]);
    sim.runFor(1);
    expect(sliceAddresses(cluster.api, "web")).toEqual([]);
  });
});

describe("Deployments", () => {
  it("replaces every pod when the template changes, with the new pod-template-hash in label and name", () => {
    const { cluster, sim } = world();
    cluster.apply([deployment("web", 3)]);
    sim.runFor(10 * SECOND);
    const before = cluster.api.list("Pod", "default");
    const oldHash = before[0]!.metadata.labels![POD_TEMPLATE_HASH]!;
    expect(oldHash).toMatch(new RegExp(`^${ALPHABET}{10}$`));
    for (const p of before) {
      expect(p.metadata.labels![POD_TEMPLATE_HASH]).toBe(oldHash);
      expect(p.metadata.name).toMatch(new RegExp(`^web-${oldHash}-${ALPHABET}{5}$`));
    }

    // The same template again, or another replica count, keeps the pods.
    const rv = cluster.api.resourceVersion;
    cluster.apply([deployment("web", 3)]);
    sim.runFor(SECOND);
    expect(cluster.api.resourceVersion).toBe(rv);
    cluster.apply([deployment("web", 4)]);
    sim.runFor(10 * SECOND);
    const scaled = cluster.api.list("Pod", "default");
    expect(scaled).toHaveLength(4);
    expect(scaled.every((p) => p.metadata.labels![POD_TEMPLATE_HASH] === oldHash)).toBe(true);
    for (const p of before) expect(scaled.map((s) => s.metadata.uid)).toContain(p.metadata.uid);

    const changed = deployment("web", 4);
    changed.spec.template.spec.containers[0]!.image = "nginx:1.28";
    cluster.apply([changed]);
    sim.runFor(10 * SECOND);
    const after = cluster.api.list("Pod", "default");
    expect(after).toHaveLength(4);
    const newHash = after[0]!.metadata.labels![POD_TEMPLATE_HASH]!;
    expect(newHash).not.toBe(oldHash);
    for (const p of after) {
      expect(p.metadata.labels![POD_TEMPLATE_HASH]).toBe(newHash);
      expect(p.metadata.name).toMatch(new RegExp(`^web-${newHash}-${ALPHABET}{5}$`));
      expect(p.spec.containers[0]!.image).toBe("nginx:1.28");
    }
    const oldUids = new Set(scaled.map((p) => p.metadata.uid));
    expect(after.some((p) => oldUids.has(p.metadata.uid))).toBe(false);
  });

  it("leaves no pods behind when a Deployment is deleted and made again at once", () => {
    const { cluster, sim } = world();
    cluster.apply([deployment("web", 2)]);
    sim.runFor(5 * SECOND);
    cluster.delete("Deployment", "default", "web");
    cluster.apply([deployment("web", 2)]);
    sim.runFor(5 * SECOND);
    const uid = cluster.api.get("Deployment", "default", "web")!.metadata.uid;
    const pods = cluster.api.list("Pod", "default");
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences?.[0]?.uid).toBe(uid);
  });
});

describe("StatefulSets", () => {
  it("scales down by removing the highest ordinals, keeping the others as they were", () => {
    const { cluster, sim } = world();
    cluster.apply([service("db", { app: "db" }, { clusterIP: "None" }), statefulSet("db", 4, "db")]);
    sim.runFor(40 * SECOND);
    const before = cluster.api.list("Pod", "default");
    expect(before.map((p) => p.metadata.name)).toEqual(["db-0", "db-1", "db-2", "db-3"]);
    for (const p of before) expect(p.metadata.labels?.[STATEFULSET_POD_NAME]).toBe(p.metadata.name);
    cluster.apply([statefulSet("db", 2, "db")]);
    sim.runFor(SECOND);
    const after = cluster.api.list("Pod", "default");
    expect(after.map((p) => p.metadata.name)).toEqual(["db-0", "db-1"]);
    expect(after.map((p) => p.metadata.uid)).toEqual(before.slice(0, 2).map((p) => p.metadata.uid));
    expect(slicesOf(cluster.api, "db")[0]!.endpoints.map((e) => e.hostname)).toEqual(["db-0", "db-1"]);
    cluster.apply([statefulSet("db", 3, "db")]);
    sim.runFor(20 * SECOND);
    const again = cluster.api.list("Pod", "default");
    expect(again.map((p) => p.metadata.name)).toEqual(["db-0", "db-1", "db-2"]);
    expect(again[2]!.metadata.uid).not.toBe(before[2]!.metadata.uid);
  });

  it("replaces a deleted pod under the same name and hostname", () => {
    const { cluster, sim } = world();
    cluster.apply([service("db", { app: "db" }, { clusterIP: "None" }), statefulSet("db", 2, "db")]);
    sim.runFor(30 * SECOND);
    const old = cluster.api.get("Pod", "default", "db-1")!;
    cluster.delete("Pod", "default", "db-1");
    sim.runFor(10 * SECOND);
    const replaced = cluster.api.get("Pod", "default", "db-1")!;
    expect(replaced.metadata.uid).not.toBe(old.metadata.uid);
    expect([replaced.spec.hostname, replaced.spec.subdomain]).toEqual(["db-1", "db"]);
    expect(replaced.status?.phase).toBe("Running");
  });
});

describe("kubelet", () => {
  it("does not undo a change made to a pod before the kubelet saw it", () => {
    const { cluster, sim } = world({ watchDelay: constant(10 * MS) });
    cluster.apply([pod("p", { app: "p" })]);
    sim.runFor(MS);
    relabel(cluster, "Pod", "p", { app: "q" });
    sim.runFor(10 * SECOND);
    const p = cluster.api.get("Pod", "default", "p")!;
    expect(p.metadata.labels).toEqual({ app: "q" });
    expect(p.status?.podIP).toMatch(/^10\.10\./);
    expect(p.status?.phase).toBe("Running");
  });

  it("keeps a running pod as it is when its manifest is applied again", () => {
    const { cluster, sim } = world();
    cluster.apply([pod("p", { app: "p" }), service("p", { app: "p" })]);
    sim.runFor(10 * SECOND);
    const before = cluster.api.get("Pod", "default", "p")!;
    cluster.apply([pod("p", { app: "p" })]);
    sim.runFor(SECOND);
    expect(cluster.api.get("Pod", "default", "p")).toBe(before);
    expect(sliceAddresses(cluster.api, "p")).toEqual([before.status!.podIP]);
  });

  it("gives a pod pinned with an IPv6 address first a host at its pinned IPv4 address", () => {
    const { cluster, sim, net } = world();
    cluster.apply([pod("v6", { app: "v6" }, { podIP: "fd00:10::77", podIPs: [{ ip: "fd00:10::77" }, { ip: "10.10.0.77" }], conditions: [{ type: "Ready", status: "True" }] })]);
    sim.runFor(SECOND);
    expect(cluster.podHost("default", "v6")?.ip).toBe("10.10.0.77");
    expect(net.host("east/default/v6")?.ip).toBe("10.10.0.77");
    expect(cluster.api.get("Pod", "default", "v6")!.status?.podIP).toBe("fd00:10::77");
  });
});

describe("kube-proxy", () => {
  /** Backends as hosts on the cluster's network, each with an echo on the given ports. */
  function backends(ctx: ReturnType<typeof world>, ips: readonly string[], ports: readonly number[] = [8080]) {
    const echoes = new Map<string, Echo>();
    ips.forEach((ip, i) => {
      const host = ctx.net.addHost({ name: `backend-${i}`, node: "east-us-east-1a-0", ip });
      for (const port of ports) {
        const echo = new Echo(ctx.sim, `echo-${i}-${port}`);
        ctx.net.bind(echo, host, port);
        echoes.set(`${ip}:${port}`, echo);
      }
    });
    return echoes;
  }
  function client(ctx: ReturnType<typeof world>) {
    const c = new Sender(ctx.sim);
    ctx.net.bind(c, ctx.net.addHost({ name: "client", node: "east-us-east-1b-0" }), 40000);
    return c;
  }

  it("spreads requests evenly over the ready endpoints", () => {
    const ctx = world({ seed: 3 });
    const { cluster, sim, net } = ctx;
    const ips = ["10.10.0.21", "10.10.0.22", "10.10.0.23", "10.10.0.24"];
    cluster.apply([...ips.map((ip, i) => pod(`p${i}`, { app: "web" }, pinnedStatus([ip]))), service("web", { app: "web" })]);
    sim.runFor(SECOND);
    const echoes = ips.map((ip, i) => {
      const e = new Echo(sim, `p${i}`);
      net.bind(e, cluster.podHost("default", `p${i}`)!, 8080);
      return e;
    });
    const c = client(ctx);
    const vip = address(cluster.api.get("Service", "default", "web")!.spec.clusterIP!, 80);
    const n = 4_000;
    for (let i = 0; i < n; i++) sim.at(sim.now + i * 100, () => c.hello(vip, `m${i}`));
    sim.runFor(2 * SECOND);
    const counts = echoes.map((e) => e.got.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    // Chi-square, 3 degrees of freedom: 30 has p < 1e-5 for a fair pick, so this only fails on a real skew.
    const expected = n / ips.length;
    const chi2 = counts.reduce((s, c2) => s + (c2 - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(30);
  });

  it("routes each Service port to the slice port of the same name and protocol", () => {
    const ctx = world();
    const { cluster, sim, net } = ctx;
    const echoes = backends(ctx, ["10.10.0.200"], [8080, 9100, 5353]);
    cluster.apply([
      service("multi", undefined, {
        ports: [
          { name: "http", port: 80, protocol: "TCP" },
          { name: "metrics", port: 9000, protocol: "TCP" },
          { name: "dns", port: 53, protocol: "UDP" },
        ],
      }),
      // Listed in another order than the Service's ports; the dns port exists only for TCP.
      handSlice("multi-1", "multi", ["10.10.0.200"], [
        { name: "metrics", port: 9100, protocol: "TCP" },
        { name: "dns", port: 5353, protocol: "TCP" },
        { name: "http", port: 8080, protocol: "TCP" },
      ]),
    ]);
    sim.runFor(SECOND);
    const vip = cluster.api.get("Service", "default", "multi")!.spec.clusterIP!;
    expect(cluster.proxy.backends(vip, 80).map((a) => a.text)).toEqual(["10.10.0.200:8080"]);
    expect(cluster.proxy.backends(vip, 9000).map((a) => a.text)).toEqual(["10.10.0.200:9100"]);
    expect(cluster.proxy.backends(vip, 53)).toEqual([]);
    const c = client(ctx);
    c.hello(address(vip, 80), "to-http");
    c.hello(address(vip, 9000), "to-metrics");
    c.hello(address(vip, 53), "to-dns");
    c.hello(address(vip, 81), "to-nothing");
    sim.runFor(SECOND);
    expect(echoes.get("10.10.0.200:8080")!.got).toEqual(["to-http"]);
    expect(echoes.get("10.10.0.200:9100")!.got).toEqual(["to-metrics"]);
    expect(echoes.get("10.10.0.200:5353")!.got).toEqual([]);
    expect(net.stats.dropped.get("no-endpoints")).toBe(2);
  });

  it("sends nothing to a new endpoint until its watch has delivered it, and keeps sending to a removed one until then", () => {
    const ctx = world({ watchDelay: constant(10 * MS) });
    const { cluster, sim } = ctx;
    const echoes = backends(ctx, ["10.10.0.201", "10.10.0.202"]);
    const [a, b] = [echoes.get("10.10.0.201:8080")!, echoes.get("10.10.0.202:8080")!];
    cluster.apply([service("legacy", undefined), handSlice("legacy-1", "legacy", ["10.10.0.201"])]);
    sim.runFor(SECOND);
    const vip = address(cluster.api.get("Service", "default", "legacy")!.spec.clusterIP!, 80);
    const c = client(ctx);

    cluster.apply([handSlice("legacy-1", "legacy", ["10.10.0.201", "10.10.0.202"])]);
    expect(sliceAddresses(cluster.api, "legacy")).toEqual(["10.10.0.201", "10.10.0.202"]);
    const t0 = sim.now;
    for (let i = 0; i < 90; i++) sim.at(t0 + i * 100, () => c.hello(vip, `early${i}`));
    sim.runFor(9_999);
    expect(cluster.proxy.backends(vip.ip, 80).map((x) => x.text)).toEqual(["10.10.0.201:8080"]);
    sim.runFor(1);
    expect(cluster.proxy.backends(vip.ip, 80).map((x) => x.text)).toEqual(["10.10.0.201:8080", "10.10.0.202:8080"]);
    sim.runFor(SECOND);
    expect(a.got.filter((m) => m.startsWith("early"))).toHaveLength(90);
    expect(b.got).toEqual([]);
    for (let i = 0; i < 100; i++) sim.at(sim.now + i * 100, () => c.hello(vip, `late${i}`));
    sim.runFor(SECOND);
    expect(b.got.length).toBeGreaterThan(20);

    // Removal: the old rules keep sending to the removed endpoint until the watch delivers.
    cluster.apply([handSlice("legacy-1", "legacy", ["10.10.0.201"])]);
    const bBefore = b.got.length;
    const t1 = sim.now;
    for (let i = 0; i < 90; i++) sim.at(t1 + i * 100, () => c.hello(vip, `stale${i}`));
    sim.runFor(SECOND);
    expect(b.got.length - bBefore).toBeGreaterThan(20);
    expect(cluster.proxy.backends(vip.ip, 80).map((x) => x.text)).toEqual(["10.10.0.201:8080"]);
  });

  it("does not learn a slice change early from another event about the same Service", () => {
    const ctx = world({ watchDelay: constant(10 * MS) });
    const { cluster, sim } = ctx;
    cluster.apply([service("legacy", undefined), handSlice("legacy-1", "legacy", ["10.10.0.201"])]);
    sim.runFor(SECOND);
    const vip = cluster.api.get("Service", "default", "legacy")!.spec.clusterIP!;
    relabel(cluster, "Service", "legacy", { touched: "yes" }); // kube-proxy hears of it at +10 ms
    sim.runFor(MS);
    cluster.apply([handSlice("legacy-1", "legacy", ["10.10.0.201", "10.10.0.202"])]); // ... and of this at +11 ms
    sim.runFor(9 * MS + 500);
    expect(cluster.proxy.backends(vip, 80).map((x) => x.text)).toEqual(["10.10.0.201:8080"]);
    sim.runFor(MS);
    expect(cluster.proxy.backends(vip, 80).map((x) => x.text)).toEqual(["10.10.0.201:8080", "10.10.0.202:8080"]);
  });

  it("stops serving a slice relabelled to another Service", () => {
    const { cluster, sim } = world();
    cluster.apply([service("one", undefined), service("two", undefined), handSlice("s", "one", ["10.10.0.201"])]);
    sim.runFor(SECOND);
    const [one, two] = ["one", "two"].map((n) => cluster.api.get("Service", "default", n)!.spec.clusterIP!);
    expect(cluster.proxy.backends(one!, 80)).toHaveLength(1);
    cluster.apply([handSlice("s", "two", ["10.10.0.201"])]);
    sim.runFor(SECOND);
    expect(cluster.proxy.backends(one!, 80)).toEqual([]);
    expect(cluster.proxy.backends(two!, 80).map((a) => a.text)).toEqual(["10.10.0.201:8080"]);
  });
});

describe("determinism", () => {
  const KINDS: Kind[] = ["Namespace", "Pod", "Service", "EndpointSlice", "ConfigMap", "Deployment", "StatefulSet"];
  function build(seed: number) {
    const { cluster, sim } = world({ seed });
    cluster.apply([
      deployment("web", 3),
      service("web", { app: "web" }),
      deployment("api", 2),
      service("api", { app: "api" }),
      service("db", { app: "db" }, { clusterIP: "None" }),
      statefulSet("db", 2, "db"),
    ]);
    sim.runFor(30 * SECOND);
    return cluster;
  }
  const snapshot = (cluster: KubeCluster) => JSON.stringify(KINDS.map((k) => cluster.api.list(k)));

  it("builds the same cluster from the same seed: same uids, names, addresses, versions", () => {
    const a = build(7);
    const b = build(7);
    expect(snapshot(b)).toBe(snapshot(a));
    expect(a.api.list("Pod")).toHaveLength(7);
  });

  it("builds another cluster from another seed: other generated names, uids and cluster IPs; same template hashes", () => {
    const a = build(7);
    const b = build(8);
    const generated = (c: KubeCluster) => c.api.list("Pod").map((p) => p.metadata.name).filter((n) => n.startsWith("web-") || n.startsWith("api-"));
    expect(generated(a)).toHaveLength(5);
    expect(generated(b).filter((n) => generated(a).includes(n))).toEqual([]);
    const uids = new Set(a.api.list("Pod").map((p) => p.metadata.uid));
    expect(b.api.list("Pod").some((p) => uids.has(p.metadata.uid))).toBe(false);
    const slices = (c: KubeCluster) => c.api.list("EndpointSlice").map((s) => s.metadata.name);
    expect(slices(b)).not.toEqual(slices(a));
    const ip = (c: KubeCluster) => c.api.get("Service", "default", "web")!.spec.clusterIP;
    expect(ip(b)).not.toBe(ip(a));
    // The template hash is a hash of the template, not a draw.
    const hashes = (c: KubeCluster) => [...new Set(c.api.list("Pod").map((p) => p.metadata.labels?.[POD_TEMPLATE_HASH]).filter(Boolean))].sort();
    expect(hashes(b)).toEqual(hashes(a));
    // StatefulSet names are ordinals, not draws.
    expect(b.api.list("Pod").filter((p) => p.metadata.name.startsWith("db-")).map((p) => p.metadata.name)).toEqual(["db-0", "db-1"]);
  });
});
