/**
 * The kubernetes plugin's conformance table (issue 3): one row per query, each with the full reply
 * it must get — rcode, AA, every answer (owner, TTL, type, data), the authority SOA of negative
 * answers and the additional section of SRV answers — derived from the Kubernetes DNS spec
 * (shared/reference/dns.md §1) and CoreDNS's kubernetes plugin (§2.2 parsing, §2.3 answers,
 * §2.4 rcodes and sections, §2.5 TTLs). Where dns.md is silent, rows cite the CoreDNS source or
 * test table they follow (plugin/kubernetes/handler.go, handler_test.go, handler_case_test.go,
 * plugin/backend_lookup.go).
 *
 * The cluster is described in kubernetes-fixture.ts. Every reply must also come out of a
 * dns-packet encode/decode unchanged in substance (DESIGN.md, 'Actors and messages').
 */
import { describe, expect, it } from "vitest";
import { FLAGS, hasFlag, makeQuery, makeReply, nameEpoch, nameNumber, rcodeOf, roundTrip, type Answer, type Packet, type Rcode, type RecordType } from "../../../src/dns/message.js";
import type { DnsServer, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { expandIpv6 } from "../../../src/dns/plugins/kubernetes/records.js";
import type { ApiServer } from "../../../src/k8s/apiserver.js";
import type { Sim } from "../../../src/sim/sim.js";
import { fakeServer, request, serve } from "./harness.js";
import { apiWith, clusterObjects, pluginFromCorefile, present, substance } from "./kubernetes-fixture.js";

// ---------------------------------------------------------------------------------------------
// Configurations: each is a Corefile; the plugin is set up from its kubernetes directive.

const block = (options: string) => `.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
${options
  .split("\n")
  .filter(Boolean)
  .map((l) => `        ${l}`)
  .join("\n")}
    }
}
`;

const CONFIGS = {
  /** kubeadm's kubernetes block (dns.md §3.4). */
  kubeadm: { corefile: block("pods insecure\nfallthrough in-addr.arpa ip6.arpa\nttl 30"), ttl: 30 },
  /** Every option at its default, zones from the server block (dns.md §2.1: ttl 5, pods disabled, no fallthrough). */
  default: { corefile: "cluster.local in-addr.arpa ip6.arpa {\n    kubernetes\n}\n", ttl: 5 },
  verified: { corefile: block("pods verified"), ttl: 5 },
  disabled: { corefile: block("pods disabled"), ttl: 5 },
  podNames: { corefile: block("endpoint_pod_names"), ttl: 5 },
  namespaces: { corefile: block("namespaces default kube-system"), ttl: 5 },
  noendpoints: { corefile: block("noendpoints"), ttl: 5 },
  ignoreEmpty: { corefile: block("ignore empty_service"), ttl: 5 },
  fallthrough: { corefile: block("fallthrough"), ttl: 5 },
  ttl3600: { corefile: block("ttl 3600"), ttl: 3600 },
  /** Asked at once, before the watches delivered anything, with no startup wait: a name error is SERVFAIL. */
  unsynced: { corefile: block("startup_timeout 0"), ttl: 5, fresh: true },
  /** Asked at once, inside the default 5 s startup_timeout: CoreDNS is not answering yet. */
  starting: { corefile: block(""), ttl: 5, fresh: true },
} as const;

type ConfigName = keyof typeof CONFIGS;

// ---------------------------------------------------------------------------------------------
// Helpers for rows.

/** Serial of every SOA: the Unix time of the sim's epoch (2026-01-01), as all objects arrive in the first second. */
const SERIAL = 1_767_225_600;

/** The SOA of negative answers (dns.md §2.4): owner and names in the query's case, TTL min(ttl, 300), minimum ttl. */
const soa = (owner: string, ttl: number) => `${owner}. ${Math.min(ttl, 300)} IN SOA ns.dns.${owner}. hostmaster.${owner}. ${SERIAL} 7200 1800 86400 ${ttl}`;

/** `10.96.0.20` → `20.0.96.10.in-addr.arpa`. */
const ptr4 = (ip: string) => `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
/** An IPv6 address → its 32 reversed nibbles under ip6.arpa (the address expanded first, spec 2.3.3). */
const ptr6 = (ip: string) => `${expandIpv6(ip).replace(/:/g, "").split("").reverse().join(".")}.ip6.arpa`;

const Z = "default.svc.cluster.local";

interface Row {
  /** What the row shows, citing dns.md (or the CoreDNS source it follows). */
  readonly name: string;
  readonly config: ConfigName;
  readonly q: string;
  readonly qtype: RecordType;
  readonly rcode?: Rcode;
  readonly answer?: readonly string[];
  /** Default for NODATA, NXDOMAIN and SERVFAIL: the SOA of the zone in the query's case. */
  readonly authority?: readonly string[];
  readonly additional?: readonly string[];
  /** The answer's order is not specified (several PTRs of one address). */
  readonly unordered?: boolean;
  /** The query is passed to the next plugin (fallthrough, or a name outside the plugin's zones). */
  readonly next?: true;
  /** No reply at all. */
  readonly silent?: true;
}

const NXDOMAIN = { rcode: "NXDOMAIN" } as const;
const NODATA = { rcode: "NOERROR", answer: [] } as const;

// ---------------------------------------------------------------------------------------------
// The table.

const ROWS: readonly Row[] = [
  // ---- ClusterIP services (spec 2.3; dns.md §2.3 ClusterIP service) --------------------------
  { name: "§1.1 spec 2.3.1 / §2.3: A for a ClusterIP Service is its cluster IP, TTL = plugin ttl (§2.5)", config: "kubeadm", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 30 IN A 10.96.0.20`] },
  { name: "§2.4: AAAA for an IPv4-only Service is NODATA with the SOA (kubeadm ttl 30)", config: "kubeadm", q: `web.${Z}`, qtype: "AAAA", ...NODATA },
  {
    name: "§1.1 spec 2.3.2 / §2.3 SRV: _port._proto of a named port, priority 0, weight 100, target the Service, its A in Additional",
    config: "kubeadm",
    q: `_http._tcp.web.${Z}`,
    qtype: "SRV",
    answer: [`_http._tcp.web.${Z}. 30 IN SRV 0 100 80 web.${Z}.`],
    additional: [`web.${Z}. 30 IN A 10.96.0.20`],
  },
  {
    name: "§1.1 spec 2.3.2: _https._tcp picks the other named port",
    config: "kubeadm",
    q: `_https._tcp.web.${Z}`,
    qtype: "SRV",
    answer: [`_https._tcp.web.${Z}. 30 IN SRV 0 100 443 web.${Z}.`],
    additional: [`web.${Z}. 30 IN A 10.96.0.20`],
  },
  {
    name: "§2.3 SRV: the bare Service name answers every port, weight floor(100/2) = 50, one Additional A after de-duplication",
    config: "kubeadm",
    q: `web.${Z}`,
    qtype: "SRV",
    answer: [`web.${Z}. 30 IN SRV 0 50 80 web.${Z}.`, `web.${Z}. 30 IN SRV 0 50 443 web.${Z}.`],
    additional: [`web.${Z}. 30 IN A 10.96.0.20`],
  },
  { name: "§2.2 step 5 / §2.4: a protocol no port has (_http._udp) is NXDOMAIN", config: "kubeadm", q: `_http._udp.web.${Z}`, qtype: "SRV", ...NXDOMAIN },
  { name: "§2.2 / §2.4: a port name the Service lacks (_ftp._tcp) is NXDOMAIN", config: "kubeadm", q: `_ftp._tcp.web.${Z}`, qtype: "SRV", ...NXDOMAIN },
  {
    name: "§2.3 SRV: the bare name includes an unnamed port",
    config: "kubeadm",
    q: `single.${Z}`,
    qtype: "SRV",
    answer: [`single.${Z}. 30 IN SRV 0 100 9000 single.${Z}.`],
    additional: [`single.${Z}. 30 IN A 10.96.0.21`],
  },
  { name: "§1.1 spec 2.3.2: an unnamed port has no _port._proto SRV: NXDOMAIN", config: "kubeadm", q: `_http._tcp.single.${Z}`, qtype: "SRV", ...NXDOMAIN },
  { name: "§2.3 dual stack: A is the IPv4 cluster IP", config: "kubeadm", q: `dual.${Z}`, qtype: "A", answer: [`dual.${Z}. 30 IN A 10.96.0.30`] },
  { name: "§1.1 spec 2.3.1 / §2.3 dual stack: AAAA is the IPv6 cluster IP", config: "kubeadm", q: `dual.${Z}`, qtype: "AAAA", answer: [`dual.${Z}. 30 IN AAAA fd00:10:96::30`] },
  {
    name: "§2.3 SRV dual stack: 2 entries → weight 50, the (target, port) duplicate dropped, Additional A and AAAA",
    config: "kubeadm",
    q: `dual.${Z}`,
    qtype: "SRV",
    answer: [`dual.${Z}. 30 IN SRV 0 50 80 dual.${Z}.`],
    additional: [`dual.${Z}. 30 IN A 10.96.0.30`, `dual.${Z}. 30 IN AAAA fd00:10:96::30`],
  },
  { name: "§2.3 endpoint query on a ClusterIP Service: the endpoint's IP, not the cluster IP", config: "kubeadm", q: `10-244-1-10.web.${Z}`, qtype: "A", answer: [`10-244-1-10.web.${Z}. 30 IN A 10.244.1.10`] },
  { name: "§2.3: a not-ready endpoint (conditions.ready false) has no name: NXDOMAIN", config: "kubeadm", q: `10-244-1-12.web.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.3: without endpoint_pod_names a pod name is not an endpoint name: NXDOMAIN", config: "kubeadm", q: `web-5d9c-abcde.web.${Z}`, qtype: "A", ...NXDOMAIN },

  // ---- Headless services (spec 2.4) ----------------------------------------------------------
  {
    name: "§1.1 spec 2.4.1: headless A is one record per ready IPv4 endpoint (not-ready db-3 left out)",
    config: "kubeadm",
    q: `db.${Z}`,
    qtype: "A",
    answer: [`db.${Z}. 30 IN A 10.244.2.5`, `db.${Z}. 30 IN A 10.244.2.6`, `db.${Z}. 30 IN A 10.244.2.7`],
  },
  { name: "§1.1 spec 2.4.1: headless AAAA is one record per ready IPv6 endpoint", config: "kubeadm", q: `db.${Z}`, qtype: "AAAA", answer: [`db.${Z}. 30 IN AAAA fd00::`, `db.${Z}. 30 IN AAAA fd00::2:5`] },
  { name: "§1.1 spec 2.4.1: <hostname>.<service> is the endpoint's address", config: "kubeadm", q: `db-0.db.${Z}`, qtype: "A", answer: [`db-0.db.${Z}. 30 IN A 10.244.2.5`] },
  { name: "§2.3: an endpoint without hostname is named by its dashed IPv4", config: "kubeadm", q: `10-244-2-7.db.${Z}`, qtype: "A", answer: [`10-244-2-7.db.${Z}. 30 IN A 10.244.2.7`] },
  { name: "§2.3: IPv6 fd00:: is named fd00--0 (trailing dash completed by 0)", config: "kubeadm", q: `fd00--0.db.${Z}`, qtype: "AAAA", answer: [`fd00--0.db.${Z}. 30 IN AAAA fd00::`] },
  { name: "§2.3: IPv6 fd00::2:5 is named fd00--2-5", config: "kubeadm", q: `fd00--2-5.db.${Z}`, qtype: "AAAA", answer: [`fd00--2-5.db.${Z}. 30 IN AAAA fd00::2:5`] },
  { name: "§2.4: A on an IPv6-only endpoint name is NODATA", config: "kubeadm", q: `fd00--0.db.${Z}`, qtype: "A", ...NODATA },
  { name: "§1.2 / §2.3: a not-ready endpoint's hostname does not resolve: NXDOMAIN", config: "kubeadm", q: `db-3.db.${Z}`, qtype: "A", ...NXDOMAIN },
  {
    name: "§1.1 spec 2.4.2 / §2.3 SRV headless: one SRV per ready endpoint, weight floor(100/5) = 20, targets <endpoint>.<svc>, A/AAAA in Additional",
    config: "kubeadm",
    q: `_postgres._tcp.db.${Z}`,
    qtype: "SRV",
    answer: [
      `_postgres._tcp.db.${Z}. 30 IN SRV 0 20 5432 db-0.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 30 IN SRV 0 20 5432 db-1.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 30 IN SRV 0 20 5432 10-244-2-7.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 30 IN SRV 0 20 5432 fd00--0.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 30 IN SRV 0 20 5432 fd00--2-5.db.${Z}.`,
    ],
    additional: [`db-0.db.${Z}. 30 IN A 10.244.2.5`, `db-1.db.${Z}. 30 IN A 10.244.2.6`, `10-244-2-7.db.${Z}. 30 IN A 10.244.2.7`, `fd00--0.db.${Z}. 30 IN AAAA fd00::`, `fd00--2-5.db.${Z}. 30 IN AAAA fd00::2:5`],
  },
  {
    name: "§2.3 SRV: 3 endpoints × 2 ports = 6 entries → weight 16; (target, port) duplicates of my-pet dropped; Additional per (target, IP)",
    config: "kubeadm",
    q: `pets.${Z}`,
    qtype: "SRV",
    answer: [`pets.${Z}. 30 IN SRV 0 16 80 my-pet.pets.${Z}.`, `pets.${Z}. 30 IN SRV 0 16 9100 my-pet.pets.${Z}.`, `pets.${Z}. 30 IN SRV 0 16 80 other-pet.pets.${Z}.`, `pets.${Z}. 30 IN SRV 0 16 9100 other-pet.pets.${Z}.`],
    additional: [`my-pet.pets.${Z}. 30 IN A 10.244.3.1`, `my-pet.pets.${Z}. 30 IN A 10.244.3.2`, `other-pet.pets.${Z}. 30 IN A 10.244.3.3`],
  },
  {
    name: "§2.3 SRV: _http._tcp on 3 endpoints → weight floor(100/3) = 33, counted before de-duplication",
    config: "kubeadm",
    q: `_http._tcp.pets.${Z}`,
    qtype: "SRV",
    answer: [`_http._tcp.pets.${Z}. 30 IN SRV 0 33 80 my-pet.pets.${Z}.`, `_http._tcp.pets.${Z}. 30 IN SRV 0 33 80 other-pet.pets.${Z}.`],
    additional: [`my-pet.pets.${Z}. 30 IN A 10.244.3.1`, `my-pet.pets.${Z}. 30 IN A 10.244.3.2`, `other-pet.pets.${Z}. 30 IN A 10.244.3.3`],
  },
  { name: "§1.1 spec 2.4.1: a hostname with two IPs answers both", config: "kubeadm", q: `my-pet.pets.${Z}`, qtype: "A", answer: [`my-pet.pets.${Z}. 30 IN A 10.244.3.1`, `my-pet.pets.${Z}. 30 IN A 10.244.3.2`] },
  { name: "§2.3: a portless headless Service still answers A", config: "kubeadm", q: `portless.${Z}`, qtype: "A", answer: [`portless.${Z}. 30 IN A 10.244.4.1`] },
  { name: "§2.3 SRV: a portless headless Service answers SRV with NODATA (port −1 entries make no SRV)", config: "kubeadm", q: `portless.${Z}`, qtype: "SRV", ...NODATA },
  { name: "§2.3: an endpoint of a portless headless Service resolves (CoreDNS handler_test 'Endpoint with no port')", config: "kubeadm", q: `10-244-4-1.portless.${Z}`, qtype: "A", answer: [`10-244-4-1.portless.${Z}. 30 IN A 10.244.4.1`] },
  { name: "§1.1 spec 2.4.1: a headless Service with no ready endpoints is NXDOMAIN", config: "kubeadm", q: `empty-hl.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§1.1 spec 2.4.1: ... and so is its SRV", config: "kubeadm", q: `_http._tcp.empty-hl.${Z}`, qtype: "SRV", ...NXDOMAIN },

  // ---- ExternalName (spec 2.5; dns.md §2.3 ExternalName) -------------------------------------
  { name: "§1.1 spec 2.5 / §2.3: CNAME of an ExternalName Service is just the CNAME", config: "kubeadm", q: `external.${Z}`, qtype: "CNAME", answer: [`external.${Z}. 30 IN CNAME www.example.com.`] },
  {
    name: "§2.3 ExternalName outside the zone: the CNAME, then the server's own lookup of the target (upstream TTLs)",
    config: "kubeadm",
    q: `external.${Z}`,
    qtype: "A",
    answer: [`external.${Z}. 30 IN CNAME www.example.com.`, "www.example.com. 300 IN A 93.184.215.14"],
  },
  {
    name: "§2.3 ExternalName inside the zone: resolved internally, CNAME first",
    config: "kubeadm",
    q: `alias.${Z}`,
    qtype: "A",
    answer: [`alias.${Z}. 30 IN CNAME web.${Z}.`, `web.${Z}. 30 IN A 10.96.0.20`],
  },
  { name: "§2.3 ExternalName inside the zone, target without AAAA: NODATA (backend_lookup.go adds the CNAME only with target records)", config: "kubeadm", q: `alias.${Z}`, qtype: "AAAA", ...NODATA },
  { name: "§2.3 ExternalName inside the zone, target does not exist: NODATA, no lone CNAME (backend_lookup.go A)", config: "kubeadm", q: `broken-alias.${Z}`, qtype: "A", ...NODATA },
  { name: "§2.3: sub-names of an ExternalName Service are NXDOMAIN", config: "kubeadm", q: `sub.external.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.3 SRV: ExternalName Services are left out of SRV answers: NODATA", config: "kubeadm", q: `external.${Z}`, qtype: "SRV", ...NODATA },

  // ---- PTR (spec 2.3.3, 2.4.3; dns.md §2.3 PTR) ----------------------------------------------
  { name: "§1.1 spec 2.3.3: PTR of a cluster IP is the Service name", config: "kubeadm", q: ptr4("10.96.0.20"), qtype: "PTR", answer: [`${ptr4("10.96.0.20")}. 30 IN PTR web.${Z}.`] },
  { name: "§2.3 PTR: an endpoint IP of a ClusterIP Service is <dashed-ip>.<svc>", config: "kubeadm", q: ptr4("10.244.1.11"), qtype: "PTR", answer: [`${ptr4("10.244.1.11")}. 30 IN PTR 10-244-1-11.web.${Z}.`] },
  {
    name: "§2.1 / §2.3 PTR: an IP in two Services (web, and prod/legacy's hand-written slice) has one PTR per Service",
    config: "kubeadm",
    q: ptr4("10.244.1.10"),
    qtype: "PTR",
    unordered: true,
    answer: [`${ptr4("10.244.1.10")}. 30 IN PTR 10-244-1-10.web.${Z}.`, `${ptr4("10.244.1.10")}. 30 IN PTR 10-244-1-10.legacy.prod.svc.cluster.local.`],
  },
  { name: "§1.1 spec 2.4.3: headless PTR is <hostname>.<svc>", config: "kubeadm", q: ptr4("10.244.2.5"), qtype: "PTR", answer: [`${ptr4("10.244.2.5")}. 30 IN PTR db-0.db.${Z}.`] },
  { name: "§1.1 spec 2.3.3: v6 PTR (32 reversed nibbles) of a dual-stack cluster IP", config: "kubeadm", q: ptr6("fd00:10:96::30"), qtype: "PTR", answer: [`${ptr6("fd00:10:96::30")}. 30 IN PTR dual.${Z}.`] },
  { name: "§2.3 PTR: v6 PTR of an endpoint is its fd00--0 name", config: "kubeadm", q: ptr6("fd00::"), qtype: "PTR", answer: [`${ptr6("fd00::")}. 30 IN PTR fd00--0.db.${Z}.`] },
  { name: "§2.3 PTR step 3 / §3.4: an unknown IP falls through under kubeadm's fallthrough in-addr.arpa", config: "kubeadm", q: ptr4("10.99.99.99"), qtype: "PTR", next: true },
  { name: "§2.3 PTR step 3 / §3.4: an unknown v6 IP falls through under fallthrough ip6.arpa", config: "kubeadm", q: ptr6("fd00:99::1"), qtype: "PTR", next: true },
  { name: "§2.3 PTR step 3 / §2.4: an unknown IP without fallthrough is NXDOMAIN, SOA of the reverse zone", config: "default", q: ptr4("10.99.99.99"), qtype: "PTR", ...NXDOMAIN, authority: [soa("in-addr.arpa", 5)] },
  { name: "§2.3: a not-ready endpoint has no PTR", config: "default", q: ptr4("10.244.1.12"), qtype: "PTR", ...NXDOMAIN, authority: [soa("in-addr.arpa", 5)] },
  { name: "§2.3 PTR: PTR for an existing forward name is NODATA", config: "kubeadm", q: `web.${Z}`, qtype: "PTR", ...NODATA },
  { name: "§2.2 step 2 (parse.go): A for a reverse name is not svc/pod shaped: NXDOMAIN", config: "default", q: ptr4("10.96.0.20"), qtype: "A", ...NXDOMAIN, authority: [soa("in-addr.arpa", 5)] },
  { name: "§2.2 step 2 / §3.4: ... which kubeadm's fallthrough in-addr.arpa passes on", config: "kubeadm", q: ptr4("10.96.0.20"), qtype: "A", next: true },

  // ---- dns-version, apex, shapes (dns.md §2.2, §2.4) -----------------------------------------
  { name: "§1.1 spec 2.2: dns-version TXT is the schema version, TTL 28800 (§2.5)", config: "kubeadm", q: "dns-version.cluster.local", qtype: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
  { name: "§2.2 step 2: dns-version is only a TXT name; A on it is an invalid shape: NXDOMAIN", config: "kubeadm", q: "dns-version.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 1: svc.<zone> exists without data: NODATA", config: "kubeadm", q: "svc.cluster.local", qtype: "A", ...NODATA },
  { name: "§2.2 step 1: pod.<zone> exists without data: NODATA", config: "kubeadm", q: "pod.cluster.local", qtype: "A", ...NODATA },
  { name: "§2.2 step 3: <ns>.svc.<zone> of an existing namespace: NODATA", config: "kubeadm", q: "default.svc.cluster.local", qtype: "A", ...NODATA },
  { name: "§2.2: <ns>.svc.<zone> of a namespace that does not exist: NXDOMAIN", config: "kubeadm", q: "nosuchns.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.2: a Service in a namespace that does not exist: NXDOMAIN", config: "kubeadm", q: "web.nosuchns.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.4: a Service that does not exist: NXDOMAIN", config: "kubeadm", q: `nosuch.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 2: foo.<zone> is an invalid shape: NXDOMAIN", config: "kubeadm", q: "foo.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 2: example.org.<zone> is an invalid shape: NXDOMAIN", config: "kubeadm", q: "example.org.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 4: three labels left of the Service is too long: NXDOMAIN", config: "kubeadm", q: `a.b.c.web.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 4: _port._proto on an endpoint name is too long: NXDOMAIN", config: "kubeadm", q: `_postgres._tcp.db-0.db.${Z}`, qtype: "SRV", ...NXDOMAIN },
  { name: "§2.3 other qtypes: TXT on an existing Service is NODATA", config: "kubeadm", q: `web.${Z}`, qtype: "TXT", ...NODATA },
  { name: "§2.3 other qtypes: TXT on a name that does not exist is NXDOMAIN", config: "kubeadm", q: `nosuch.${Z}`, qtype: "TXT", ...NXDOMAIN },
  { name: "§2.3 other qtypes: MX on an existing Service is NODATA", config: "kubeadm", q: `web.${Z}`, qtype: "MX", ...NODATA },
  { name: "§2.3 other qtypes: HINFO on an existing Service is NODATA (a fake A lookup decides)", config: "kubeadm", q: `db.${Z}`, qtype: "HINFO", ...NODATA },
  { name: "§2.3 other qtypes: HINFO on a name that does not exist is NXDOMAIN", config: "kubeadm", q: `nosuch.${Z}`, qtype: "HINFO", ...NXDOMAIN },
  { name: "§2.3: CNAME on a ClusterIP Service is NODATA", config: "kubeadm", q: `web.${Z}`, qtype: "CNAME", ...NODATA },
  { name: "§2.3 NS / apex: zone. SOA is answered, in the Answer section", config: "kubeadm", q: "cluster.local", qtype: "SOA", answer: [soa("cluster.local", 30)] },
  { name: "§2.3 NS / apex: SOA on a name below the apex is NODATA", config: "kubeadm", q: `web.${Z}`, qtype: "SOA", ...NODATA },
  { name: "§2.3 NS / apex: SOA is NODATA even for a name that does not exist (handler.go)", config: "kubeadm", q: `nosuch.${Z}`, qtype: "SOA", ...NODATA },
  {
    name: "§2.3 NS / apex: zone. NS names the kube-dns Service that selects this server, its cluster IP in Additional",
    config: "kubeadm",
    q: "cluster.local",
    qtype: "NS",
    answer: ["cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local."],
    additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"],
  },
  { name: "§2.3 NS / apex: A at the apex is NODATA", config: "kubeadm", q: "cluster.local", qtype: "A", ...NODATA },
  { name: "§2.3 NS / apex: NS below the apex on an existing name is NODATA (handler_test)", config: "kubeadm", q: "svc.cluster.local", qtype: "NS", ...NODATA },
  { name: "§2.3 NS / apex: NS below the apex on a missing name is NXDOMAIN (handler_test)", config: "kubeadm", q: "foo.svc.cluster.local", qtype: "NS", ...NXDOMAIN },

  // ---- Case (dns.md §1: case-insensitive; §2.2 step 5, §2.4 SOA owner, §8 names) -------------
  { name: "§2.2 step 5: matching ignores case; the owner keeps the query's case", config: "kubeadm", q: "WEB.Default.SVC.Cluster.Local", qtype: "A", answer: ["WEB.Default.SVC.Cluster.Local. 30 IN A 10.96.0.20"] },
  { name: "§2.4: the SOA of a negative answer is the zone in the query's case (handler_case_test)", config: "kubeadm", q: "Nope.Default.Svc.ClUsTeR.lOcAl", qtype: "A", ...NXDOMAIN, authority: [soa("ClUsTeR.lOcAl", 30)] },
  {
    name: "§8: SRV targets and Additional owners keep the query's case in the zone part (handler_case_test)",
    config: "kubeadm",
    q: "_HTTP._TCP.Web.Default.Svc.Cluster.LOCAL",
    qtype: "SRV",
    answer: ["_HTTP._TCP.Web.Default.Svc.Cluster.LOCAL. 30 IN SRV 0 100 80 web.default.svc.Cluster.LOCAL."],
    additional: ["web.default.svc.Cluster.LOCAL. 30 IN A 10.96.0.20"],
  },
  { name: "§2.2 step 5: an endpoint hostname matches whatever its case", config: "kubeadm", q: "DB-0.Db.default.svc.cluster.local", qtype: "A", answer: ["DB-0.Db.default.svc.cluster.local. 30 IN A 10.244.2.5"] },
  { name: "§2.3 NS / apex: apex SOA in the query's case (handler_case_test)", config: "kubeadm", q: "Cluster.Local", qtype: "SOA", answer: [soa("Cluster.Local", 30)] },

  // ---- Pods (dns.md §1.2, §2.1 pods, §2.3 Pods) ----------------------------------------------
  { name: "§1.2 / §2.3 Pods insecure: any dashed IPv4 in an existing namespace answers", config: "kubeadm", q: "10-244-7-99.default.pod.cluster.local", qtype: "A", answer: ["10-244-7-99.default.pod.cluster.local. 30 IN A 10.244.7.99"] },
  { name: "§2.3 Pods insecure: a dashed IPv6 (fd00--5) answers AAAA", config: "kubeadm", q: "fd00--5.default.pod.cluster.local", qtype: "AAAA", answer: ["fd00--5.default.pod.cluster.local. 30 IN AAAA fd00::5"] },
  { name: "§2.3 Pods insecure: AAAA on a dashed IPv4 is NODATA", config: "kubeadm", q: "10-244-7-99.default.pod.cluster.local", qtype: "AAAA", ...NODATA },
  { name: "§2.3 Pods insecure: a label that is not an IP is NXDOMAIN", config: "kubeadm", q: "not-an-ip.default.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.3 Pods insecure: a namespace that does not exist is NXDOMAIN", config: "kubeadm", q: "10-244-7-99.nosuchns.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.2 step 3: <ns>.pod.<zone> with pods enabled is NODATA", config: "kubeadm", q: "default.pod.cluster.local", qtype: "A", ...NODATA },
  { name: "§2.1 pods verified: a pod with that IP in that namespace answers", config: "verified", q: "10-244-7-7.default.pod.cluster.local", qtype: "A", answer: ["10-244-7-7.default.pod.cluster.local. 5 IN A 10.244.7.7"] },
  { name: "§2.1 pods verified: another namespace's pod IP", config: "verified", q: "10-244-7-8.prod.pod.cluster.local", qtype: "A", answer: ["10-244-7-8.prod.pod.cluster.local. 5 IN A 10.244.7.8"] },
  { name: "§2.1 pods verified: the pod is in another namespace: NXDOMAIN", config: "verified", q: "10-244-7-7.prod.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 pods verified: no pod has that IP: NXDOMAIN", config: "verified", q: "10-244-7-99.default.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 pods disabled: pod queries are NXDOMAIN", config: "disabled", q: "10-244-7-7.default.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1: pods is disabled by default", config: "default", q: "10-244-7-7.default.pod.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 pods disabled: even <ns>.pod.<zone> is NXDOMAIN (findPods checks the mode first)", config: "disabled", q: "default.pod.cluster.local", qtype: "A", ...NXDOMAIN },

  // ---- endpoint_pod_names (dns.md §2.1) ------------------------------------------------------
  { name: "§2.1 endpoint_pod_names: an endpoint without hostname is named by its pod", config: "podNames", q: `web-5d9c-abcde.web.${Z}`, qtype: "A", answer: [`web-5d9c-abcde.web.${Z}. 5 IN A 10.244.1.10`] },
  { name: "§2.1 endpoint_pod_names: the dashed IP is no longer its name: NXDOMAIN", config: "podNames", q: `10-244-1-10.web.${Z}`, qtype: "A", ...NXDOMAIN },
  {
    name: "§2.1 endpoint_pod_names: SRV targets use hostname first, then pod name, then dashed IP",
    config: "podNames",
    q: `_postgres._tcp.db.${Z}`,
    qtype: "SRV",
    answer: [
      `_postgres._tcp.db.${Z}. 5 IN SRV 0 20 5432 db-0.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 5 IN SRV 0 20 5432 db-1.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 5 IN SRV 0 20 5432 db-2-xyz.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 5 IN SRV 0 20 5432 fd00--0.db.${Z}.`,
      `_postgres._tcp.db.${Z}. 5 IN SRV 0 20 5432 fd00--2-5.db.${Z}.`,
    ],
    additional: [`db-0.db.${Z}. 5 IN A 10.244.2.5`, `db-1.db.${Z}. 5 IN A 10.244.2.6`, `db-2-xyz.db.${Z}. 5 IN A 10.244.2.7`, `fd00--0.db.${Z}. 5 IN AAAA fd00::`, `fd00--2-5.db.${Z}. 5 IN AAAA fd00::2:5`],
  },
  { name: "§2.1 endpoint_pod_names: PTR targets use the pod name", config: "podNames", q: ptr4("10.244.1.11"), qtype: "PTR", answer: [`${ptr4("10.244.1.11")}. 5 IN PTR web-5d9c-fghij.web.${Z}.`] },

  // ---- namespaces, noendpoints, ignore empty_service, fallthrough, ttl (dns.md §2.1) ----------
  { name: "§2.1 namespaces: a listed namespace answers", config: "namespaces", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.96.0.20`] },
  { name: "§2.1 namespaces: a Service in an unlisted namespace is NXDOMAIN", config: "namespaces", q: "legacy.prod.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 namespaces: an unlisted namespace itself is NXDOMAIN", config: "namespaces", q: "prod.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 noendpoints: ClusterIP Services still answer", config: "noendpoints", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.96.0.20`] },
  { name: "§2.1 noendpoints: headless Services are NXDOMAIN", config: "noendpoints", q: `db.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.1 noendpoints: endpoint names are NXDOMAIN", config: "noendpoints", q: `10-244-1-10.web.${Z}`, qtype: "A", ...NXDOMAIN },
  { name: "§2.1 noendpoints: endpoint IPs have no PTR", config: "noendpoints", q: ptr4("10.244.1.11"), qtype: "PTR", ...NXDOMAIN, authority: [soa("in-addr.arpa", 5)] },
  { name: "§2.1 noendpoints: a cluster IP still has its PTR", config: "noendpoints", q: ptr4("10.96.0.20"), qtype: "PTR", answer: [`${ptr4("10.96.0.20")}. 5 IN PTR web.${Z}.`] },
  { name: "§2.1 ignore empty_service: a ClusterIP Service with no EndpointSlices is NXDOMAIN", config: "ignoreEmpty", q: "empty.prod.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 ignore empty_service: only ready endpoints count", config: "ignoreEmpty", q: "notready.prod.svc.cluster.local", qtype: "A", ...NXDOMAIN },
  { name: "§2.1 ignore empty_service: a Service with ready endpoints answers", config: "ignoreEmpty", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.96.0.20`] },
  { name: "§2.1 ignore empty_service: not applied to headless Services", config: "ignoreEmpty", q: `portless.${Z}`, qtype: "A", answer: [`portless.${Z}. 5 IN A 10.244.4.1`] },
  { name: "§2.1 ignore empty_service: not applied to ExternalName Services", config: "ignoreEmpty", q: `external.${Z}`, qtype: "CNAME", answer: [`external.${Z}. 5 IN CNAME www.example.com.`] },
  { name: "§2.3: without ignore empty_service, existence does not depend on endpoints", config: "default", q: "empty.prod.svc.cluster.local", qtype: "A", answer: ["empty.prod.svc.cluster.local. 5 IN A 10.96.0.41"] },
  { name: "§2.1 fallthrough (no zones = all): a name error goes to the next plugin", config: "fallthrough", q: `nosuch.${Z}`, qtype: "A", next: true },
  { name: "§2.4: fallthrough applies to name errors only, not to NODATA", config: "fallthrough", q: "svc.cluster.local", qtype: "A", ...NODATA },
  { name: "§2.4: fallthrough does not touch answers", config: "fallthrough", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 5 IN A 10.96.0.20`] },
  { name: "§2.4: kubeadm's fallthrough covers only the reverse zones: a forward name error stays NXDOMAIN", config: "kubeadm", q: `nosuch.${Z}`, qtype: "AAAA", ...NXDOMAIN },
  { name: "§2.4 / §2.1: a name outside the plugin's zones goes to the next plugin", config: "kubeadm", q: "www.example.com", qtype: "A", next: true },
  { name: "§2.1 ttl: records carry the configured ttl (3600 is the maximum)", config: "ttl3600", q: `web.${Z}`, qtype: "A", answer: [`web.${Z}. 3600 IN A 10.96.0.20`] },
  { name: "§2.4 / §2.5: the SOA's TTL is min(ttl, 300); its minimum is the ttl", config: "ttl3600", q: `nosuch.${Z}`, qtype: "A", ...NXDOMAIN, authority: [soa("cluster.local", 3600)] },

  // ---- Before the first sync (dns.md §2.1 startup_timeout, §2.4) -----------------------------
  { name: "§2.4: a name error before the API has synced is SERVFAIL, with the SOA", config: "unsynced", q: `web.${Z}`, qtype: "A", rcode: "SERVFAIL" },
  { name: "§2.4: before the sync, what needs no API data is still answered (dns-version)", config: "unsynced", q: "dns-version.cluster.local", qtype: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
  { name: "§2.1 startup_timeout: inside the startup wait CoreDNS does not answer at all", config: "starting", q: `web.${Z}`, qtype: "A", silent: true },
];

// ---------------------------------------------------------------------------------------------
// Running a row.

/** What the server's own lookup (CoreDNS's Upstream.Lookup, normally through forward) finds for ExternalName targets. */
function upstreamLookup(name: string, type: RecordType): Packet {
  const query = makeQuery(name, type, { id: 1 });
  if (name === "www.example.com" && type === "A") {
    return makeReply(query, { recursionAvailable: true, answers: [{ type: "A", name: "www.example.com", ttl: 300, class: "IN", data: "93.184.215.14" }] });
  }
  return makeReply(query, { rcode: "NXDOMAIN", recursionAvailable: true });
}

interface Env {
  readonly sim: Sim;
  readonly server: DnsServer;
  readonly plugin: Plugin;
}

function newEnv(config: ConfigName, sim: Sim, api: ApiServer): Env {
  const server = fakeServer(sim, { lookup: upstreamLookup });
  return { sim, server, plugin: pluginFromCorefile(CONFIGS[config].corefile, server, api) };
}

/** Every synced configuration's plugin, on one cluster, run past the watch delay. */
const synced = (() => {
  const { sim, api } = apiWith(clusterObjects());
  const envs = new Map<ConfigName, Env>();
  for (const name of Object.keys(CONFIGS) as ConfigName[]) {
    if (!("fresh" in CONFIGS[name])) envs.set(name, newEnv(name, sim, api));
  }
  sim.runFor(1_000_000);
  return envs;
})();

function envFor(config: ConfigName): Env {
  const env = synced.get(config);
  if (env) return env;
  // A fresh cluster and plugin, asked before the clock moves.
  const { sim, api } = apiWith(clusterObjects());
  return newEnv(config, sim, api);
}

/** Where a fall-through lands: a next plugin that answers REFUSED, so that reaching it shows. */
function nextPlugin(): { calls: string[]; next: NextHandler } {
  const calls: string[] = [];
  return { calls, next: (r, w) => (calls.push(`${r.qname} ${r.qtype}`), w.write(makeReply(r.query, { rcode: "REFUSED" }))) };
}

/** The zone a query falls in, spelt as the query spells it. */
function zoneOf(qname: string): string {
  for (const zone of ["cluster.local", "in-addr.arpa", "ip6.arpa"]) {
    if (qname.toLowerCase().endsWith(zone)) return qname.slice(qname.length - zone.length);
  }
  throw new Error(`no zone for ${qname}`);
}

const sorted = (lines: readonly string[]) => [...lines].sort();

describe("kubernetes plugin conformance table (dns.md §1, §2.2–2.5)", () => {
  it("has at least 60 cases, each named after the dns.md section it checks, none twice", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
    for (const row of ROWS) expect(row.name).toMatch(/^§\d/);
    expect(new Set(ROWS.map((r) => `${r.config} ${r.q} ${r.qtype}`)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((r) => [r.name, r] as const))("%s", (_name, row) => {
    const env = envFor(row.config);
    const req = request(env.server, row.q, row.qtype);
    const { calls, next } = nextPlugin();
    const written = serve(env.plugin, req, next, env.sim);

    if (row.silent) {
      expect(written).toEqual([]);
      expect(calls).toEqual([]);
      return;
    }
    expect(written).toHaveLength(1);
    const reply = written[0]!;
    if (row.next) {
      expect(calls).toEqual([`${row.q} ${row.qtype}`]);
      expect(rcodeOf(reply)).toBe("REFUSED");
      return;
    }
    expect(calls, "the plugin answered itself").toEqual([]);

    // Header (dns.md §2.4, §8): same id and question, QR AA, RD copied, no RA.
    expect(reply.type).toBe("response");
    expect(reply.id).toBe(req.query.id);
    expect(reply.questions).toEqual([{ name: row.q, type: row.qtype, class: "IN" }]);
    const rcode = row.rcode ?? "NOERROR";
    expect(rcodeOf(reply)).toBe(rcode);
    expect(hasFlag(reply, FLAGS.AA)).toBe(true);
    expect(hasFlag(reply, FLAGS.RD)).toBe(true);
    expect(hasFlag(reply, FLAGS.RA)).toBe(false);
    expect(hasFlag(reply, FLAGS.TC)).toBe(false);

    // Sections.
    const lines = (rrs: readonly Answer[] | undefined) => (rrs ?? []).map(present);
    const answers = lines(reply.answers);
    const wanted = row.answer ?? [];
    expect(row.unordered ? sorted(answers) : answers).toEqual(row.unordered ? sorted(wanted) : [...wanted]);
    const negative = wanted.length === 0;
    const authority = row.authority ?? (negative ? [soa(zoneOf(row.q), CONFIGS[row.config].ttl)] : []);
    expect(lines(reply.authorities)).toEqual([...authority]);
    expect(lines(reply.additionals)).toEqual([...(row.additional ?? [])]);

    // The wire carries it unchanged (DESIGN.md, 'Actors and messages').
    expect(substance(roundTrip(reply))).toEqual(substance(reply));
  });
});

describe("kubernetes plugin answers remembered by name number", () => {
  /** Numbers fresh names until the numbering starts afresh, with the last of them as number 0. */
  const renumber = (tag: string) => {
    const epoch = nameEpoch();
    let last = "";
    for (let i = 0; nameEpoch() === epoch; i++) nameNumber((last = `${tag}-${i}.example.`));
    expect(nameNumber(last)).toBe(0);
  };

  it("gives a name that takes another's old number its own answer, not the one remembered for the other", () => {
    const env = envFor("kubeadm");
    const ask = (q: string) => serve(env.plugin, request(env.server, q, "A"), nextPlugin().next, env.sim).flatMap((r) => (r.answers ?? []).map(present));
    renumber("first");
    const web = `web.${Z}`;
    expect(ask(web)).toEqual([`${web}. 30 IN A 10.96.0.20`]);
    const webNumber = nameNumber(web);
    renumber("second");
    for (let i = 1; i < webNumber; i++) nameNumber(`filler-${i}.example.`);
    const dual = `dual.${Z}`;
    expect(nameNumber(dual)).toBe(webNumber);
    expect(ask(dual)).toEqual([`${dual}. 30 IN A 10.96.0.30`]);
    expect(ask(web)).toEqual([`${web}. 30 IN A 10.96.0.20`]);
  });
});
