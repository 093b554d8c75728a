/**
 * The lighthouse profile end to end: each member runs Lighthouse's DNS server beside its cluster
 * DNS, which forwards clusterset.local to it (mcs.md §5.1), and a pod's `dig` goes pod → kube-dns →
 * forward → submariner-lighthouse-coredns over the simulated network. The cases are Lighthouse's
 * own e2e tests (mcs.md §5.4, `test/e2e/discovery/*.go`) that mcsim can run: all but the unhealthy
 * gateway (mcsim does not model Submariner's Gateway, so every cluster counts as connected, §5.3).
 */
import { describe, expect, it } from "vitest";
import { kubeadmCorefile } from "../../src/dns/corefile.js";
import { LIGHTHOUSE_COREFILE, LIGHTHOUSE_DNS_NAME, LIGHTHOUSE_NAMESPACE, withLighthouseSection } from "../../src/mcs/lighthouse-dns.js";
import { dig } from "../../src/shell/dig.js";
import { startPod } from "../../src/shell/exec.js";
import { exportedApi, mcsWorld } from "./mcs-world.js";

const NAME = "my-api.production.svc.clusterset.local";

/** A lighthouse clusterset with DNS, a client pod in cluster a, and `dig +short` from it. */
function lighthouseWorld() {
  const w = mcsWorld({ profile: "lighthouse", dns: true });
  w.run(5);
  const client = startPod(w.world, "a", "production", "client", "debian:12");
  const short = (name: string, type = "A") => dig(client, ["+short", name, type]).stdout.split("\n").filter(Boolean);
  const serviceIp = (cluster: string, name = "my-api") => w.world.cluster(cluster).api.get("Service", "production", name)!.spec.clusterIP!;
  const podIps = (cluster: string, app = "my-api") =>
    w.world.cluster(cluster).api.list("Pod", "production").filter((p) => p.metadata.labels?.app === app).map((p) => p.status!.podIP!).sort();
  return { ...w, client, short, serviceIp, podIps };
}

/** `dig` ten times, as the e2e test does, counting each address answered. */
function tenDigs(short: (name: string) => string[], name = NAME): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const answer = short(name);
    expect(answer, "one A record per ClusterIP query (mcs.md §5.3)").toHaveLength(1);
    counts.set(answer[0]!, (counts.get(answer[0]!) ?? 0) + 1);
  }
  return counts;
}

const statefulSet = (replicas: number) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: production}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: production}
spec:
  serviceName: web
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {name: web, namespace: production}`;

describe("Lighthouse's DNS server in each member (mcs.md §5.1)", () => {
  it("runs submariner-lighthouse-coredns in submariner-operator, and the cluster DNS forwards clusterset.local to its ClusterIP", () => {
    const { world } = lighthouseWorld();
    for (const name of ["a", "b", "c"]) {
      const api = world.cluster(name).api;
      const service = api.get("Service", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)!;
      expect(service.spec.ports).toEqual([{ name: "udp", port: 53, protocol: "UDP", targetPort: 53 }]);
      expect(api.get("Deployment", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)!.spec.replicas).toBe(2);
      expect(api.get("ConfigMap", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)!.data!.Corefile).toBe(LIGHTHOUSE_COREFILE);
      const corefile = api.get("ConfigMap", "kube-system", "coredns")!.data!.Corefile!;
      expect(corefile).toBe(`#lighthouse-start AUTO-GENERATED SECTION. DO NOT EDIT\nclusterset.local:53 {\n    forward . ${service.spec.clusterIP}\n}\n#lighthouse-end\n${kubeadmCorefile("cluster.local")}`);
      // Lighthouse answers clusterset.local; the cluster CoreDNS has no multicluster plugin.
      expect(corefile).not.toMatch(/multicluster/);
      expect(api.list("Pod", LIGHTHOUSE_NAMESPACE).filter((p) => p.status?.phase === "Running")).toHaveLength(2);
    }
  });

  it("rewrites its section rather than adding a second one, as the operator's updateDNSConfigMap does", () => {
    const once = withLighthouseSection(kubeadmCorefile("cluster.local"), "10.0.0.1");
    expect(withLighthouseSection(once, "10.0.0.2")).toBe(withLighthouseSection(kubeadmCorefile("cluster.local"), "10.0.0.2"));
  });

  it("is a real second hop: with Lighthouse's DNS scaled to zero, clusterset.local fails while cluster.local still answers", () => {
    const { world, run, client, short } = lighthouseWorld();
    world.apply("b", exportedApi());
    run(20);
    expect(short(NAME)).toHaveLength(1);
    const api = world.cluster("a").api;
    const deployment = api.get("Deployment", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)!;
    api.update({ ...deployment, spec: { ...deployment.spec, replicas: 0 } });
    run(40);
    const out = dig(client, [NAME]);
    expect(out.stdout).toMatch(/status: SERVFAIL|connection timed out/);
    expect(short("kubernetes.default.svc.cluster.local")).toHaveLength(1);
  });

  it("leaves a cluster without cluster DNS alone: there is nothing to forward the zone from", () => {
    const { world } = mcsWorld({ profile: "lighthouse" });
    expect(world.cluster("a").api.get("Deployment", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)).toBeUndefined();
  });

  it("keeps the kep profile's multicluster plugin: no Lighthouse server there", () => {
    const { world } = mcsWorld({ dns: true });
    expect(world.cluster("a").api.get("Service", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)).toBeUndefined();
    expect(world.cluster("a").api.get("ConfigMap", "kube-system", "coredns")!.data!.Corefile).toMatch(/^ {4}multicluster clusterset\.local$/m);
  });
});

