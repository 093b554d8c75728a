/**
 * The cluster the kubernetes plugin's conformance table asks about, and the helpers that set the
 * plugin up from a Corefile and print replies as `dig` would (`owner TTL IN TYPE RDATA`).
 *
 * The objects are written out by hand (no controllers run), so every Service, EndpointSlice and
 * Pod is exactly what the table's expectations assume: the objects a scenario would pin.
 */
import { ApiServer } from "../../../src/k8s/apiserver.js";
import { SERVICE_NAME_LABEL } from "../../../src/k8s/endpointslices.js";
import type { Endpoint, EndpointPort, EndpointSlice, K8sObject, Namespace, Pod, Service, ServicePort } from "../../../src/k8s/objects.js";
import { Sim } from "../../../src/sim/sim.js";
import { parseCorefile } from "../../../src/dns/corefile.js";
import { FLAGS, canonical, hasFlag, rcodeOf, type Answer, type Packet } from "../../../src/dns/message.js";
import type { DnsServer, Plugin } from "../../../src/dns/plugin.js";
import { IMPLEMENTED_PLUGINS } from "../../../src/dns/plugins/index.js";
import { kubernetes } from "../../../src/dns/plugins/kubernetes/index.js";
import { expandIpv6 } from "../../../src/dns/plugins/kubernetes/records.js";

/** The fake server's own address (harness.ts): the kube-dns endpoint below, so `cluster.local. NS` names kube-dns. */
export const SERVER_IP = "10.10.0.2";

const ns = (name: string): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

const service = (namespace: string, name: string, spec: Service["spec"]): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  spec,
});

const slice = (namespace: string, service: string, suffix: string, addressType: EndpointSlice["addressType"], endpoints: Endpoint[], ports?: EndpointPort[]): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `${service}-${suffix}`, namespace, labels: { [SERVICE_NAME_LABEL]: service } },
  addressType,
  endpoints,
  ...(ports ? { ports } : {}),
});

const pod = (namespace: string, name: string, ip: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace },
  spec: { containers: [{ name: "c", image: "debian:12" }] },
  status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
});

const tcp = (port: number, name?: string): ServicePort => ({ ...(name ? { name } : {}), port, protocol: "TCP" });
const epPort = (port: number, name?: string, protocol: "TCP" | "UDP" = "TCP"): EndpointPort => ({ ...(name ? { name } : {}), port, protocol });
const podRef = (namespace: string, name: string) => ({ kind: "Pod", namespace, name });

/**
 * The cluster (`default`, `kube-system` and the other initial namespaces exist already):
 *
 * | object | kind | what it tests |
 * |---|---|---|
 * | default/web | ClusterIP 10.96.0.20, ports http/80, https/443; slice: 10.244.1.10, .11 ready (pods web-5d9c-abcde, web-5d9c-fghij), .12 not ready | A, SRV forms, endpoint names on a ClusterIP service, PTR |
 * | default/single | ClusterIP 10.96.0.21, one unnamed port 9000 | unnamed ports: bare SRV only |
 * | default/dual | ClusterIPs 10.96.0.30 + fd00:10:96::30, port http/80 | dual stack A/AAAA/SRV, v6 PTR |
 * | default/db | headless, port postgres/5432; v4 slice db-0 10.244.2.5, db-1 .6, no hostname .7 (pod db-2-xyz), db-3 .8 not ready; v6 slice fd00:: and fd00::2:5 | headless A/AAAA, per-endpoint names, SRV |
 * | default/pets | headless, ports http/80 and metrics/9100; my-pet 10.244.3.1 and .2, other-pet .3 | a hostname with two IPs, SRV de-duplication, weights |
 * | default/portless | headless without ports; 10.244.4.1 | SRV NODATA |
 * | default/empty-hl | headless; only a not-ready endpoint 10.244.5.1 | headless with no ready endpoints → NXDOMAIN |
 * | default/external | ExternalName www.example.com | CNAME + upstream lookup |
 * | default/alias | ExternalName web.default.svc.cluster.local | CNAME resolved inside the zone |
 * | default/broken-alias | ExternalName nosuch.default.svc.cluster.local | in-zone target with no records |
 * | prod/legacy | ClusterIP 10.96.0.40, selector-less; hand-written slice 10.244.1.10 (also web's) ready, 10.244.6.1 not ready | an IP in two Services: two PTRs |
 * | prod/empty | ClusterIP 10.96.0.41, no slices | ignore empty_service |
 * | prod/notready | ClusterIP 10.96.0.42; only a not-ready endpoint | ignore empty_service counts ready endpoints |
 * | kube-system/kube-dns | ClusterIP 10.96.0.10; endpoint 10.10.0.2 (the server) | apex NS |
 * | default/client, prod/worker | Pods 10.244.7.7, 10.244.7.8 | pods verified |
 */
