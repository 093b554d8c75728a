/**
 * The lighthouse plugin (Submariner Lighthouse's DNS server, shared/reference/mcs.md §5.3): one
 * row per query with the full reply it must get, then the behaviours that take more than one
 * query (local preference, round robin, changes, sync) and the Corefile syntax. The ServiceImports
 * and imported EndpointSlices are written by hand, as Lighthouse's agent writes them: a ClusterIP
 * service's slice holds one endpoint, the exporter's Service IP, ready when it has a ready backend
 * (mcs.md §5.2). Every reply must survive a dns-packet encode/decode (DESIGN.md 'Actors and messages').
 */
import { describe, expect, it } from "vitest";
import { CorefileError } from "../../../src/index.js";
import { parseCorefile } from "../../../src/dns/corefile.js";
import { FLAGS, canonical, hasFlag, makeReply, rcodeOf, roundTrip, type Packet, type Rcode, type RecordType } from "../../../src/dns/message.js";
import type { DnsServer, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { PLUGINS } from "../../../src/dns/plugins/index.js";
import { SmoothWeightedRoundRobin } from "../../../src/dns/plugins/lighthouse/balancer.js";
import { lighthouse } from "../../../src/dns/plugins/lighthouse/index.js";
import { PUBLISH_NOT_READY_ANNOTATION } from "../../../src/dns/plugins/lighthouse/resolver.js";
import { MC_SERVICE_NAME_LABEL, MC_SOURCE_CLUSTER_LABEL } from "../../../src/dns/plugins/multicluster/index-cache.js";
import { ApiServer } from "../../../src/k8s/apiserver.js";
import { ABOUT_API_VERSION, CLUSTER_ID_PROPERTY, MCS_API_VERSION, type ClusterProperty, type Endpoint, type EndpointPort, type EndpointSlice, type K8sObject, type Namespace, type ServiceImport, type ServiceImportPort } from "../../../src/k8s/objects.js";
import { Sim } from "../../../src/sim/sim.js";
import { directive, expectSetupError, fakeServer, request, serve } from "./harness.js";
import { present, substance } from "./kubernetes-fixture.js";

// ---------------------------------------------------------------------------------------------
// The cluster: cluster-a, as Lighthouse's agent would have written it.

const ns = (name: string): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

const serviceImport = (name: string, type: ServiceImport["spec"]["type"], ports: ServiceImportPort[], ips?: string[]): ServiceImport => ({
  apiVersion: MCS_API_VERSION,
  kind: "ServiceImport",
  metadata: { name, namespace: "test" },
  spec: { type, ports, ...(ips ? { ips } : {}) },
});

/** An imported slice, named `<service>-<cluster><suffix>` as Lighthouse's agent names them. */
const imported = (service: string, cluster: string, endpoints: Endpoint[], ports: EndpointPort[], options: { suffix?: string; publishNotReady?: string } = {}): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: `${service}-${cluster}${options.suffix ?? ""}`,
    namespace: "test",
    labels: { [MC_SERVICE_NAME_LABEL]: service, [MC_SOURCE_CLUSTER_LABEL]: cluster, "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io" },
    ...(options.publishNotReady !== undefined ? { annotations: { [PUBLISH_NOT_READY_ANNOTATION]: options.publishNotReady } } : {}),
  },
  addressType: "IPv4",
  endpoints,
  ports,
});

/** A ClusterIP service's slice: the exporter's Service IP, ready when the service has a ready backend. */
const clusterIp = (service: string, cluster: string, ip: string, ready: boolean, ports: EndpointPort[] = [HTTP]) => imported(service, cluster, [{ addresses: [ip], conditions: { ready } }], ports);

const clusterIdProperty = (value: string): ClusterProperty => ({ apiVersion: ABOUT_API_VERSION, kind: "ClusterProperty", metadata: { name: CLUSTER_ID_PROPERTY }, spec: { value } });

const HTTP: EndpointPort = { name: "http", port: 80, protocol: "TCP" };
const METRICS: EndpointPort = { name: "metrics", port: 9090, protocol: "TCP" };
const PG: EndpointPort = { name: "postgres", port: 5432, protocol: "TCP" };
const tcp = (port: number, name: string): ServiceImportPort => ({ name, port, protocol: "TCP" });

