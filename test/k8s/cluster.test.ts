import { describe, expect, it } from "vitest";
import { SECOND, address } from "../../src/index.js";
import { ApiError } from "../../src/k8s/apiserver.js";
import { MANAGED_BY, SERVICE_NAME_LABEL } from "../../src/k8s/endpointslices.js";
import { Echo, Sender, deployment, oneCluster, pod, service, statefulSet } from "./cluster-world.js";

describe("a new cluster", () => {
  it("has the usual namespaces and the kubernetes Service at the first address of its range", () => {
    const { cluster, sim } = oneCluster();
    sim.runFor(SECOND);
    expect(cluster.api.list("Namespace").map((n) => n.metadata.name)).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    const svc = cluster.api.get("Service", "default", "kubernetes")!;
    expect(svc.spec.clusterIP).toBe("10.100.0.1");
    expect(cluster.serviceIp(10)).toBe("10.100.0.10");
  });
});

describe("Deployments and pods", () => {
  it("expands a Deployment to pods that get scheduled round-robin, addressed and Ready after startup", () => {
    const { cluster, sim } = oneCluster();
    cluster.apply([deployment("web", 3)]);
    sim.runFor(100_000);
    const pods = cluster.api.list("Pod", "default");
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web", controller: true });
      expect(p.status?.podIP).toMatch(/^10\.10\.\d+\.\d+$/);
    }
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
    expect(pods.every((p) => p.status?.phase === "Pending")).toBe(true);
    sim.runFor(10 * SECOND);
    const later = cluster.api.list("Pod", "default");
    expect(later.every((p) => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))).toBe(true);
  });

  it("replaces a deleted pod, and scales down and up", () => {
    const { cluster, sim } = oneCluster();
    cluster.apply([deployment("web", 2)]);
    sim.runFor(5 * SECOND);
    const [first] = cluster.api.list("Pod", "default");
    cluster.delete("Pod", "default", first!.metadata.name);
    sim.runFor(5 * SECOND);
    const names = cluster.api.list("Pod", "default").map((p) => p.metadata.name);
    expect(names).toHaveLength(2);
    expect(names).not.toContain(first!.metadata.name);
    cluster.apply([deployment("web", 1)]);
    sim.runFor(SECOND);
    expect(cluster.api.list("Pod", "default")).toHaveLength(1);
    cluster.apply([deployment("web", 4)]);
    sim.runFor(SECOND);
    expect(cluster.api.list("Pod", "default")).toHaveLength(4);
    cluster.delete("Deployment", "default", "web");
    sim.runFor(SECOND);
    expect(cluster.api.list("Pod", "default")).toHaveLength(0);
  });

  it("keeps a pinned pod IP and pinned readiness as the manifest wrote them", () => {
    const { cluster, sim, net } = oneCluster();
    cluster.apply([pod("pinned", { app: "x" }, { podIP: "10.10.3.77", phase: "Running", conditions: [{ type: "Ready", status: "False" }] })]);
    sim.runFor(10 * SECOND);
    const p = cluster.api.get("Pod", "default", "pinned")!;
    expect(p.status?.podIP).toBe("10.10.3.77");
    expect(p.status?.conditions).toEqual([{ type: "Ready", status: "False" }]);
    expect(net.host("east/default/pinned")?.ip).toBe("10.10.3.77");
  });

  it("refuses a pod bound to a node the cluster does not have", () => {
    const { cluster } = oneCluster();
    const p = pod("lost", {});
    p.spec.nodeName = "nowhere";
    expect(() => cluster.apply([p])).toThrow(/spec.nodeName: no node "nowhere" in cluster east/);
  });
});