export function clusterObjects(): K8sObject[] {
  return [
    ns("prod"),
    service("default", "web", { type: "ClusterIP", clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"], ports: [tcp(80, "http"), tcp(443, "https")] }),
    slice("default", "web", "abc12", "IPv4", [
      { addresses: ["10.244.1.10"], conditions: { ready: true }, targetRef: podRef("default", "web-5d9c-abcde") },
      { addresses: ["10.244.1.11"], conditions: { ready: true }, targetRef: podRef("default", "web-5d9c-fghij") },
      { addresses: ["10.244.1.12"], conditions: { ready: false }, targetRef: podRef("default", "web-5d9c-klmno") },
    ], [epPort(8080, "http"), epPort(8443, "https")]),
    service("default", "single", { clusterIP: "10.96.0.21", ports: [tcp(9000)] }),
    service("default", "dual", {
      clusterIP: "10.96.0.30",
      clusterIPs: ["10.96.0.30", "fd00:10:96::30"],
      ipFamilies: ["IPv4", "IPv6"],
      ipFamilyPolicy: "RequireDualStack",
      ports: [tcp(80, "http")],
    }),
    service("default", "db", { clusterIP: "None", clusterIPs: ["None"], ports: [tcp(5432, "postgres")] }),
    slice("default", "db", "v4", "IPv4", [
      { addresses: ["10.244.2.5"], hostname: "db-0", targetRef: podRef("default", "db-0") },
      { addresses: ["10.244.2.6"], hostname: "db-1", conditions: { ready: true }, targetRef: podRef("default", "db-1") },
      { addresses: ["10.244.2.7"], targetRef: podRef("default", "db-2-xyz") },
      { addresses: ["10.244.2.8"], hostname: "db-3", conditions: { ready: false }, targetRef: podRef("default", "db-3") },
    ], [epPort(5432, "postgres")]),
    slice("default", "db", "v6", "IPv6", [{ addresses: ["fd00::"] }, { addresses: ["fd00::2:5"] }], [epPort(5432, "postgres")]),
    service("default", "pets", { clusterIP: "None", ports: [tcp(80, "http"), tcp(9100, "metrics")] }),
    slice("default", "pets", "x1", "IPv4", [
      { addresses: ["10.244.3.1"], hostname: "my-pet" },
      { addresses: ["10.244.3.2"], hostname: "my-pet" },
      { addresses: ["10.244.3.3"], hostname: "other-pet" },
    ], [epPort(80, "http"), epPort(9100, "metrics")]),
    service("default", "portless", { clusterIP: "None" }),
    slice("default", "portless", "p1", "IPv4", [{ addresses: ["10.244.4.1"] }]),
    service("default", "empty-hl", { clusterIP: "None", ports: [tcp(80, "http")] }),
    slice("default", "empty-hl", "e1", "IPv4", [{ addresses: ["10.244.5.1"], conditions: { ready: false } }], [epPort(80, "http")]),
    service("default", "external", { type: "ExternalName", externalName: "www.example.com" }),
    service("default", "alias", { type: "ExternalName", externalName: "web.default.svc.cluster.local" }),
    service("default", "broken-alias", { type: "ExternalName", externalName: "nosuch.default.svc.cluster.local" }),
    service("prod", "legacy", { clusterIP: "10.96.0.40", ports: [tcp(80, "http")] }),
    slice("prod", "legacy", "manual", "IPv4", [
      { addresses: ["10.244.1.10"], conditions: { ready: true } },
      { addresses: ["10.244.6.1"], conditions: { ready: false } },
    ], [epPort(80, "http")]),
    service("prod", "empty", { clusterIP: "10.96.0.41", ports: [tcp(80, "http")] }),
    service("prod", "notready", { clusterIP: "10.96.0.42", ports: [tcp(80, "http")] }),
    slice("prod", "notready", "n1", "IPv4", [{ addresses: ["10.244.6.2"], conditions: { ready: false } }], [epPort(80, "http")]),
    service("kube-system", "kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }] }),
    slice("kube-system", "kube-dns", "k1", "IPv4", [{ addresses: [SERVER_IP], targetRef: podRef("kube-system", "coredns-0") }], [epPort(53, "dns", "UDP"), epPort(53, "dns-tcp")]),
    pod("default", "client", "10.244.7.7"),
    pod("prod", "worker", "10.244.7.8"),
  ];
}

/** An API server holding `objects` (and the initial namespaces), on a fresh clock. */
export function apiWith(objects: readonly K8sObject[], seed = 1): { sim: Sim; api: ApiServer } {
  const sim = new Sim({ seed });
  const api = new ApiServer(sim, "test");
  for (const o of objects) api.create(o);
  return { sim, api };
}

/**
 * The kubernetes plugin as a Corefile sets it up: the Corefile is parsed, and the plugin gets its
 * directive and the zones of its server block.
 */
export function pluginFromCorefile(corefile: string, server: DnsServer, api: ApiServer): Plugin {
  const parsed = parseCorefile(corefile, "Corefile", { plugins: IMPLEMENTED_PLUGINS });
  const block = parsed.servers.find((s) => s.directives.some((d) => d.name === "kubernetes"));
  if (!block) throw new Error("the Corefile has no kubernetes directive");
  const directive = block.directives.find((d) => d.name === "kubernetes")!;
  const zones = block.keys.map((k) => canonical(k.zone));
  const plugin = kubernetes.setup({ directive, zones, server, api, resolvConfNameservers: [], files: {} });
  if (!plugin) throw new Error("kubernetes.setup returned no plugin");
  return plugin;
}

/** One record in presentation form, as dig prints it: `owner. TTL IN TYPE RDATA`. */
export function present(a: Answer): string {
  const owner = fq(a.name);
  if (a.type === "OPT") return `${owner} OPT`;
  const head = `${owner} ${a.ttl ?? 0} ${a.class ?? "IN"} ${a.type}`;
  const d = (a as { data?: unknown }).data;
  switch (a.type) {
    case "A":
    case "AAAA":
      return `${head} ${String(d)}`;
    case "CNAME":
    case "PTR":
    case "NS":
      return `${head} ${fq(String(d))}`;
    case "SRV": {
      const s = d as { priority?: number; weight?: number; port?: number; target: string };
      return `${head} ${s.priority ?? 0} ${s.weight ?? 0} ${s.port ?? 0} ${fq(s.target)}`;
    }
    case "SOA": {
      const s = d as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
      return `${head} ${fq(s.mname)} ${fq(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case "TXT": {
      const parts = Array.isArray(d) ? d : [d];
      return `${head} ${parts.map((p) => JSON.stringify(typeof p === "string" ? p : Buffer.from(p as Uint8Array).toString())).join(" ")}`;
    }
    default:
      return `${head} ${JSON.stringify(d)}`;
  }
}

function fq(name: string): string {
  return name === "." || name.endsWith(".") ? name : `${name}.`;
}

/**
 * What a reply says, in a form that two encodings of one message share: header bits, rcode, the
 * question and every section in presentation form (IPv6 addresses written out in full, since
 * the wire keeps the address, not its spelling).
 */
export function substance(p: Packet): unknown {
  const rr = (a: Answer) => {
    const line = present(a);
    return a.type === "AAAA" ? line.replace(/\S+$/, (ip) => expandIpv6(ip)) : line;
  };
  return {
    id: p.id,
    response: p.type === "response",
    rcode: rcodeOf(p),
    aa: hasFlag(p, FLAGS.AA),
    tc: hasFlag(p, FLAGS.TC),
    rd: hasFlag(p, FLAGS.RD),
    ra: hasFlag(p, FLAGS.RA),
    questions: (p.questions ?? []).map((q) => `${fq(q.name)} ${q.class ?? "IN"} ${q.type}`),
    answers: (p.answers ?? []).map(rr),
    authorities: (p.authorities ?? []).map(rr),
    additionals: (p.additionals ?? []).map(rr),
  };
}