/**
 * | service | what it holds | what it tests |
 * |---|---|---|
 * | web | ClusterIP in cluster-a (local) 10.1.0.10, cluster-b 10.2.0.10, cluster-c 10.3.0.10, all healthy; a and b have http/80 and metrics/9090, c http/80 only | local first, cluster form, ports intersection |
 * | remote | ClusterIP in cluster-b 10.2.0.11 and cluster-c 10.3.0.11, healthy | round robin |
 * | sick | ClusterIP, unhealthy in cluster-a (local) 10.1.0.12 and cluster-c 10.3.0.12, healthy in cluster-b 10.2.0.12 | unhealthy clusters skipped, a requested cluster even if unhealthy |
 * | down | ClusterIP, unhealthy in cluster-b 10.2.0.13 and cluster-c 10.3.0.13 | NODATA |
 * | vip | ClusterIP with clusterset IPs 242.0.0.1 and 242.0.0.2, cluster-b 10.2.0.14 | the VIP, one record |
 * | db | Headless, postgres/5432: cluster-a db-0 10.1.1.1, a Pod db-1 10.1.1.2 (no hostname), db-9 10.1.1.3 not ready; cluster-b db-0 10.2.1.1, dup-0 10.1.1.1 | union, dedup, forms, readiness |
 * | pnr | Headless: cluster-a (publish-not-ready "true") 10.1.2.1 not ready; cluster-b ("false") 10.2.2.1 not ready, 10.2.2.2 ready | the publish-not-ready annotation |
 * | quiet | Headless: cluster-a, only a not-ready 10.1.3.1 | a known service with nothing to answer: NODATA |
 * | orphan | slices from cluster-b, no ServiceImport | no ServiceImport: unknown |
 */
function objects(): K8sObject[] {
  return [
    ns("test"),
    clusterIdProperty("cluster-a"),
    serviceImport("web", "ClusterSetIP", [tcp(80, "http")]),
    clusterIp("web", "cluster-a", "10.1.0.10", true, [HTTP, METRICS]),
    clusterIp("web", "cluster-b", "10.2.0.10", true, [HTTP, METRICS]),
    clusterIp("web", "cluster-c", "10.3.0.10", true, [HTTP]),
    serviceImport("remote", "ClusterSetIP", [tcp(80, "http")]),
    clusterIp("remote", "cluster-b", "10.2.0.11", true),
    clusterIp("remote", "cluster-c", "10.3.0.11", true),
    serviceImport("sick", "ClusterSetIP", [tcp(80, "http")]),
    clusterIp("sick", "cluster-a", "10.1.0.12", false),
    clusterIp("sick", "cluster-b", "10.2.0.12", true),
    clusterIp("sick", "cluster-c", "10.3.0.12", false),
    serviceImport("down", "ClusterSetIP", [tcp(80, "http")]),
    clusterIp("down", "cluster-b", "10.2.0.13", false),
    clusterIp("down", "cluster-c", "10.3.0.13", false),
    serviceImport("vip", "ClusterSetIP", [tcp(80, "http")], ["242.0.0.1", "242.0.0.2"]),
    clusterIp("vip", "cluster-b", "10.2.0.14", true),
    serviceImport("db", "Headless", [tcp(5432, "postgres")]),
    imported("db", "cluster-a", [
      { addresses: ["10.1.1.1"], hostname: "db-0", conditions: { ready: true } },
      { addresses: ["10.1.1.2"], targetRef: { kind: "Pod", name: "db-1", namespace: "test" } },
      { addresses: ["10.1.1.3"], hostname: "db-9", conditions: { ready: false } },
    ], [PG]),
    imported("db", "cluster-b", [
      { addresses: ["10.2.1.1"], hostname: "db-0" },
      { addresses: ["10.1.1.1"], hostname: "dup-0" },
    ], [PG]),
    serviceImport("pnr", "Headless", [tcp(5432, "postgres")]),
    imported("pnr", "cluster-a", [{ addresses: ["10.1.2.1"], hostname: "p-0", conditions: { ready: false } }], [PG], { publishNotReady: "true" }),
    imported("pnr", "cluster-b", [
      { addresses: ["10.2.2.1"], hostname: "p-0", conditions: { ready: false } },
      { addresses: ["10.2.2.2"], hostname: "p-1", conditions: { ready: true } },
    ], [PG], { publishNotReady: "false" }),
    serviceImport("quiet", "Headless", [tcp(5432, "postgres")]),
    imported("quiet", "cluster-a", [{ addresses: ["10.1.3.1"], conditions: { ready: false } }], [PG]),
    clusterIp("orphan", "cluster-b", "10.2.0.19", true),
  ];
}