describe("Lighthouse e2e: Service Discovery Across Clusters (mcs.md §5.4)", () => {
  it("a pod resolves a service in a remote cluster; the Service deleted, DNS is empty; re-created, it resolves; the ServiceExport deleted, neither A nor SRV resolves (1)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", exportedApi());
    run(20);
    expect(short(NAME)).toEqual([serviceIp("b")]);
    expect(short(NAME, "SRV")).toEqual([`0 50 80 ${NAME}.`]);
    world.delete("b", "Service", "production", "my-api");
    run(20);
    expect(short(NAME)).toEqual([]);
    world.apply("b", exportedApi());
    run(20);
    expect(short(NAME)).toEqual([serviceIp("b")]);
    world.delete("b", "ServiceExport", "production", "my-api");
    run(20);
    expect(short(NAME)).toEqual([]);
    expect(short(NAME, "SRV")).toEqual([]);
  });

  it("a service present locally and in a remote cluster resolves to the local one, every time (2)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("a", exportedApi());
    world.apply("b", exportedApi());
    run(20);
    expect(tenDigs(short)).toEqual(new Map([[serviceIp("a"), 10]]));
  });

  it("a ServiceExport created before its Service resolves once the Service comes (3)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\n");
    run(10);
    expect(short(NAME)).toEqual([]);
    world.apply("b", exportedApi({ exported: false }));
    run(20);
    expect(short(NAME)).toEqual([serviceIp("b")]);
  });

  it("a service with no active pods does not resolve (A nor SRV); scaled to 2 it does again (4)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", exportedApi({ replicas: 0 }));
    run(20);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeDefined();
    expect(short(NAME)).toEqual([]);
    expect(short(NAME, "SRV")).toEqual([]);
    world.apply("b", exportedApi({ replicas: 2 }));
    run(20);
    expect(short(NAME)).toEqual([serviceIp("b")]);
  });

  it("with active pods in only one of two exporting clusters, only that cluster is answered (5)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", exportedApi({ replicas: 2 }));
    world.apply("c", exportedApi({ replicas: 0 }));
    run(20);
    expect(tenDigs(short)).toEqual(new Map([[serviceIp("b"), 10]]));
  });

  it("a service in a specific remote cluster resolves by its cluster name (6)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", exportedApi());
    world.apply("c", exportedApi());
    run(20);
    expect(short(`c.${NAME}`)).toEqual([serviceIp("c")]);
    expect(short(`b.${NAME}`)).toEqual([serviceIp("b")]);
  });

  it("resolved ten times, the service comes from both clusters in round robin, the counts differing by less than 3 (7)", () => {
    const { world, run, short, serviceIp } = lighthouseWorld();
    world.apply("b", exportedApi());
    world.apply("c", exportedApi());
    run(20);
    const counts = tenDigs(short);
    expect([...counts.keys()].sort()).toEqual([serviceIp("b"), serviceIp("c")].sort());
    expect(Math.abs(counts.get(serviceIp("b"))! - counts.get(serviceIp("c"))!)).toBeLessThan(3);
  });
});

