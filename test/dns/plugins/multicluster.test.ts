/**
 * The multicluster plugin (and the kubernetes plugin's `multicluster` option): one row per query,
 * each with the full reply it must get, derived from the MCS DNS spec (shared/reference/mcs.md §2)
 * and what CoreDNS's multicluster code does (§4.2). The ServiceImports and imported EndpointSlices
 * are written by hand, as the MCS controller would write them; every reply must also come out of
 * a dns-packet encode/decode unchanged in substance (DESIGN.md, 'Actors and messages').
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Actor, CorefileError, KubeCluster, Network, SECOND, Topology, address, multicluster, type Message } from "../../../src/index.js";
import { CoreDns, DNS_PORT } from "../../../src/dns/coredns.js";
import { orderDirectives, parseCorefile } from "../../../src/dns/corefile.js";
import { DNS_QUERY, DNS_RESPONSE, FLAGS, canonical, hasFlag, makeQuery, makeReply, rcodeOf, roundTrip, type Answer, type DnsResponseBody, type Packet, type Rcode, type RecordType } from "../../../src/dns/message.js";
import type { DnsServer, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { PLUGINS } from "../../../src/dns/plugins/index.js";
import { MC_SERVICE_NAME_LABEL, MC_SOURCE_CLUSTER_LABEL } from "../../../src/dns/plugins/multicluster/index-cache.js";
import { ApiServer } from "../../../src/k8s/apiserver.js";
import { SERVICE_NAME_LABEL } from "../../../src/k8s/endpointslices.js";
import type { Endpoint, EndpointPort, EndpointSlice, K8sObject, Namespace, Service, ServiceImport, ServiceImportPort } from "../../../src/k8s/objects.js";
import { MCS_API_VERSION } from "../../../src/k8s/objects.js";
import { Sim } from "../../../src/sim/sim.js";
import { directive, expectSetupError, fakeServer, request, serve } from "./harness.js";
import { present, substance } from "./kubernetes-fixture.js";

// ---------------------------------------------------------------------------------------------
// The cluster: what an MCS controller would have written into one member.

const ns = (name: string): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

const serviceImport = (namespace: string, name: string, type: ServiceImport["spec"]["type"], ports: ServiceImportPort[], ips?: string[]): ServiceImport => ({
  apiVersion: MCS_API_VERSION,
  kind: "ServiceImport",
  metadata: { name, namespace },
  spec: { type, ports, ...(ips ? { ips } : {}) },
});

/** An imported slice: named after its service and source cluster, as mcs-api's controller names them. */
const imported = (namespace: string, service: string, cluster: string, addressType: EndpointSlice["addressType"], endpoints: Endpoint[], ports?: EndpointPort[], suffix = ""): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `imported-${service}-${cluster}${suffix}`, namespace, labels: { [MC_SERVICE_NAME_LABEL]: service, [MC_SOURCE_CLUSTER_LABEL]: cluster } },
  addressType,
  endpoints,
  ...(ports ? { ports } : {}),
});

const tcp = (port: number, name?: string): ServiceImportPort => ({ ...(name ? { name } : {}), port, protocol: "TCP" });
const epPort = (port: number, name?: string): EndpointPort => ({ ...(name ? { name } : {}), port, protocol: "TCP" });
const pets = (prefix: string, count: number) => Array.from({ length: count }, (_, i): Endpoint => ({ addresses: [`${prefix}.${i + 1}`], hostname: `my-pet-${i + 1}` }));

/**
 * | object | what it tests |
 * |---|---|
 * | test/myservice | ClusterSetIP 10.42.42.42, ports https/443 and unnamed 8080; a cluster-a slice with hostname `ep-1` | A, SRV of a named port only, an endpoint name on a ClusterSetIP import |
 * | test/dual | ClusterSetIP 10.42.0.2 + 2001:db8::1, port http/80 | dual stack A and AAAA, SRV weight over 2 entries |
 * | test/svcempty | ClusterSetIP 10.42.0.3, no slices | a VIP answers without endpoints |
 * | test/headless | Headless, port https/443; my-pet-1..3 in cluster-a and in cluster-b | the spec's 6-target SRV (weight 16) |
 * | test/pair | Headless, port http/80; two endpoints in cluster-a | SRV weight 50 |
 * | test/mixed | Headless, port http/80; cluster-a: Web-0 10.5.0.1, 10.5.0.2 (no hostname, ready unset), 10.5.0.3 not ready; cluster-b: web-0 10.5.0.1 again, and an IPv6 slice fd00::5 | dedup of the union, readiness, case, dashed names |
 * | test/emptyhl | Headless; only a not-ready endpoint | empty headless → NXDOMAIN |
 * | test/myservice (Service) | a local ClusterIP 10.96.0.50 and its local slice | cluster.local stays local-only |
 * | ghost/orphan | an import in a namespace that does not exist here | NXDOMAIN |
 */