function apiWith(list: readonly K8sObject[], watchDelay?: number): { sim: Sim; api: ApiServer } {
  const sim = new Sim({ seed: 1 });
  const api = new ApiServer(sim, "cluster-a", watchDelay === undefined ? {} : { watchDelay: { kind: "constant", value: watchDelay } });
  for (const o of list) api.create(o);
  return { sim, api };
}

/** The lighthouse plugin as a Corefile sets it up: its directive and its server block's zones. */
function pluginFrom(corefile: string, server: DnsServer, api: ApiServer): Plugin {
  const parsed = parseCorefile(corefile, "Corefile", { plugins: new Set(PLUGINS.keys()) });
  const block = parsed.servers.find((s) => s.directives.some((d) => d.name === "lighthouse"))!;
  const d = block.directives.find((x) => x.name === "lighthouse")!;
  const plugin = lighthouse.setup({ directive: d, zones: block.keys.map((k) => canonical(k.zone)), server, api, resolvConfNameservers: [], files: {}, serverDirectives: block.directives });
  if (!plugin) throw new Error("lighthouse.setup returned no plugin");
  return plugin;
}

const CONFIGS = {
  /** Lighthouse's own server (the operator's Corefile, mcs.md §5.1). */
  lh: ".:53 {\n    lighthouse clusterset.local\n}\n",
  fallthrough: ".:53 {\n    lighthouse clusterset.local {\n        fallthrough\n    }\n}\n",
  ttl: ".:53 {\n    lighthouse clusterset.local {\n        ttl 30\n    }\n}\n",
} as const;
type ConfigName = keyof typeof CONFIGS;

interface Env {
  readonly sim: Sim;
  readonly api: ApiServer;
  readonly server: DnsServer;
  readonly plugin: Plugin;
}

/** A synced plugin of its own over a fresh copy of the objects: each test starts its round robins afresh. */
function env(config: ConfigName = "lh", list: readonly K8sObject[] = objects()): Env {
  const { sim, api } = apiWith(list);
  const server = fakeServer(sim);
  const plugin = pluginFrom(CONFIGS[config], server, api);
  sim.runFor(1_000_000);
  return { sim, api, server, plugin };
}

/** Where a fall-through lands: a next plugin that answers REFUSED, so that reaching it shows. */
function nextPlugin(): { calls: string[]; next: NextHandler } {
  const calls: string[] = [];
  return { calls, next: (r, w) => (calls.push(`${r.qname} ${r.qtype}`), w.write(makeReply(r.query, { rcode: "REFUSED" }))) };
}

/** Serves one query and returns the one reply; the plugin must not pass it on. */
function ask(e: Env, q: string, qtype: RecordType = "A"): Packet {
  const written = serve(e.plugin, request(e.server, q, qtype), () => {
    throw new Error(`${q} ${qtype} went to the next plugin`);
  }, e.sim);
  expect(written).toHaveLength(1);
  return written[0]!;
}

const answersOf = (p: Packet) => (p.answers ?? []).map(present);
/** The A records' addresses of a reply. */
const ips = (p: Packet) => (p.answers ?? []).map((a) => String((a as { data: unknown }).data));

// ---------------------------------------------------------------------------------------------
// The table.

const Z = "test.svc.clusterset.local";

interface Row {
  readonly name: string;
  readonly config?: ConfigName;
  readonly q: string;
  readonly qtype: RecordType;
  readonly rcode?: Rcode;
  readonly answer?: readonly string[];
  readonly next?: true;
}

const NXDOMAIN = { rcode: "NXDOMAIN" } as const;
const NODATA = { rcode: "NOERROR", answer: [] } as const;
const srv = (owner: string, port: number, target: string, ttl = 5) => `${owner}. ${ttl} IN SRV 0 50 ${port} ${target}.`;

