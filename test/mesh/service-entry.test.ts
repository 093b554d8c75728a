import { describe, expect, it } from "vitest";
import type { ServiceEntry } from "../../src/k8s/istio.js";
import { autoAllocate, entryServices, exportedTo } from "../../src/mesh/istio/service-entries.js";
import { proxyConfigClusters } from "../../src/shell/istioctl.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { SECOND } from "../../src/sim/time.js";
import type { World } from "../../src/scenario/world.js";
import { meshCall, meshWorld } from "./mesh-world.js";

const entry = (name: string, spec: ServiceEntry["spec"], namespace = "default"): ServiceEntry => ({ apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name, namespace }, spec });

/** West's web pod addresses. */
const westPods = (w: World) =>
  w
    .cluster("west")
    .api.list("Pod", "default")
    .filter((p) => p.metadata.labels?.app === "web")
    .map((p) => p.status!.podIP!);

/** A mesh whose east has nothing of web but the Service, and the entries `make` builds from west's pods, applied in east. */
function entryWorld(make: (pods: string[]) => ServiceEntry[]): World {
  const w = meshWorld({ east: 0, west: 2 });
  w.apply("east", make(westPods(w)));
  w.runFor(5 * SECOND);
  return w;
}

const sidecar = (w: World) => w.mesh!.sidecarOf("east", "default", "client")!;