describe("StatefulSets", () => {
  it("creates pods one at a time, each once the previous is Ready, with stable hostnames and the subdomain", () => {
    const { cluster, sim } = oneCluster();
    cluster.apply([service("db", { app: "db" }, { clusterIP: "None" }), statefulSet("db", 3, "db")]);
    sim.runFor(200_000);
    expect(cluster.api.list("Pod", "default").map((p) => p.metadata.name)).toEqual(["db-0"]);
    sim.runFor(30 * SECOND);
    const pods = cluster.api.list("Pod", "default");
    expect(pods.map((p) => p.metadata.name)).toEqual(["db-0", "db-1", "db-2"]);
    expect(pods.map((p) => [p.spec.hostname, p.spec.subdomain])).toEqual([
      ["db-0", "db"],
      ["db-1", "db"],
      ["db-2", "db"],
    ]);
    const slice = cluster.api.list("EndpointSlice", "default").find((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "db")!;
    expect(slice.endpoints.map((e) => e.hostname)).toEqual(["db-0", "db-1", "db-2"]);
    // The Service's targetPort names "http", which no db container has: the port cannot be resolved.
    expect(slice.ports).toEqual([]);
  });
});

describe("ClusterIP allocation", () => {
  it("allocates from the range, honours an address given by hand, and refuses a taken or foreign one", () => {
    const { cluster } = oneCluster();
    cluster.apply([service("a", { app: "a" }), service("b", { app: "b" }, { clusterIP: "10.100.0.10" })]);
    const a = cluster.api.get("Service", "default", "a")!;
    expect(a.spec.clusterIP).toMatch(/^10\.100\.\d+\.\d+$/);
    expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
    expect(a.spec.ipFamilies).toEqual(["IPv4"]);
    expect(cluster.api.get("Service", "default", "b")!.spec.clusterIP).toBe("10.100.0.10");
    expect(() => cluster.apply([service("c", { app: "c" }, { clusterIP: "10.100.0.10" })])).toThrow("provided IP is already allocated");
    expect(() => cluster.apply([service("d", { app: "d" }, { clusterIP: "10.200.0.5" })])).toThrow("is not in the valid range");
    cluster.delete("Service", "default", "b");
    cluster.apply([service("c", { app: "c" }, { clusterIP: "10.100.0.10" })]);
    expect(cluster.api.get("Service", "default", "c")!.spec.clusterIP).toBe("10.100.0.10");
  });

  it("keeps cluster IPs on update and refuses to change them", () => {
    const { cluster } = oneCluster();
    cluster.apply([service("a", { app: "a" })]);
    const ip = cluster.api.get("Service", "default", "a")!.spec.clusterIP;
    cluster.apply([service("a", { app: "other" })]);
    expect(cluster.api.get("Service", "default", "a")!.spec.clusterIP).toBe(ip);
    expect(() => cluster.apply([service("a", { app: "a" }, { clusterIP: "10.100.0.99" })])).toThrow(ApiError);
  });

  it("gives headless Services None and ExternalName Services no cluster IP", () => {
    const { cluster } = oneCluster();
    cluster.apply([service("h", { app: "h" }, { clusterIP: "None" }), service("ext", undefined, { type: "ExternalName", externalName: "example.com" })]);
    expect(cluster.api.get("Service", "default", "h")!.spec.clusterIPs).toEqual(["None"]);
    expect(cluster.api.get("Service", "default", "ext")!.spec.clusterIP).toBeUndefined();
  });
});

describe("EndpointSlices and kube-proxy", () => {
  it("lists ready pods in the Service's slice with the real fields, and routes cluster IP traffic to them", () => {
    const { cluster, sim, net } = oneCluster();
    cluster.apply([deployment("web", 3), service("web", { app: "web" })]);
    sim.runFor(10 * SECOND);
    const slices = cluster.api.list("EndpointSlice", "default").filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "web");
    expect(slices).toHaveLength(1);
    const slice = slices[0]!;
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toEqual({ [SERVICE_NAME_LABEL]: "web", "endpointslice.kubernetes.io/managed-by": MANAGED_BY });
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(slice.endpoints).toHaveLength(3);
    for (const ep of slice.endpoints) {
      expect(ep.conditions).toEqual({ ready: true, serving: true, terminating: false });
      expect(ep.targetRef?.kind).toBe("Pod");
      expect(ep.zone).toMatch(/^us-east-1[ab]$/);
      expect(ep.nodeName).toMatch(/^east-/);
    }

    // Bind an echo on each pod's 8080 and send through the cluster IP: every pod gets some.
    const echoes = cluster.api.list("Pod", "default").map((p) => {
      const echo = new Echo(sim, p.metadata.name);
      net.bind(echo, cluster.podHost("default", p.metadata.name)!, 8080);
      return echo;
    });
    const client = new Sender(sim);
    net.bind(client, net.addHost({ name: "client", node: "east-us-east-1a-0" }), 40000);
    const vip = address(cluster.api.get("Service", "default", "web")!.spec.clusterIP!, 80);
    for (let i = 0; i < 300; i++) sim.at(sim.now + i * 1000, () => client.hello(vip, `m${i}`));
    sim.runFor(2 * SECOND);
    const counts = echoes.map((e) => e.got.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    for (const c of counts) expect(c).toBeGreaterThan(50);
  });

  it("takes a pod out of its slice and out of rotation when it stops being Ready, and drops traffic with no endpoints", () => {
    const { cluster, sim, net } = oneCluster();
    cluster.apply([pod("only", { app: "one" }), service("one", { app: "one" })]);
    sim.runFor(10 * SECOND);
    const vip = cluster.api.get("Service", "default", "one")!.spec.clusterIP!;
    expect(cluster.proxy.backends(vip, 80)).toHaveLength(1);
    cluster.setPodReady("default", "only", false);
    sim.runFor(SECOND);
    const ep = cluster.api.list("EndpointSlice", "default").find((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "one")!.endpoints[0]!;
    expect(ep.conditions?.ready).toBe(false);
    expect(cluster.proxy.backends(vip, 80)).toHaveLength(0);
    const client = new Sender(sim);
    net.bind(client, net.addHost({ name: "client", node: "east-us-east-1a-0" }), 40000);
    client.hello(address(vip, 80), "lost");
    sim.runFor(SECOND);
    expect(net.stats.dropped.get("no-endpoints")).toBe(1);
  });

  it("publishes not-ready pods when the Service says publishNotReadyAddresses", () => {
    const { cluster, sim } = oneCluster();
    cluster.apply([pod("p", { app: "p" }, { podIP: "10.10.0.50", conditions: [{ type: "Ready", status: "False" }] }), service("p", { app: "p" }, { publishNotReadyAddresses: true })]);
    sim.runFor(SECOND);
    const ep = cluster.api.list("EndpointSlice", "default").find((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "p")!.endpoints[0]!;
    expect(ep.addresses).toEqual(["10.10.0.50"]);
    expect(ep.conditions?.ready).toBe(true);
  });

  it("removes a deleted Service's slices and virtual address (no-route afterwards)", () => {
    const { cluster, sim, net } = oneCluster();
    cluster.apply([deployment("web", 1), service("web", { app: "web" })]);
    sim.runFor(10 * SECOND);
    const vip = cluster.api.get("Service", "default", "web")!.spec.clusterIP!;
    cluster.delete("Service", "default", "web");
    sim.runFor(SECOND);
    expect(cluster.api.list("EndpointSlice", "default").filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "web")).toEqual([]);
    const client = new Sender(sim);
    net.bind(client, net.addHost({ name: "client", node: "east-us-east-1a-0" }), 40000);
    client.hello(address(vip, 80), "gone");
    sim.runFor(SECOND);
    expect(net.stats.dropped.get("no-route")).toBe(1);
  });

  it("leaves the slices of a selector-less Service to the hand that writes them", () => {
    const { cluster, sim } = oneCluster();
    cluster.apply([
      service("legacy", undefined),
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "legacy-1", namespace: "default", labels: { [SERVICE_NAME_LABEL]: "legacy" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["192.0.2.10"] }],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
    sim.runFor(SECOND);
    expect(cluster.api.list("EndpointSlice", "default").map((s) => s.metadata.name)).toEqual(["legacy-1"]);
    const vip = cluster.api.get("Service", "default", "legacy")!.spec.clusterIP!;
    expect(cluster.proxy.backends(vip, 80).map((a) => a.text)).toEqual(["192.0.2.10:8080"]);
  });
});

describe("cluster IPs belong to their cluster", () => {
  it("routes a cluster IP only for senders in its own cluster, even on a shared network", () => {
    const { cluster, sim, net, topology } = oneCluster();
    topology.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
    cluster.apply([pod("web", { app: "web" }), service("web", { app: "web" })]);
    sim.runFor(10 * SECOND);
    const vip = address(cluster.api.get("Service", "default", "web")!.spec.clusterIP!, 80);
    const echo = new Echo(sim, "web");
    net.bind(echo, cluster.podHost("default", "web")!, 8080);
    const inside = new Sender(sim);
    net.bind(inside, net.addHost({ name: "inside", node: "east-us-east-1a-0" }), 40000);
    const outside = new Sender(sim);
    net.bind(outside, net.addHost({ name: "outside", node: "west-us-west-2a-0" }), 40000);
    inside.hello(vip, "from east");
    outside.hello(vip, "from west");
    sim.runFor(SECOND);
    expect(echo.got).toEqual(["from east"]);
    expect(net.stats.dropped.get("no-route")).toBe(1);
  });
});

describe("LoadBalancer Services", () => {
  it("get an address outside the clusters that reaches their endpoints from another cluster", () => {
    const { cluster, sim, net, topology } = oneCluster();
    topology.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
    cluster.apply([pod("web", { app: "web" }), service("web", { app: "web" }, { type: "LoadBalancer" })]);
    sim.runFor(10 * SECOND);
    const svc = cluster.api.get("Service", "default", "web")!;
    const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    expect(ip).toMatch(/^203\.0\.113\.\d+$/);
    expect(svc.spec.clusterIP).toMatch(/^10\.100\./);
    const echo = new Echo(sim, "web");
    net.bind(echo, cluster.podHost("default", "web")!, 8080);
    const outside = new Sender(sim);
    net.bind(outside, net.addHost({ name: "outside", node: "west-us-west-2a-0" }), 40000);
    outside.hello(address(ip!, 80), "via the load balancer");
    outside.hello(address(svc.spec.clusterIP!, 80), "via the cluster IP");
    sim.runFor(SECOND);
    expect(echo.got).toEqual(["via the load balancer"]);
    cluster.delete("Service", "default", "web");
    sim.runFor(SECOND);
    outside.hello(address(ip!, 80), "after deletion");
    sim.runFor(SECOND);
    expect(echo.got).toEqual(["via the load balancer"]);
  });

  it("keep an ingress address a manifest pinned", () => {
    const { cluster, sim } = oneCluster();
    const svc = service("pinned", { app: "p" }, { type: "LoadBalancer" });
    svc.status = { loadBalancer: { ingress: [{ ip: "198.51.100.200" }] } };
    cluster.apply([svc]);
    sim.runFor(SECOND);
    expect(cluster.api.get("Service", "default", "pinned")!.status?.loadBalancer?.ingress).toEqual([{ ip: "198.51.100.200" }]);
  });
});