const ROWS: readonly Row[] = [
  // ---- Query handling (mcs.md §5.3) ------------------------------------------------------------
  { name: "mcs.md §5.3: a name outside the zones is NOTZONE", q: "web.test.svc.cluster.local", qtype: "A", rcode: "NOTZONE" },
  { name: "mcs.md §5.3: with fallthrough, a name outside the zones goes to the next plugin", config: "fallthrough", q: "web.test.svc.cluster.local", qtype: "A", next: true },
  { name: "mcs.md §5.3: a type other than A/AAAA/SRV is NOTIMP", q: `web.${Z}`, qtype: "TXT", rcode: "NOTIMP" },
  { name: "mcs.md §5.3: PTR is NOTIMP too", q: `web.${Z}`, qtype: "PTR", rcode: "NOTIMP" },
  { name: "mcs.md §5.3: with fallthrough, an unsupported type goes to the next plugin", config: "fallthrough", q: `web.${Z}`, qtype: "MX", next: true },
  { name: "mcs.md §5.3: AAAA is NOERROR with no records and no SOA (IPv4 only)", q: `web.${Z}`, qtype: "AAAA", ...NODATA },
  { name: "mcs.md §5.3: AAAA of an unknown service is NOERROR empty too", q: `nosuch.${Z}`, qtype: "AAAA", ...NODATA },
  { name: "mcs.md §5.3: a pod query is NXDOMAIN", q: "10-1-1-1.test.pod.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: a pod query is NXDOMAIN for AAAA as well", q: "10-1-1-1.test.pod.clusterset.local", qtype: "AAAA", ...NXDOMAIN },
  { name: "mcs.md §5.3: a name that is not svc or pod is NXDOMAIN", q: "web.test.xyz.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: the apex is no service: NXDOMAIN", q: "clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: svc.<zone> is no service: NXDOMAIN", q: "svc.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: <ns>.svc.<zone> is no service: NXDOMAIN", q: Z, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: an unknown service is NXDOMAIN", q: `nosuch.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: slices without a ServiceImport are no known service: NXDOMAIN", q: `orphan.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3: with fallthrough, an unknown service goes to the next plugin", config: "fallthrough", q: `nosuch.${Z}`, qtype: "A", next: true },
  { name: "mcs.md §5.3: with fallthrough, a known service is still answered", config: "fallthrough", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.1.0.10`] },
  { name: "mcs.md §5.3: a known service with no healthy cluster is NODATA (NOERROR, no SOA)", q: `down.${Z}`, qtype: "A", ...NODATA },
  { name: "mcs.md §5.3: NODATA does not fall through", config: "fallthrough", q: `down.${Z}`, qtype: "A", ...NODATA },
  { name: "mcs.md §5.3: more than host.cluster before the service is NXDOMAIN for A", q: `x.db-0.cluster-a.db.${Z}`, qtype: "A", ...NXDOMAIN },

  // ---- ClusterSetIP resolution order (mcs.md §5.3) ---------------------------------------------
  { name: "mcs.md §5.3 step 3: the local cluster exports and is healthy: its IP, one A record, TTL 5", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.1.0.10`] },
  { name: "mcs.md §5.3: the ttl option sets the records' TTL", config: "ttl", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 30 IN A 10.1.0.10`] },
  { name: "mcs.md §5.3 step 1: cluster.svc.ns.svc.Z is that cluster's IP (a Lighthouse extension)", q: `cluster-c.web.${Z}`, qtype: "A", answer: [`cluster-c.web.${Z}. 5 IN A 10.3.0.10`] },
  { name: "mcs.md §5.3 step 1: a requested cluster answers even when unhealthy", q: `cluster-c.sick.${Z}`, qtype: "A", answer: [`cluster-c.sick.${Z}. 5 IN A 10.3.0.12`] },
  { name: "mcs.md §5.3 step 1: a requested cluster that does not export is NXDOMAIN", q: `cluster-a.remote.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3 step 2: the clusterset IP when enabled, the first one only", q: `vip.${Z}`, qtype: "A", answer: [`vip.${Z}. 5 IN A 242.0.0.1`] },
  { name: "mcs.md §5.3 step 1 before step 2: a requested cluster wins over the clusterset IP", q: `cluster-b.vip.${Z}`, qtype: "A", answer: [`cluster-b.vip.${Z}. 5 IN A 10.2.0.14`] },
  { name: "mcs.md §5.3 step 4: the local cluster unhealthy, the only healthy one is answered", q: `sick.${Z}`, qtype: "A", answer: [`sick.${Z}. 5 IN A 10.2.0.12`] },
  { name: "mcs.md §5.3 A: host.cluster on a ClusterIP service is that cluster's IP (the host is not read)", q: `anything.cluster-b.web.${Z}`, qtype: "A", answer: [`anything.cluster-b.web.${Z}. 5 IN A 10.2.0.10`] },

  // ---- SRV (mcs.md §5.3) -----------------------------------------------------------------------
  { name: "mcs.md §5.3 SRV: priority 0 weight 50, target svc.ns.svc.Z, ports the intersection across clusters", q: `web.${Z}`, qtype: "SRV", answer: [srv(`web.${Z}`, 80, `web.${Z}`)] },
  { name: "mcs.md §5.3 SRV: with a cluster, that cluster's ports and the target cluster.svc.ns.svc.Z", q: `cluster-b.web.${Z}`, qtype: "SRV", answer: [srv(`cluster-b.web.${Z}`, 80, `cluster-b.web.${Z}`), srv(`cluster-b.web.${Z}`, 9090, `cluster-b.web.${Z}`)] },
  { name: "mcs.md §5.3 SRV: _port._proto gives only that port", q: `_http._tcp.web.${Z}`, qtype: "SRV", answer: [srv(`_http._tcp.web.${Z}`, 80, `web.${Z}`)] },
  { name: "mcs.md §5.3 SRV: port.proto without underscores is the same", q: `http.tcp.web.${Z}`, qtype: "SRV", answer: [srv(`http.tcp.web.${Z}`, 80, `web.${Z}`)] },
  { name: "mcs.md §5.3 SRV: a port not in every cluster is left out of the non-cluster answer: NODATA", q: `_metrics._tcp.web.${Z}`, qtype: "SRV", ...NODATA },
  { name: "mcs.md §5.3 SRV: _port._proto.cluster gives that cluster's port", q: `_metrics._tcp.cluster-b.web.${Z}`, qtype: "SRV", answer: [srv(`_metrics._tcp.cluster-b.web.${Z}`, 9090, `cluster-b.web.${Z}`)] },
  { name: "mcs.md §5.3 SRV: a protocol no port has is NODATA", q: `_http._udp.web.${Z}`, qtype: "SRV", ...NODATA },
  { name: "mcs.md §5.3 SRV: a known service with no healthy cluster is NODATA", q: `down.${Z}`, qtype: "SRV", ...NODATA },
  { name: "mcs.md §5.3 SRV: more than port.proto.cluster before the service is NXDOMAIN", q: `_x._http._tcp.cluster-b.web.${Z}`, qtype: "SRV", ...NXDOMAIN },
  {
    name: "mcs.md §5.3 SRV headless: targets host.cluster.svc.ns.svc.Z, not-ready and hostless endpoints left out",
    q: `db.${Z}`,
    qtype: "SRV",
    answer: [srv(`db.${Z}`, 5432, `db-0.cluster-a.db.${Z}`), srv(`db.${Z}`, 5432, `db-1.cluster-a.db.${Z}`), srv(`db.${Z}`, 5432, `db-0.cluster-b.db.${Z}`), srv(`db.${Z}`, 5432, `dup-0.cluster-b.db.${Z}`)],
  },
  { name: "mcs.md §5.3 SRV headless: with a cluster, that cluster's endpoints", q: `_postgres._tcp.cluster-b.db.${Z}`, qtype: "SRV", answer: [srv(`_postgres._tcp.cluster-b.db.${Z}`, 5432, `db-0.cluster-b.db.${Z}`), srv(`_postgres._tcp.cluster-b.db.${Z}`, 5432, `dup-0.cluster-b.db.${Z}`)] },

  // ---- Headless (mcs.md §5.3) ------------------------------------------------------------------
  { name: "mcs.md §5.3 headless: the union over the clusters, addresses deduplicated, not-ready skipped", q: `db.${Z}`, qtype: "A", answer: [`db.${Z}. 5 IN A 10.1.1.1`, `db.${Z}. 5 IN A 10.1.1.2`, `db.${Z}. 5 IN A 10.2.1.1`] },
  { name: "mcs.md §5.3 headless: with a cluster, that cluster's records", q: `cluster-b.db.${Z}`, qtype: "A", answer: [`cluster-b.db.${Z}. 5 IN A 10.2.1.1`, `cluster-b.db.${Z}. 5 IN A 10.1.1.1`] },
  { name: "mcs.md §5.3 headless: host and cluster give that host's IPs", q: `db-0.cluster-b.db.${Z}`, qtype: "A", answer: [`db-0.cluster-b.db.${Z}. 5 IN A 10.2.1.1`] },
  { name: "mcs.md §5.3 headless: the hostname of a Pod endpoint without one is the Pod's name", q: `db-1.cluster-a.db.${Z}`, qtype: "A", answer: [`db-1.cluster-a.db.${Z}. 5 IN A 10.1.1.2`] },
  { name: "mcs.md §5.3 headless: a not-ready endpoint's host is unknown: NXDOMAIN", q: `db-9.cluster-a.db.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3 headless: an unknown cluster is NXDOMAIN", q: `cluster-z.db.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §5.3 headless: not-ready published only where the slice's publish-not-ready annotation is true", q: `pnr.${Z}`, qtype: "A", answer: [`pnr.${Z}. 5 IN A 10.1.2.1`, `pnr.${Z}. 5 IN A 10.2.2.2`] },
  { name: "mcs.md §5.3 headless: no ready endpoint anywhere is NODATA, not NXDOMAIN", q: `quiet.${Z}`, qtype: "A", ...NODATA },
];