function objects(): K8sObject[] {
  return [
    ns("test"),
    serviceImport("test", "myservice", "ClusterSetIP", [tcp(443, "https"), tcp(8080)], ["10.42.42.42"]),
    imported("test", "myservice", "cluster-a", "IPv4", [{ addresses: ["10.1.0.9"], hostname: "ep-1" }], [epPort(443, "https")]),
    serviceImport("test", "dual", "ClusterSetIP", [tcp(80, "http")], ["10.42.0.2", "2001:db8::1"]),
    serviceImport("test", "svcempty", "ClusterSetIP", [tcp(80, "http")], ["10.42.0.3"]),
    serviceImport("test", "headless", "Headless", [tcp(443, "https")]),
    imported("test", "headless", "cluster-a", "IPv4", pets("10.3.0", 3), [epPort(443, "https")]),
    imported("test", "headless", "cluster-b", "IPv4", pets("10.4.0", 3), [epPort(443, "https")]),
    serviceImport("test", "pair", "Headless", [tcp(80, "http")]),
    imported("test", "pair", "cluster-a", "IPv4", [{ addresses: ["10.6.0.1"] }, { addresses: ["10.6.0.2"] }], [epPort(80, "http")]),
    serviceImport("test", "mixed", "Headless", [tcp(80, "http")]),
    imported("test", "mixed", "cluster-a", "IPv4", [
      { addresses: ["10.5.0.1"], hostname: "Web-0", conditions: { ready: true } },
      { addresses: ["10.5.0.2"] },
      { addresses: ["10.5.0.3"], hostname: "web-9", conditions: { ready: false } },
    ], [epPort(80, "http")]),
    imported("test", "mixed", "cluster-b", "IPv4", [{ addresses: ["10.5.0.1"], hostname: "web-0" }], [epPort(80, "http")]),
    imported("test", "mixed", "cluster-b", "IPv6", [{ addresses: ["fd00::5"] }], [epPort(80, "http")], "-v6"),
    serviceImport("test", "emptyhl", "Headless", [tcp(80, "http")]),
    imported("test", "emptyhl", "cluster-a", "IPv4", [{ addresses: ["10.7.0.1"], conditions: { ready: false } }], [epPort(80, "http")]),
    { apiVersion: "v1", kind: "Service", metadata: { name: "myservice", namespace: "test" }, spec: { clusterIP: "10.96.0.50", clusterIPs: ["10.96.0.50"], ports: [{ name: "https", port: 443, protocol: "TCP" }] } } satisfies Service,
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "myservice-local", namespace: "test", labels: { [SERVICE_NAME_LABEL]: "myservice" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.0.5"], hostname: "local-0" }],
      ports: [epPort(443, "https")],
    } satisfies EndpointSlice,
    ns("ghost"),
    serviceImport("ghost", "orphan", "ClusterSetIP", [tcp(80, "http")], ["10.42.0.9"]),
  ];
}

/**
 * The API server as the plugin's watches see it when the Namespace watch has not delivered
 * `ghost` (an import cannot be stored without its namespace, and deleting the namespace deletes
 * the import): the import is known, its namespace is not.
 */
function withoutGhostNamespace(api: ApiServer): ApiServer {
  return new Proxy(api, {
    get(target, key, receiver) {
      if (key !== "watch") return Reflect.get(target, key, receiver);
      const watch: ApiServer["watch"] = (kind, watcher, handler, options) =>
        target.watch(kind, watcher, (e) => (e.object.kind === "Namespace" && e.object.metadata.name === "ghost" ? undefined : handler(e)), options);
      return watch;
    },
  });
}

function apiWith(list: readonly K8sObject[], watchDelay?: number): { sim: Sim; api: ApiServer } {
  const sim = new Sim({ seed: 1 });
  const api = new ApiServer(sim, "test", watchDelay === undefined ? {} : { watchDelay: { kind: "constant", value: watchDelay } });
  for (const o of list) api.create(o);
  return { sim, api };
}

/** The plugin named `name` as a Corefile sets it up: its directive and its server block's zones. */
function pluginFrom(corefile: string, name: string, server: DnsServer, api: ApiServer): Plugin {
  const parsed = parseCorefile(corefile, "Corefile", { plugins: new Set(PLUGINS.keys()) });
  const block = parsed.servers.find((s) => s.directives.some((d) => d.name === name))!;
  const d = block.directives.find((x) => x.name === name)!;
  const plugin = PLUGINS.get(name)!.setup({ directive: d, zones: block.keys.map((k) => canonical(k.zone)), server, api, resolvConfNameservers: [], files: {}, serverDirectives: block.directives });
  if (!plugin) throw new Error(`${name}.setup returned no plugin`);
  return plugin;
}