describe("Lighthouse e2e: Headless Service Discovery Across Clusters (mcs.md §5.4)", () => {
  it("resolves the backing pod IPs of a headless service in a remote cluster, and of both clusters when exported locally too", () => {
    const { world, run, short, podIps } = lighthouseWorld();
    world.apply("b", exportedApi({ headless: true }));
    run(20);
    expect(short(NAME).sort()).toEqual(podIps("b"));
    world.apply("a", exportedApi({ headless: true }));
    run(20);
    expect(short(NAME).sort()).toEqual([...podIps("a"), ...podIps("b")].sort());
  });

  it("resolves the backing endpoint IPs of a selector-less headless service in a remote cluster", () => {
    const { world, run, short } = lighthouseWorld();
    world.apply("b", `apiVersion: v1
kind: Service
metadata: {name: my-api, namespace: production}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: my-api-manual, namespace: production, labels: {kubernetes.io/service-name: my-api}}
addressType: IPv4
endpoints: [{addresses: [192.0.2.10]}, {addresses: [192.0.2.11]}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {name: my-api, namespace: production}`);
    run(20);
    expect(short(NAME).sort()).toEqual(["192.0.2.10", "192.0.2.11"]);
  });

  it("resolves only the active pods' IPs as their number changes, and those of a cluster asked for by name", () => {
    const { world, run, short, podIps } = lighthouseWorld();
    world.apply("b", exportedApi({ headless: true, replicas: 3 }));
    world.apply("c", exportedApi({ headless: true, replicas: 1 }));
    run(20);
    expect(short(`b.${NAME}`).sort()).toEqual(podIps("b"));
    expect(short(`c.${NAME}`)).toEqual(podIps("c"));
    world.apply("b", exportedApi({ headless: true, replicas: 1 }));
    run(40);
    expect(podIps("b")).toHaveLength(1);
    expect(short(NAME).sort()).toEqual([...podIps("b"), ...podIps("c")].sort());
  });
});

describe("Lighthouse e2e: Stateful Sets Discovery Across Clusters (mcs.md §5.4)", () => {
  it("resolves a stateful set's pod by host.cluster in a remote and in the local cluster, and only the active pods", () => {
    const { world, run, short } = lighthouseWorld();
    world.apply("b", statefulSet(2));
    world.apply("a", statefulSet(1));
    run(30);
    const podIp = (cluster: string, pod: string) => world.cluster(cluster).api.get("Pod", "production", pod)!.status!.podIP!;
    expect(short("web-1.b.web.production.svc.clusterset.local")).toEqual([podIp("b", "web-1")]);
    expect(short("web-0.a.web.production.svc.clusterset.local")).toEqual([podIp("a", "web-0")]);
    expect(short("web-1.a.web.production.svc.clusterset.local")).toEqual([]);
    expect(short("_http._tcp.b.web.production.svc.clusterset.local", "SRV").sort()).toEqual(["0 50 80 web-0.b.web.production.svc.clusterset.local.", "0 50 80 web-1.b.web.production.svc.clusterset.local."]);
    world.apply("b", statefulSet(1));
    run(40);
    expect(short("web-1.b.web.production.svc.clusterset.local")).toEqual([]);
    expect(short("web.production.svc.clusterset.local").sort()).toEqual([podIp("a", "web-0"), podIp("b", "web-0")].sort());
  });
});