describe("lighthouse plugin table (mcs.md §5.3)", () => {
  it("names every row after the mcs.md section it checks, none twice", () => {
    for (const row of ROWS) expect(row.name).toMatch(/mcs\.md §5\.3/);
    expect(new Set(ROWS.map((r) => `${r.config ?? "lh"} ${r.q} ${r.qtype}`)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((r) => [r.name, r] as const))("%s", (_name, row) => {
    const e = env(row.config);
    const req = request(e.server, row.q, row.qtype);
    const { calls, next } = nextPlugin();
    const written = serve(e.plugin, req, next, e.sim);
    expect(written).toHaveLength(1);
    const reply = written[0]!;
    if (row.next) {
      expect(calls).toEqual([`${row.q} ${row.qtype}`]);
      return;
    }
    expect(calls, "the plugin answered itself").toEqual([]);
    expect(reply.id).toBe(req.query.id);
    expect(rcodeOf(reply)).toBe(row.rcode ?? "NOERROR");
    // handler.go writeResponse: every reply is authoritative, and carries only its answers.
    expect(hasFlag(reply, FLAGS.AA)).toBe(true);
    expect(answersOf(reply)).toEqual([...(row.answer ?? [])]);
    expect(reply.authorities ?? []).toEqual([]);
    expect((reply.additionals ?? []).filter((a) => a.type !== "OPT")).toEqual([]);
    // DESIGN.md 'Actors and messages': every answer survives the wire.
    expect(substance(roundTrip(reply))).toEqual(substance(reply));
  });
});

// ---------------------------------------------------------------------------------------------
// Local preference and round robin.

describe("lighthouse ClusterSetIP choice (mcs.md §5.3)", () => {
  it("answers the local cluster every time while it is healthy, with no round robin (step 3)", () => {
    const e = env();
    expect(Array.from({ length: 10 }, () => ips(ask(e, `web.${Z}`)))).toEqual(Array.from({ length: 10 }, () => ["10.1.0.10"]));
  });

  it("alternates over the remote clusters by smooth weighted round robin, one A record each time (step 4)", () => {
    const e = env();
    const answers = Array.from({ length: 10 }, () => ips(ask(e, `remote.${Z}`)));
    for (const a of answers) expect(a).toHaveLength(1);
    expect(answers.map((a) => a[0])).toEqual(["10.2.0.11", "10.3.0.11", "10.2.0.11", "10.3.0.11", "10.2.0.11", "10.3.0.11", "10.2.0.11", "10.3.0.11", "10.2.0.11", "10.3.0.11"]);
  });

  it("skips clusters without healthy endpoints, the local one included, every time (step 4)", () => {
    const e = env();
    expect(new Set(Array.from({ length: 6 }, () => ips(ask(e, `sick.${Z}`))[0]))).toEqual(new Set(["10.2.0.12"]));
  });

  it("takes the round robin's state per plugin instance: two servers each start from the first cluster", () => {
    const one = env();
    const two = env();
    expect([ips(ask(one, `remote.${Z}`)), ips(ask(one, `remote.${Z}`)), ips(ask(two, `remote.${Z}`))]).toEqual([["10.2.0.11"], ["10.3.0.11"], ["10.2.0.11"]]);
  });

  it("starts the round robin afresh when the service's slices change, as resetLoadBalancing does", () => {
    const e = env();
    expect(ips(ask(e, `remote.${Z}`))).toEqual(["10.2.0.11"]);
    const c = e.api.get("EndpointSlice", "test", "remote-cluster-c")!;
    e.api.update({ ...c, metadata: { ...c.metadata, labels: { ...c.metadata.labels, touched: "yes" } } });
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `remote.${Z}`))).toEqual(["10.2.0.11"]);
    expect(ips(ask(e, `remote.${Z}`))).toEqual(["10.3.0.11"]);
  });

  it("falls back to the round robin once the local cluster has no ready backend, and back to it when it has", () => {
    const e = env();
    const local = e.api.get("EndpointSlice", "test", "web-cluster-a")!;
    e.api.update({ ...local, endpoints: [{ addresses: ["10.1.0.10"], conditions: { ready: false } }] });
    e.sim.runFor(1_000_000);
    expect(Array.from({ length: 3 }, () => ips(ask(e, `web.${Z}`))[0])).toEqual(["10.2.0.10", "10.3.0.10", "10.2.0.10"]);
    e.api.update({ ...local, endpoints: [{ addresses: ["10.1.0.10"], conditions: { ready: true } }] });
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `web.${Z}`))).toEqual(["10.1.0.10"]);
  });

  it("reads the local cluster id from the cluster.clusterset.k8s.io ClusterProperty, and has none without it", () => {
    const e = env();
    e.api.update(clusterIdProperty("cluster-c"));
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `web.${Z}`))).toEqual(["10.3.0.10"]);
    e.api.delete("ClusterProperty", "", CLUSTER_ID_PROPERTY);
    e.sim.runFor(1_000_000);
    expect([ips(ask(e, `web.${Z}`)), ips(ask(e, `web.${Z}`))]).toEqual([["10.1.0.10"], ["10.2.0.10"]]);
  });
});

