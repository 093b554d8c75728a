import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ServiceEntry } from "../../src/k8s/istio.js";
import type { Pod } from "../../src/k8s/objects.js";
import { lookupTable } from "../../src/mesh/istio/dns-proxy.js";
import type { IstioMeshOptions } from "../../src/mesh/istio/mesh.js";
import { loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import { World } from "../../src/scenario/world.js";
import { dig } from "../../src/shell/dig.js";
import { podShell } from "../../src/shell/pod.js";
import { SECOND } from "../../src/sim/time.js";
import type { LookupResult } from "../../src/dns/resolver/types.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../http/http-world.js";
import { meshOptions } from "./mesh-world.js";

const CAPTURE = { ISTIO_META_DNS_CAPTURE: "true" };

/** East with client pods and no web Service; west with web (one pod) and its Service: the §4 case. */
function dnsWorld(mesh: Partial<IstioMeshOptions> = {}, pods: readonly Pod[] = [clientPod], config: readonly ServiceEntry[] = []): World {
  const w = new World({ seed: 1, traceLevel: "summary", upstreamRecords: [{ name: "example.org", type: "A", data: "203.0.113.7" }] });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  w.apply("east", pods);
  w.apply("west", [webDeployment(1), webService]);
  w.installIstio(meshOptions(mesh));
  if (config.length > 0) w.apply("east", config);
  w.runFor(30 * SECOND);
  return w;
}

function lookup(w: World, name: string, pod = "default/client"): LookupResult {
  const l = w.resolve("east", pod, name);
  w.runFor(20 * SECOND);
  return l.result!;
}

const westWeb = (w: World) => w.cluster("west").api.get("Service", "default", "web")!.spec.clusterIP!;

describe("Istio DNS proxying (mesh.md §4)", () => {
  it("§4: without DNS capture a Service that exists only in another cluster is NXDOMAIN (the 'Service in every cluster' rule)", () => {
    const r = lookup(dnsWorld(), "web");
    expect([r.ok, r.code]).toEqual([false, "EAI_NONAME"]);
  });

  it("§4: with ISTIO_META_DNS_CAPTURE the sidecar's proxy answers it with the other cluster's ClusterIP, and a call by name reaches its pods", () => {
    const w = dnsWorld({ proxyMetadata: CAPTURE });
    const r = lookup(w, "web");
    expect(r.ok).toBe(true);
    expect(r.addresses).toEqual([{ family: 4, address: westWeb(w) }]);
    // The first candidate of the search list is the service's own name: answered at once.
    expect(r.queries.map((q) => q.name)).toEqual(["web.default.svc.cluster.local", "web.default.svc.cluster.local"]);
    const call = w.request("east", "default/client", "http://web/", { timeout: 5 * SECOND });
    w.runFor(10 * SECOND);
    expect(call.result!.status).toBe(200);
    const westPods = w.cluster("west").api.list("Pod", "default").map((p) => `${p.status?.podIP}:8080`);
    expect(westPods).toContain(call.result!.upstream);
  });

  it("§4: its answers are authoritative with a TTL of 30s, come back from the nameserver's address (dig in the pod), and AAAA of a v4 name is NODATA", () => {
    const w = dnsWorld({ proxyMetadata: CAPTURE });
    const shell = podShell(w, "east", "default/client");
    const out = dig(shell, ["web.default.svc.cluster.local"]).stdout;
    expect(out).toContain(";; flags: qr aa rd;");
    expect(out).toContain(`web.default.svc.cluster.local. 30 IN\tA\t${westWeb(w)}`);
    // No OPT record: the agent's reply is miekg/dns's SetReply, which copies none.
    expect(out).not.toContain("OPT PSEUDOSECTION");
    const dns = w.resolvConfOf("east", w.cluster("east").api.get("Pod", "default", "client")!).nameservers[0]!;
    expect(out).toContain(`;; SERVER: ${dns}#53(${dns}) (UDP)`);
    const aaaa = dig(shell, ["web.default.svc.cluster.local", "AAAA"]).stdout;
    expect(aaaa).toContain("status: NOERROR");
    expect(aaaa).toContain("ANSWER: 0,");
  });

  it("§4: the search-list walk: an expanded short name gets the agent's CNAME at once; names not in the table go to kube-dns query by query, as without capture", () => {
    const w = dnsWorld({ proxyMetadata: CAPTURE });
    const r = lookup(w, "web.default");
    expect(r.ok).toBe(true);
    expect(r.addresses.map((a) => a.address)).toEqual([westWeb(w)]);
    expect(r.queries.length).toBe(2);
    expect(r.queries[0]!.name).toBe("web.default.default.svc.cluster.local");
    const plain = dnsWorld();
    for (const name of ["example.org", "nope"]) {
      const captured = lookup(w, name);
      const direct = lookup(plain, name);
      expect([captured.ok, captured.addresses, captured.queries.map((q) => q.name)]).toEqual([direct.ok, direct.addresses, direct.queries.map((q) => q.name)]);
    }
    expect(lookup(w, "example.org").addresses).toEqual([{ family: 4, address: "203.0.113.7" }]);
  });

  it("§4: per pod through the proxy.istio.io/config annotation's proxyMetadata; a pod without it keeps kube-dns alone", () => {
    const annotated: Pod = { ...clientPod, metadata: { name: "captured", namespace: "default", annotations: { "proxy.istio.io/config": 'proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: "true"\n' } } };
    const w = dnsWorld({}, [clientPod, annotated]);
    expect(lookup(w, "web", "default/captured").ok).toBe(true);
    expect(lookup(w, "web", "default/client").ok).toBe(false);
  });

  it("§4: a ServiceEntry host without addresses resolves only with auto-allocation, to 240.240.0.0/16, and a call by name reaches its endpoints", () => {
    const se = (pods: string[]): ServiceEntry => ({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "db", namespace: "default" },
      spec: { hosts: ["db.example.internal"], ports: [{ number: 80, name: "http", targetPort: 8080 }], location: "MESH_INTERNAL", resolution: "STATIC", endpoints: pods.map((address) => ({ address })) },
    });
    const probe = dnsWorld();
    const pods = probe.cluster("west").api.list("Pod", "default").map((p) => p.status!.podIP!);
    const captureOnly = dnsWorld({ proxyMetadata: CAPTURE }, [clientPod], [se(pods)]);
    expect(lookup(captureOnly, "db.example.internal").ok).toBe(false);
    const w = dnsWorld({ proxyMetadata: { ...CAPTURE, ISTIO_META_DNS_AUTO_ALLOCATE: "true" } }, [clientPod], [se(pods)]);
    const r = lookup(w, "db.example.internal");
    expect(r.addresses[0]?.address).toMatch(/^240\.240\.\d+\.\d+$/);
    const call = w.request("east", "default/client", "http://db.example.internal/", { timeout: 5 * SECOND });
    w.runFor(10 * SECOND);
    expect([call.result!.status, call.result!.address]).toEqual([200, r.addresses[0]!.address]);
    expect(pods.map((ip) => `${ip}:8080`)).toContain(call.result!.upstream);
  });

  it("§4: spec.patterns.mesh.dnsCapture turns it on mesh-wide in a scenario", () => {
    const text = readFileSync("scenarios/mesh-basic.yaml", "utf8");
    const variant = (capture: boolean) =>
      text.replace("injection: {namespaces: [shop]}", `injection: {namespaces: [shop]}\n      dnsCapture: ${capture}`).replace("metadata: {name: web, namespace: shop}", "metadata: {name: web-east, namespace: shop}");
    for (const capture of [false, true]) {
      const { world } = buildScenarioWorld(loadScenario(variant(capture), "scenarios/mesh-basic.yaml", { readFile: (p) => readFileSync(p, "utf8") }), { traceLevel: "off" });
      world.runUntil(10 * SECOND);
      const l = world.resolve("east", "shop/client", "web");
      world.runFor(10 * SECOND);
      expect(l.result!.ok).toBe(capture);
    }
  });

  it("the agent's table: short forms of Kubernetes hosts, CNAMEs of their first-search-domain expansions, none for ServiceEntry hosts' own forms", () => {
    const t = lookupTable(
      [
        { host: "web.default.svc.cluster.local", ips: ["10.0.0.1"], namespace: "default", shortname: "web" },
        { host: "api.other.svc.cluster.local", ips: ["10.0.0.2"], namespace: "other", shortname: "api" },
        { host: "db.example.internal", ips: ["240.240.1.1"] },
        { host: "*.wild.example", ips: ["240.0.0.9"] },
      ],
      "default",
      "default.svc.cluster.local",
    );
    expect([...t.a.keys()]).toEqual(["web.default.svc.cluster.local", "web", "web.default", "web.default.svc", "api.other.svc.cluster.local", "api.other", "api.other.svc", "db.example.internal"]);
    expect(t.cname.get("web.default.default.svc.cluster.local")).toBe("web.default");
    expect(t.cname.has("web.default.svc.cluster.local")).toBe(false);
    expect(t.cname.get("api.other.default.svc.cluster.local")).toBe("api.other");
    expect(t.wildcards).toEqual([{ suffix: ".wild.example", ips: ["240.0.0.9"] }]);
  });
});