describe("ServiceEntry data plane (issue 7: hosts, addresses, ports, location, resolution, endpoints, exportTo)", () => {
  it("STATIC: a call to the entry's address goes to its listed endpoints, on the endpoint's port", () => {
    const w = entryWorld((pods) => [entry("db", { hosts: ["db.example.internal"], addresses: ["240.0.0.10"], ports: [{ number: 80, name: "http", targetPort: 8080 }], location: "MESH_INTERNAL", resolution: "STATIC", endpoints: pods.map((address) => ({ address })) })]);
    const r = meshCall(w, "http://240.0.0.10/");
    expect(r.status).toBe(200);
    expect(westPods(w).map((ip) => `${ip}:8080`)).toContain(r.upstream);
    const c = sidecar(w).view().clusters.get("outbound|80||db.example.internal")!;
    expect(c.type).toBe("EDS");
  });

  it("DNS: Envoy resolves the endpoint's host through the pod's nameserver and connects to what it got", () => {
    const w = meshWorld({ east: 1, west: 0 });
    w.apply("east", [entry("alias", { hosts: ["alias.example.com"], addresses: ["240.0.0.11"], ports: [{ number: 80, name: "http" }], resolution: "DNS", endpoints: [{ address: "web.default.svc.cluster.local" }] })]);
    w.runFor(5 * SECOND);
    const r = meshCall(w, "http://240.0.0.11/");
    expect(r.status).toBe(200);
    // The endpoint's name resolved to east's web Service, which kube-proxy sends on to its pod.
    expect(r.upstream).toBe(`${w.cluster("east").api.get("Service", "default", "web")!.spec.clusterIP}:80`);
    expect(proxyConfigClusters(sidecar(w).view(), { fqdn: "alias.example.com" }).split("\n")[1]!.split(/\s+/)).toEqual(["alias.example.com", "80", "-", "outbound", "STRICT_DNS", ""]);
  });

  it("DNS with a name nobody knows: no host to send to, 503 UH", () => {
    const w = entryWorld(() => [entry("gone", { hosts: ["gone.example.com"], addresses: ["240.0.0.12"], ports: [{ number: 80, name: "http" }], resolution: "DNS" })]);
    const r = meshCall(w, "http://240.0.0.12/");
    expect([r.status, r.flag]).toEqual([503, "UH"]);
  });

  it("NONE: the call goes to the address the app called (ORIGINAL_DST), and the route still applies", () => {
    const w = meshWorld({ east: 0, west: 1 });
    const [pod] = westPods(w);
    w.apply("east", [entry("pods", { hosts: ["pods.example.com"], addresses: [pod!], ports: [{ number: 8080, name: "http" }], resolution: "NONE" })]);
    w.runFor(5 * SECOND);
    const r = meshCall(w, `http://${pod}:8080/`);
    expect([r.status, r.upstream]).toEqual([200, `${pod}:8080`]);
    expect(sidecar(w).view().clusters.get("outbound|8080||pods.example.com")!.type).toBe("ORIGINAL_DST");
  });

  it("a name without an address is matched by Host on the port's 0.0.0.0 listener; without DNS capture the app cannot resolve it (mesh.md §4)", () => {
    const w = entryWorld((pods) => [entry("db", { hosts: ["db.example.internal"], ports: [{ number: 80, name: "http", targetPort: 8080 }], resolution: "STATIC", endpoints: pods.map((address) => ({ address })) })]);
    expect(sidecar(w).view().listeners.has("0.0.0.0:80")).toBe(true);
    const r = meshCall(w, "http://db.example.internal/");
    expect([r.status, r.error]).toEqual([null, "dns"]);
  });

  it("exportTo '.' hides an entry from proxies of other namespaces; istioctl proxy-config clusters lists the visible ones with their type", () => {
    const w = entryWorld((pods) => [
      entry("db", { hosts: ["db.example.internal"], addresses: ["240.0.0.10"], ports: [{ number: 80, name: "http" }], resolution: "STATIC", endpoints: pods.map((address) => ({ address })) }),
      entry("private", { hosts: ["private.example.internal"], ports: [{ number: 80, name: "http" }], resolution: "DNS", exportTo: ["."] }, "istio-system"),
    ]);
    const out = proxyConfigClusters(sidecar(w).view());
    expect(out).toContain("db.example.internal");
    expect(out).not.toContain("private.example.internal");
    const row = out.split("\n").find((l) => l.startsWith("db.example.internal"))!;
    expect(row.split(/\s+/)).toEqual(["db.example.internal", "80", "-", "outbound", "EDS", ""]);
  });

  it("kubectl get serviceentries -A: NAMESPACE NAME HOSTS LOCATION RESOLUTION AGE, hosts as JSON (mesh.md §2.3)", () => {
    const w = entryWorld(() => [entry("httpbin-org", { hosts: ["httpbin.org"], ports: [{ number: 80, name: "http" }], location: "MESH_EXTERNAL", resolution: "DNS" })]);
    const out = kubectl({ world: w, context: "east" }, ["get", "serviceentries", "-A"]).stdout.split("\n");
    expect(out[0]!.split(/\s{2,}/)).toEqual(["NAMESPACE", "NAME", "HOSTS", "LOCATION", "RESOLUTION", "AGE"]);
    expect(out[1]!.split(/\s{2,}/)).toEqual(["default", "httpbin-org", '["httpbin.org"]', "MESH_EXTERNAL", "DNS", "5s"]);
  });

  it("an entry's services: a host each, endpoints per resolution, exportTo, and allocated addresses in 240.240.0.0/16 but for wildcards and NONE", () => {
    const ctx = { cluster: "east", network: "n1" };
    const [a, b] = entryServices(entry("x", { hosts: ["a.example.com", "b.example.com"], ports: [{ number: 80, name: "http", targetPort: 8080 }], resolution: "DNS" }), ctx);
    expect(a!.endpoints.map((e) => [e.address, e.ports.get("http")])).toEqual([["a.example.com", 8080]]);
    expect(b!.host).toBe("b.example.com");
    expect(entryServices(entry("n", { hosts: ["n.example.com"], resolution: "NONE" }), ctx)[0]!.endpoints).toEqual([]);
    expect([exportedTo(undefined, "a", "b"), exportedTo(["."], "a", "b"), exportedTo(["."], "a", "a"), exportedTo(["b"], "a", "b"), exportedTo(["~"], "a", "a")]).toEqual([true, false, true, true, false]);
    const services = [a!, b!, ...entryServices(entry("w", { hosts: ["*.wild.com"], resolution: "STATIC" }), ctx), ...entryServices(entry("n", { hosts: ["n.example.com"] }), ctx)];
    const allocated = autoAllocate(services);
    expect([...allocated.keys()]).toEqual(["default/a.example.com", "default/b.example.com"]);
    for (const ip of allocated.values()) expect(ip).toMatch(/^240\.240\.\d{1,3}\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
    expect(new Set(allocated.values()).size).toBe(2);
    expect(autoAllocate([...services].reverse())).toEqual(allocated);
  });
});