describe("SmoothWeightedRoundRobin (coredns/loadbalancer, mcs.md §5.3)", () => {
  it("gives equal weights in turn, and a skipped item falls behind the next one for a turn", () => {
    const rr = new SmoothWeightedRoundRobin(["a", "b", "c"]);
    expect([rr.next(), rr.next(), rr.next(), rr.next()]).toEqual(["a", "b", "c", "a"]);
    // b was next; skipped, it gains nothing on this pick, so c goes first.
    rr.skip("b");
    expect([rr.next(), rr.next(), rr.next(), rr.next(), rr.next(), rr.next()]).toEqual(["c", "b", "a", "c", "b", "a"]);
    expect(new SmoothWeightedRoundRobin([]).next()).toBeUndefined();
    expect(new SmoothWeightedRoundRobin(["only"]).next()).toBe("only");
  });
});

// ---------------------------------------------------------------------------------------------
// Changes and sync.

describe("lighthouse plugin watches (mcs.md §5.3)", () => {
  it("answers nothing until its watches have synced, as Lighthouse's setup waits for its informers", () => {
    const { sim, api } = apiWith(objects(), 10_000_000);
    const server = fakeServer(sim);
    const plugin = pluginFrom(CONFIGS.lh, server, api);
    expect(plugin.ready?.()).toBe(false);
    sim.runFor(9_000_000);
    const early: Packet[] = [];
    plugin.serve(request(server, `web.${Z}`), { write: (p) => early.push(p) }, () => undefined);
    expect(early).toEqual([]);
    sim.runFor(2_000_000);
    expect(plugin.ready?.()).toBe(true);
    expect(ips(ask({ sim, api, server, plugin }, `web.${Z}`))).toEqual(["10.1.0.10"]);
  });

  it("keeps a service whose ServiceImport was deleted while its slices remain, until the last slice goes (lighthouse PR #1472)", () => {
    const e = env();
    e.api.delete("ServiceImport", "test", "remote");
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `remote.${Z}`))).toEqual(["10.2.0.11"]);
    e.api.delete("EndpointSlice", "test", "remote-cluster-b");
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `remote.${Z}`))).toEqual(["10.3.0.11"]);
    e.api.delete("EndpointSlice", "test", "remote-cluster-c");
    e.sim.runFor(1_000_000);
    expect(rcodeOf(ask(e, `remote.${Z}`))).toBe("NXDOMAIN");
    // Gone for good: a slice coming back without its ServiceImport is not enough.
    e.api.create(clusterIp("remote", "cluster-b", "10.2.0.11", true));
    e.sim.runFor(1_000_000);
    expect(rcodeOf(ask(e, `remote.${Z}`))).toBe("NXDOMAIN");
  });

  it("answers a slice that arrived before its ServiceImport once the ServiceImport comes (the requeue)", () => {
    const e = env();
    expect(rcodeOf(ask(e, `orphan.${Z}`))).toBe("NXDOMAIN");
    e.api.create(serviceImport("orphan", "ClusterSetIP", [tcp(80, "http")]));
    e.sim.runFor(1_000_000);
    expect(ips(ask(e, `orphan.${Z}`))).toEqual(["10.2.0.19"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Corefile syntax (mcs.md §5.3).

describe("lighthouse Corefile syntax (mcs.md §5.3)", () => {
  it("refuses an unknown option with a CorefileError at its line and column", () => {
    expectSetupError(lighthouse, ["clusterset.local"], [directive("noendpoints", [], null, 3)], /lighthouse: unknown property 'noendpoints'/);
  });

  it("takes ttl from 0 to 3600 seconds only", () => {
    expectSetupError(lighthouse, ["clusterset.local"], [directive("ttl", ["3601"], null, 3)], /ttl must be a whole number of seconds from 0 to 3600, got "3601"/);
    expectSetupError(lighthouse, ["clusterset.local"], [directive("ttl", ["-1"], null, 3)], /from 0 to 3600, got "-1"/);
    expectSetupError(lighthouse, ["clusterset.local"], [directive("ttl", [], null, 3)], /ttl takes 1 argument, got 0/);
    const e = env("ttl");
    expect(answersOf(ask(e, `db-0.cluster-a.db.${Z}`))).toEqual([`db-0.cluster-a.db.${Z}. 30 IN A 10.1.1.1`]);
  });

  it("refuses a zone outside the server block, and a server with no cluster to watch", () => {
    const { sim, api } = apiWith([]);
    expect(() => pluginFrom("cluster.local {\n    lighthouse clusterset.local\n}\n", fakeServer(sim), api)).toThrow(/lighthouse: zone clusterset\.local\. is not in the server block's zones/);
    expect(() => lighthouse.setup({ directive: directive("lighthouse"), zones: ["."], server: fakeServer(sim), resolvConfNameservers: [], files: {} })).toThrow(CorefileError);
  });

  it("answers for the server block's zones when it names none, and reads only the first lighthouse of a block", () => {
    const { sim, api } = apiWith(objects());
    const server = fakeServer(sim);
    const parsed = parseCorefile("clusterset.local:53 {\n    lighthouse\n    lighthouse other.local\n}\n", "Corefile", { plugins: new Set(PLUGINS.keys()) });
    const block = parsed.servers[0]!;
    const [first, second] = block.directives.filter((d) => d.name === "lighthouse");
    const context = { zones: ["clusterset.local."], server, api, resolvConfNameservers: [], files: {}, serverDirectives: block.directives };
    const plugin = lighthouse.setup({ ...context, directive: first! })!;
    expect(lighthouse.setup({ ...context, directive: second! })).toBeNull();
    sim.runFor(1_000_000);
    expect(ips(ask({ sim, api, server, plugin }, `web.${Z}`))).toEqual(["10.1.0.10"]);
  });
});