const CONFIGS = {
  mc: { plugin: "multicluster", corefile: ".:53 {\n    multicluster clusterset.local\n    kubernetes cluster.local\n}\n" },
  fallthrough: { plugin: "multicluster", corefile: ".:53 {\n    multicluster clusterset.local {\n        fallthrough\n    }\n}\n" },
  noendpoints: { plugin: "multicluster", corefile: ".:53 {\n    multicluster clusterset.local {\n        noendpoints\n    }\n}\n" },
  /** The in-tree form (mcs.md §4.1): one kubernetes plugin for both zones. */
  k8s: { plugin: "kubernetes", corefile: ".:53 {\n    kubernetes cluster.local clusterset.local {\n        multicluster clusterset.local\n    }\n}\n" },
} as const;
type ConfigName = keyof typeof CONFIGS;

interface Env {
  readonly sim: Sim;
  readonly server: DnsServer;
  readonly plugin: Plugin;
}

const synced = (() => {
  const { sim, api } = apiWith(objects());
  const envs = new Map<ConfigName, Env>();
  for (const name of Object.keys(CONFIGS) as ConfigName[]) {
    const server = fakeServer(sim);
    envs.set(name, { sim, server, plugin: pluginFrom(CONFIGS[name].corefile, CONFIGS[name].plugin, server, withoutGhostNamespace(api)) });
  }
  sim.runFor(1_000_000);
  return envs;
})();

/** Where a fall-through lands: a next plugin that answers REFUSED, so that reaching it shows. */
function nextPlugin(): { calls: string[]; next: NextHandler } {
  const calls: string[] = [];
  return { calls, next: (r, w) => (calls.push(`${r.qname} ${r.qtype}`), w.write(makeReply(r.query, { rcode: "REFUSED" }))) };
}

// ---------------------------------------------------------------------------------------------
// The table.

const Z = "test.svc.clusterset.local";
const L = "test.svc.cluster.local";
/** Every object arrives in the first second of the sim's epoch (2026-01-01): that is the serial. */
const SERIAL = 1_767_225_600;
/** mcs.md §4.2: SOA minimum TTL 5, as the kubernetes plugin's (TTL min(5, 300)). */
const soa = (zone: string) => `${zone}. 5 IN SOA ns.dns.${zone}. hostmaster.${zone}. ${SERIAL} 7200 1800 86400 5`;

interface Row {
  readonly name: string;
  readonly config: ConfigName;
  readonly q: string;
  readonly qtype: RecordType;
  readonly rcode?: Rcode;
  readonly answer?: readonly string[];
  readonly additional?: readonly string[];
  readonly next?: true;
}

const NXDOMAIN = { rcode: "NXDOMAIN" } as const;
const NODATA = { rcode: "NOERROR", answer: [] } as const;

const headlessSrv = ["cluster-a", "cluster-b"].flatMap((c) => [1, 2, 3].map((i) => `_https._tcp.headless.${Z}. 5 IN SRV 0 16 443 my-pet-${i}.${c}.headless.${Z}.`));
const headlessExtra = [["cluster-a", "10.3.0"], ["cluster-b", "10.4.0"]].flatMap(([c, p]) => [1, 2, 3].map((i) => `my-pet-${i}.${c}.headless.${Z}. 5 IN A ${p}.${i}`));

const MC_ROWS: readonly Omit<Row, "config">[] = [
  // ---- ClusterSetIP (mcs.md §2) ----------------------------------------------------------------
  { name: "mcs.md §2 ClusterSetIP: A is the clusterset IP, TTL 5 (§4.2)", q: `myservice.${Z}`, qtype: "A", answer: [`myservice.${Z}. 5 IN A 10.42.42.42`] },
  { name: "mcs.md §2 ClusterSetIP: AAAA of an IPv4-only import is NODATA with the SOA", q: `myservice.${Z}`, qtype: "AAAA", ...NODATA },
  { name: "mcs.md §2 dual-stack ClusterSetIP: A from the IPv4 VIP", q: `dual.${Z}`, qtype: "A", answer: [`dual.${Z}. 5 IN A 10.42.0.2`] },
  { name: "mcs.md §2, §4.2 dual-stack ClusterSetIP: AAAA from the IPv6 VIP", q: `dual.${Z}`, qtype: "AAAA", answer: [`dual.${Z}. 5 IN AAAA 2001:db8::1`] },
  {
    name: "mcs.md §2 SRV: _https._tcp of a named port, priority 0 weight 100, target the service, its A in Additional",
    q: `_https._tcp.myservice.${Z}`,
    qtype: "SRV",
    answer: [`_https._tcp.myservice.${Z}. 5 IN SRV 0 100 443 myservice.${Z}.`],
    additional: [`myservice.${Z}. 5 IN A 10.42.42.42`],
  },
  {
    name: "mcs.md §4.2 SRV: the bare service name lists every port, the unnamed one too (matchPortAndProtocol with no port label), weight 100/2 = 50",
    q: `myservice.${Z}`,
    qtype: "SRV",
    answer: [`myservice.${Z}. 5 IN SRV 0 50 443 myservice.${Z}.`, `myservice.${Z}. 5 IN SRV 0 50 8080 myservice.${Z}.`],
    additional: [`myservice.${Z}. 5 IN A 10.42.42.42`],
  },
  { name: "mcs.md §2 SRV: an unnamed port has no _port._proto record (NXDOMAIN)", q: `_8080._tcp.myservice.${Z}`, qtype: "SRV", ...NXDOMAIN },
  { name: "mcs.md §4.2 SRV: a protocol no port has is NXDOMAIN", q: `_https._udp.myservice.${Z}`, qtype: "SRV", ...NXDOMAIN },
  {
    name: "mcs.md §4.2 SRV: dual stack is 2 entries, weight 100/2 = 50, the duplicate (target, port) removed, A and AAAA in Additional",
    q: `_http._tcp.dual.${Z}`,
    qtype: "SRV",
    answer: [`_http._tcp.dual.${Z}. 5 IN SRV 0 50 80 dual.${Z}.`],
    additional: [`dual.${Z}. 5 IN A 10.42.0.2`, `dual.${Z}. 5 IN AAAA 2001:db8::1`],
  },
  { name: "mcs.md §4.2 svcempty: a ClusterSetIP import with no endpoints still answers its VIP", q: `svcempty.${Z}`, qtype: "A", answer: [`svcempty.${Z}. 5 IN A 10.42.0.3`] },
  { name: "mcs.md §4.2: an endpoint label on a ClusterSetIP import answers from its slices (outside the spec)", q: `ep-1.cluster-a.myservice.${Z}`, qtype: "A", answer: [`ep-1.cluster-a.myservice.${Z}. 5 IN A 10.1.0.9`] },
  { name: "mcs.md §2: <clusterid>.<svc> must not exist for ClusterSetIP (NXDOMAIN)", q: `cluster-a.myservice.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2 TXT: an existing name of another type is NODATA", q: `myservice.${Z}`, qtype: "TXT", ...NODATA },
  { name: "mcs.md §2: PTR is not required and not answered (NODATA for an existing name)", q: `myservice.${Z}`, qtype: "PTR", ...NODATA },

  // ---- Headless (mcs.md §2) --------------------------------------------------------------------
  {
    name: "mcs.md §2 headless A: the union of ready endpoint IPs across clusters, deduplicated, not-ready left out",
    q: `mixed.${Z}`,
    qtype: "A",
    answer: [`mixed.${Z}. 5 IN A 10.5.0.1`, `mixed.${Z}. 5 IN A 10.5.0.2`],
  },
  { name: "mcs.md §2 headless AAAA: the same endpoints' IPv6 addresses", q: `mixed.${Z}`, qtype: "AAAA", answer: [`mixed.${Z}. 5 IN AAAA fd00::5`] },
  {
    name: "mcs.md §2 headless SRV: my-pet-1..3 in cluster-a and cluster-b = 6 RRs, weight 100/6 = 16 (§4.2), targets <hostname>.<clusterid>",
    q: `_https._tcp.headless.${Z}`,
    qtype: "SRV",
    answer: headlessSrv,
    additional: headlessExtra,
  },
  {
    name: "mcs.md §4.2 headless SRV: 2 targets → weight 50; no hostname → the IP with dashes",
    q: `_http._tcp.pair.${Z}`,
    qtype: "SRV",
    answer: [`_http._tcp.pair.${Z}. 5 IN SRV 0 50 80 10-6-0-1.cluster-a.pair.${Z}.`, `_http._tcp.pair.${Z}. 5 IN SRV 0 50 80 10-6-0-2.cluster-a.pair.${Z}.`],
    additional: [`10-6-0-1.cluster-a.pair.${Z}. 5 IN A 10.6.0.1`, `10-6-0-2.cluster-a.pair.${Z}. 5 IN A 10.6.0.2`],
  },
  {
    name: "mcs.md §4.2 headless SRV: hostnames lower-cased, one per cluster; an IPv6 endpoint named with dashes for colons",
    q: `_http._tcp.mixed.${Z}`,
    qtype: "SRV",
    answer: [
      `_http._tcp.mixed.${Z}. 5 IN SRV 0 25 80 web-0.cluster-a.mixed.${Z}.`,
      `_http._tcp.mixed.${Z}. 5 IN SRV 0 25 80 10-5-0-2.cluster-a.mixed.${Z}.`,
      `_http._tcp.mixed.${Z}. 5 IN SRV 0 25 80 web-0.cluster-b.mixed.${Z}.`,
      `_http._tcp.mixed.${Z}. 5 IN SRV 0 25 80 fd00--5.cluster-b.mixed.${Z}.`,
    ],
    additional: [`web-0.cluster-a.mixed.${Z}. 5 IN A 10.5.0.1`, `10-5-0-2.cluster-a.mixed.${Z}. 5 IN A 10.5.0.2`, `web-0.cluster-b.mixed.${Z}. 5 IN A 10.5.0.1`, `fd00--5.cluster-b.mixed.${Z}. 5 IN AAAA fd00::5`],
  },
  { name: "mcs.md §2 <hostname>.<clusterid>: that endpoint's IP", q: `my-pet-2.cluster-b.headless.${Z}`, qtype: "A", answer: [`my-pet-2.cluster-b.headless.${Z}. 5 IN A 10.4.0.2`] },
  { name: "mcs.md §4.2 <hostname>.<clusterid>: hostname and cluster id match case-insensitively", q: `MY-PET-1.Cluster-A.headless.${Z}`, qtype: "A", answer: [`MY-PET-1.Cluster-A.headless.${Z}. 5 IN A 10.3.0.1`] },
  { name: "mcs.md §4.2 <hostname>.<clusterid>: a hostname in another cluster only is NXDOMAIN", q: `my-pet-1.cluster-c.headless.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2 <hostname>.<clusterid>: an endpoint without hostname is named by its dashed IP", q: `10-5-0-2.cluster-a.mixed.${Z}`, qtype: "A", answer: [`10-5-0-2.cluster-a.mixed.${Z}. 5 IN A 10.5.0.2`] },
  { name: "mcs.md §2: a not-ready endpoint's hostname does not resolve (NXDOMAIN)", q: `web-9.cluster-a.mixed.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §2: <clusterid>.<svc> must not exist for Headless (NXDOMAIN)", q: `cluster-a.headless.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §2, §4.2: a headless import with no ready endpoints is NXDOMAIN", q: `emptyhl.${Z}`, qtype: "A", ...NXDOMAIN },

  // ---- Grammar, namespaces, apex, version (mcs.md §4.2) ----------------------------------------
  { name: "mcs.md §4.2 grammar: more than service + 2 labels is NXDOMAIN", q: `a.my-pet-1.cluster-a.headless.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2 grammar: a last label other than svc|pod is NXDOMAIN", q: "myservice.test.xyz.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2 grammar: pod parses but never matches", q: "myservice.test.pod.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2: an import that does not exist is NXDOMAIN", q: `nosuch.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2: the namespace must exist locally (NXDOMAIN even though the import exists)", q: "orphan.ghost.svc.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2: the apex is NODATA with the SOA", q: "clusterset.local", qtype: "A", ...NODATA },
  { name: "mcs.md §4.2: svc.<zone> is NODATA", q: "svc.clusterset.local", qtype: "A", ...NODATA },
  { name: "mcs.md §4.2: pod.<zone> is NODATA", q: "pod.clusterset.local", qtype: "A", ...NODATA },
  { name: "mcs.md §4.2: <ns>.svc.<zone> of an existing namespace is NODATA", q: Z, qtype: "A", ...NODATA },
  { name: "mcs.md §4.2: <ns>.svc.<zone> of a missing namespace is NXDOMAIN", q: "ghost.svc.clusterset.local", qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.2: SOA at the apex answers the SOA", q: "clusterset.local", qtype: "SOA", answer: [soa("clusterset.local")] },
  { name: "mcs.md §2, §4.2: dns-version TXT is 1.1.0 (the spec says 1.0.0), TTL 28800", q: "dns-version.clusterset.local", qtype: "TXT", answer: [`dns-version.clusterset.local. 28800 IN TXT "1.1.0"`] },
  { name: "mcs.md §4.2: dns-version asked for A is NXDOMAIN", q: "dns-version.clusterset.local", qtype: "A", ...NXDOMAIN },
];

const ROWS: readonly Row[] = [
  ...MC_ROWS.map((r) => ({ ...r, config: "mc" as const })),
  // The in-tree option answers the multicluster zone with the same code (mcs.md §4.1).
  ...MC_ROWS.map((r) => ({ ...r, name: `kubernetes { multicluster }: ${r.name}`, config: "k8s" as const })),
  { name: "mcs.md §4.1 fallthrough: a name error passes down the chain", config: "fallthrough", q: `nosuch.${Z}`, qtype: "A", next: true },
  { name: "mcs.md §4.1 fallthrough: an existing name is still answered", config: "fallthrough", q: `myservice.${Z}`, qtype: "A", answer: [`myservice.${Z}. 5 IN A 10.42.42.42`] },
  { name: "mcs.md §4.1 fallthrough: NODATA does not fall through", config: "fallthrough", q: `myservice.${Z}`, qtype: "AAAA", ...NODATA },
  { name: "mcs.md §4.1 noendpoints: a headless import is NXDOMAIN", config: "noendpoints", q: `headless.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.1 noendpoints: an endpoint query is NXDOMAIN", config: "noendpoints", q: `my-pet-1.cluster-a.headless.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §4.1 noendpoints: a ClusterSetIP import still answers its VIP", config: "noendpoints", q: `myservice.${Z}`, qtype: "A", answer: [`myservice.${Z}. 5 IN A 10.42.42.42`] },
  { name: "mcs.md §4.2: a name outside the plugin's zones goes to the next plugin", config: "mc", q: `myservice.${L}`, qtype: "A", next: true },
  { name: "mcs.md §2 kubernetes { multicluster }: cluster.local stays local-only (the local ClusterIP, not the VIP)", config: "k8s", q: `myservice.${L}`, qtype: "A", answer: [`myservice.${L}. 5 IN A 10.96.0.50`] },
  { name: "mcs.md §2 kubernetes { multicluster }: an import without a local Service is NXDOMAIN in cluster.local", config: "k8s", q: `dual.${L}`, qtype: "A", ...NXDOMAIN },
  { name: "mcs.md §2 kubernetes { multicluster }: local endpoint names stay in cluster.local", config: "k8s", q: `local-0.myservice.${L}`, qtype: "A", answer: [`local-0.myservice.${L}. 5 IN A 10.244.0.5`] },
  { name: "mcs.md §2 kubernetes { multicluster }: local slices are not imported ones", config: "k8s", q: `local-0.cluster-a.myservice.${Z}`, qtype: "A", ...NXDOMAIN },
];

const zoneOf = (q: string) => (q.toLowerCase().endsWith("clusterset.local") ? q.slice(q.length - "clusterset.local".length) : q.slice(q.length - "cluster.local".length));

describe("multicluster plugin table (mcs.md §2, §4.2)", () => {
  it("names every row after the mcs.md section it checks, none twice", () => {
    for (const row of ROWS) expect(row.name).toMatch(/mcs\.md §\d/);
    expect(new Set(ROWS.map((r) => `${r.config} ${r.q} ${r.qtype}`)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((r) => [`${r.config}: ${r.name}`, r] as const))("%s", (_name, row) => {
    const env = synced.get(row.config)!;
    const req = request(env.server, row.q, row.qtype);
    const { calls, next } = nextPlugin();
    const written = serve(env.plugin, req, next, env.sim);
    expect(written).toHaveLength(1);
    const reply = written[0]!;
    if (row.next) {
      expect(calls).toEqual([`${row.q} ${row.qtype}`]);
      return;
    }
    expect(calls, "the plugin answered itself").toEqual([]);
    expect(reply.id).toBe(req.query.id);
    expect(rcodeOf(reply)).toBe(row.rcode ?? "NOERROR");
    expect(hasFlag(reply, FLAGS.AA)).toBe(true);
    const lines = (rrs: readonly Answer[] | undefined) => (rrs ?? []).map(present);
    const wanted = row.answer ?? [];
    expect(lines(reply.answers)).toEqual([...wanted]);
    expect(lines(reply.authorities)).toEqual(wanted.length === 0 ? [soa(zoneOf(row.q))] : []);
    expect(lines(reply.additionals)).toEqual([...(row.additional ?? [])]);
    // DESIGN.md 'Actors and messages': every answer survives the wire.
    expect(substance(roundTrip(reply))).toEqual(substance(reply));
  });
});

// ---------------------------------------------------------------------------------------------
// Sync, startup and changes.

/** Serves without running the clock (the harness's `serve` runs it until idle). */
function serveNow(plugin: Plugin, server: DnsServer, q: string, qtype: RecordType = "A"): Packet[] {
  const written: Packet[] = [];
  plugin.serve(request(server, q, qtype), { write: (p) => written.push(p) }, () => {
    throw new Error("no next plugin in this test");
  });
  return written;
}

describe("multicluster plugin sync (mcs.md §4.2 Startup)", () => {
  for (const config of ["mc", "k8s"] as const) {
    it(`${config}: silent for the 5 s startup wait, then SERVFAIL for would-be NXDOMAIN names until synced, then answers`, () => {
      // Watches that take 10 s to deliver anything.
      const { sim, api } = apiWith(objects(), 10_000_000);
      const server = fakeServer(sim);
      const plugin = pluginFrom(CONFIGS[config].corefile, CONFIGS[config].plugin, server, api);
      expect(plugin.ready?.()).toBe(false);
      sim.runFor(1_000_000);
      expect(serveNow(plugin, server, `myservice.${Z}`)).toEqual([]);
      sim.runFor(5_000_000);
      const early = serveNow(plugin, server, `myservice.${Z}`);
      expect(early.map(rcodeOf)).toEqual(["SERVFAIL"]);
      // NODATA is not a name error: the apex is NODATA even unsynced.
      expect(serveNow(plugin, server, "clusterset.local").map(rcodeOf)).toEqual(["NOERROR"]);
      sim.runFor(5_000_000);
      expect(plugin.ready?.()).toBe(true);
      const later = serveNow(plugin, server, `myservice.${Z}`);
      expect(later.flatMap((p) => (p.answers ?? []).map(present))).toEqual([`myservice.${Z}. 5 IN A 10.42.42.42`]);
    });
  }

  it("mcs.md §4.2: sees a ServiceImport's change after the watch delay, and the SOA serial follows the last change", () => {
    const { sim, api } = apiWith(objects());
    const server = fakeServer(sim);
    const plugin = pluginFrom(CONFIGS.mc.corefile, "multicluster", server, api);
    sim.runFor(1_000_000);
    sim.runFor(99_000_000);
    const current = api.get("ServiceImport", "test", "myservice")!;
    api.update({ ...current, spec: { ...current.spec, ips: ["10.42.42.43"] } });
    expect(serveNow(plugin, server, `myservice.${Z}`).flatMap((p) => (p.answers ?? []).map(present))).toEqual([`myservice.${Z}. 5 IN A 10.42.42.42`]);
    sim.runFor(1_000_000);
    expect(serveNow(plugin, server, `myservice.${Z}`).flatMap((p) => (p.answers ?? []).map(present))).toEqual([`myservice.${Z}. 5 IN A 10.42.42.43`]);
    const negative = serveNow(plugin, server, `nosuch.${Z}`)[0]!;
    expect((negative.authorities![0] as { data: { serial: number } }).data.serial).toBe(SERIAL + 100);
  });
});

describe("multicluster plugin changes (mcs.md §4.2 Watches)", () => {
  it("drops a cluster's endpoints once its imported slice is deleted, and a slice that loses its multicluster label", () => {
    const { sim, api } = apiWith(objects());
    const server = fakeServer(sim);
    const plugin = pluginFrom(CONFIGS.mc.corefile, "multicluster", server, api);
    sim.runFor(1_000_000);
    api.delete("EndpointSlice", "test", "imported-headless-cluster-b");
    const a = api.get("EndpointSlice", "test", "imported-headless-cluster-a")!;
    api.update({ ...a, metadata: { ...a.metadata, labels: { [MC_SOURCE_CLUSTER_LABEL]: "cluster-a" } } });
    sim.runFor(1_000_000);
    expect(serveNow(plugin, server, `headless.${Z}`).map(rcodeOf)).toEqual(["NXDOMAIN"]);
    expect(serveNow(plugin, server, `_http._tcp.pair.${Z}`, "SRV").flatMap((p) => (p.answers ?? []).map(present))).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Corefile errors (mcs.md §4.1).

describe("multicluster Corefile syntax (mcs.md §4.1)", () => {
  it("refuses kubeconfig as not supported by mcsim", () => {
    expectSetupError(multicluster, ["clusterset.local"], [directive("kubeconfig", ["/etc/kube.conf"], null, 3)], /kubeconfig is not supported by mcsim/);
  });

  it("names an unknown option", () => {
    expectSetupError(multicluster, ["clusterset.local"], [directive("ttl", ["30"], null, 3)], /unknown option "ttl"/);
  });

  it("refuses arguments to noendpoints", () => {
    expectSetupError(multicluster, ["clusterset.local"], [directive("noendpoints", ["yes"], null, 3)], /noendpoints takes no arguments/);
  });

  it("refuses a zone outside the server block", () => {
    const { sim, api } = apiWith([]);
    expect(() => pluginFrom("cluster.local {\n    multicluster clusterset.local\n}\n", "multicluster", fakeServer(sim), api)).toThrow(/multicluster: zone clusterset\.local\. is not in the server block's zones/);
  });

  it("needs an API server", () => {
    expect(() => multicluster.setup({ directive: directive("multicluster", ["clusterset.local"]), zones: ["."], server: fakeServer(new Sim({ seed: 1 })), resolvConfNameservers: [], files: {} })).toThrow(
      /multicluster: this server runs outside a cluster/,
    );
  });

  it("kubernetes { multicluster }: the zones must be among the kubernetes plugin's zones", () => {
    const { sim, api } = apiWith([]);
    let error: unknown;
    try {
      pluginFrom(".:53 {\n    kubernetes cluster.local {\n        multicluster clusterset.local\n    }\n}\n", "kubernetes", fakeServer(sim), api);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorefileError);
    expect((error as CorefileError).message).toMatch(/Corefile:3:\d+: kubernetes: multicluster zone clusterset\.local\. is not one of the plugin's zones \(cluster\.local\.\)/);
  });

  it("kubernetes { multicluster }: needs at least one zone", () => {
    const { sim, api } = apiWith([]);
    expect(() => pluginFrom(".:53 {\n    kubernetes cluster.local clusterset.local {\n        multicluster\n    }\n}\n", "kubernetes", fakeServer(sim), api)).toThrow(/kubernetes: multicluster needs at least one zone/);
  });

  it("orders multicluster right after kubernetes in a server block's chain (mcs.md §4.1 plugin.cfg)", () => {
    const parsed = parseCorefile(".:53 {\n    forward . 8.8.8.8\n    multicluster clusterset.local\n    kubernetes cluster.local\n    cache 30\n}\n", "Corefile", { plugins: new Set(PLUGINS.keys()) });
    expect(orderDirectives(parsed.servers[0]!.directives).map((d) => d.name)).toEqual(["cache", "kubernetes", "multicluster", "forward"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: headless A is the deduplicated union of ready IPs (mcs.md §2 Headless).

const endpointArb = fc.record({
  ip: fc.integer({ min: 1, max: 12 }).map((n) => `10.9.0.${n}`),
  ready: fc.constantFrom(true, false, undefined),
});
const sliceArb = fc.record({ cluster: fc.constantFrom("east", "west", "north"), endpoints: fc.array(endpointArb, { maxLength: 6 }) });

describe("multicluster headless property (mcs.md §2)", () => {
  it("headless A answers are the deduplicated union of ready IPs across the imported slices, each once", () => {
    fc.assert(
      fc.property(fc.array(sliceArb, { maxLength: 5 }), (slices) => {
        const list: K8sObject[] = [ns("test"), serviceImport("test", "prop", "Headless", [tcp(80, "http")])];
        slices.forEach((s, i) =>
          list.push(imported("test", "prop", s.cluster, "IPv4", s.endpoints.map((e): Endpoint => ({ addresses: [e.ip], ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }) })), [epPort(80, "http")], `-${i}`)),
        );
        const { sim, api } = apiWith(list);
        const server = fakeServer(sim);
        const plugin = pluginFrom(CONFIGS.mc.corefile, "multicluster", server, api);
        sim.runFor(1_000_000);
        const reply = serveNow(plugin, server, "prop.test.svc.clusterset.local")[0]!;
        const expected = [...new Set(slices.flatMap((s) => s.endpoints.filter((e) => e.ready !== false).map((e) => e.ip)))];
        if (expected.length === 0) {
          expect(rcodeOf(reply)).toBe("NXDOMAIN");
        } else {
          expect(rcodeOf(reply)).toBe("NOERROR");
          // The order is the watch's delivery order, not the test's creation order: compare as sets, each IP once.
          const ips = (reply.answers ?? []).map((a) => (a as { data: string }).data);
          expect(ips.length).toBe(new Set(ips).size);
          expect([...ips].sort()).toEqual([...expected].sort());
        }
        expect(substance(roundTrip(reply))).toEqual(substance(reply));
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the README's Corefile in a CoreDNS server on the simulated network.

class Asker extends Actor {
  readonly replies: Packet[] = [];
  constructor(sim: Sim) {
    super(sim, { cluster: "east", namespace: "default", name: "asker" });
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m: Message<DnsResponseBody>) => this.replies.push(m.body.packet));
  }
}

describe("multicluster in a CoreDNS server (mcs.md §4.1 README Corefile)", () => {
  it("answers clusterset.local from the import and cluster.local from the local Service, in one chain, over the wire", () => {
    const sim = new Sim({ seed: 1 });
    const topology = new Topology();
    const east = topology.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    const net = new Network(sim, topology);
    const cluster = new KubeCluster(sim, net, east);
    cluster.api.create(ns("test"));
    cluster.api.create(serviceImport("test", "myservice", "ClusterSetIP", [tcp(443, "https")], ["10.42.42.42"]));
    const corefile = ".:53 {\n    errors\n    ready\n    multicluster clusterset.local\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n        pods insecure\n        fallthrough in-addr.arpa ip6.arpa\n    }\n}\n";
    const dns = new CoreDns(sim, { cluster: "east", namespace: "kube-system", name: "coredns-0" }, { corefile: parseCorefile(corefile, "Corefile", { plugins: new Set(PLUGINS.keys()) }), api: cluster.api });
    const dnsHost = net.addHost({ name: "coredns-0", node: east.nodes[0]! });
    net.bind(dns, dnsHost, DNS_PORT);
    const asker = new Asker(sim);
    net.bind(asker, net.addHost({ name: "asker", node: east.nodes[0]! }), 40000);
    expect(dns.isReady()).toBe(false);
    sim.runFor(SECOND);
    expect(dns.isReady()).toBe(true);
    const ask = (name: string): Packet => {
      const before = asker.replies.length;
      asker.send(address(dnsHost.ip, DNS_PORT), DNS_QUERY, { packet: makeQuery(name, "A", { id: before + 1 }), transport: "udp" });
      sim.runFor(SECOND);
      expect(asker.replies.length).toBe(before + 1);
      return asker.replies[before]!;
    };
    expect((ask(`myservice.${Z}`).answers ?? []).map(present)).toEqual([`myservice.${Z}. 5 IN A 10.42.42.42`]);
    // No local Service of that name: cluster.local does not borrow the import (mcs.md §2).
    expect(rcodeOf(ask(`myservice.${L}`))).toBe("NXDOMAIN");
    expect(rcodeOf(ask(`nosuch.${Z}`))).toBe("NXDOMAIN");
  });
});
