/**
 * Properties of the cluster DNS over generated clusters:
 *
 * 1. every reply the kubernetes plugin builds, for generated Services, EndpointSlices, options and
 *    queries, comes out of a dns-packet encode/decode unchanged in substance (DESIGN.md, 'Actors
 *    and messages': every kind of answer must survive the wire);
 * 2. in a World, every generated Service's name resolves, from any pod of its cluster, to its
 *    ClusterIP (dns.md §1.1 spec 2.3.1), and a headless Service without ready endpoints does not
 *    resolve (spec 2.4.1).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SECOND } from "../../src/sim/time.js";
import { SERVICE_NAME_LABEL } from "../../src/k8s/endpointslices.js";
import type { Endpoint, EndpointSlice, K8sObject, Namespace, Pod, Service } from "../../src/k8s/objects.js";
import { makeQuery, makeReply, rcodeOf, roundTrip, type Answer, type Packet, type RecordType } from "../../src/dns/message.js";
import { World } from "../../src/scenario/world.js";
import { fakeServer, request, serve } from "./plugins/harness.js";
import { apiWith, pluginFromCorefile, substance } from "./plugins/kubernetes-fixture.js";
import { expandIpv6 } from "../../src/dns/plugins/kubernetes/records.js";
import { CLUSTER_ONLY_COREFILE } from "./corefiles.js";

const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/);
const hex = fc.integer({ min: 1, max: 0xffff }).map((n) => n.toString(16));
const ipv4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b, c]) => `10.${a}.${b}.${c}`);
/** IPv6 addresses as Kubernetes writes them (compressed), including the `fd00::` kind whose dashed name ends in `-0`. */
const ipv6 = fc.oneof(
  fc.constant("fd00::"),
  hex.map((a) => `fd00:${a}::`),
  fc.tuple(hex, hex).map(([a, b]) => `fd00::${a}:${b}`),
  fc.tuple(hex, hex).map(([a, b]) => `fd00:${a}:0:1:2:3:4:${b}`),
);

/** One generated Service with its (hand-written) endpoints. */
interface GenService {
  readonly ns: string;
  readonly name: string;
  readonly kind: "v4" | "v6" | "dual" | "headless" | "external-in" | "external-out";
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly protocol: "TCP" | "UDP" }[];
  readonly endpoints: readonly { readonly ip: string; readonly hostname?: string; readonly pod?: string; readonly ready?: boolean }[];
  readonly clusterV4: string;
  readonly clusterV6: string;
  readonly target: string;
}

const portArb = fc.record(
  { name: label, port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom("TCP" as const, "UDP" as const) },
  { requiredKeys: ["port", "protocol"] },
);

const genService: fc.Arbitrary<GenService> = fc.record({
  ns: fc.constantFrom("default", "team-a", "team-b"),
  name: label,
  kind: fc.constantFrom("v4" as const, "v6" as const, "dual" as const, "headless" as const, "external-in" as const, "external-out" as const),
  ports: fc.uniqueArray(portArb, { maxLength: 3, selector: (p) => p.name ?? `#${p.port}` }),
  endpoints: fc.array(
    fc.record({ ip: fc.oneof(ipv4, ipv6), hostname: label, pod: label, ready: fc.boolean() }, { requiredKeys: ["ip"] }),
    { maxLength: 5 },
  ),
  clusterV4: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `10.96.${a}.${b}`),
  clusterV6: hex.map((h) => `fd00:10:96::${h}`),
  target: fc.oneof(label.map((l) => `${l}.example.com`), label.map((l) => `${l}.default.svc.cluster.local`)),
});

/** The objects of a generated Service: the Service and its EndpointSlices (one per address family). */
function objectsOf(s: GenService): K8sObject[] {
  const external = s.kind === "external-in" || s.kind === "external-out";
  const spec: Service["spec"] = external
    ? { type: "ExternalName", externalName: s.kind === "external-out" ? s.target.replace(/\.default\.svc\.cluster\.local$/, ".example.com") : s.target.replace(/\.example\.com$/, ".default.svc.cluster.local") }
    : {
        clusterIP: s.kind === "headless" ? "None" : s.kind === "v6" ? s.clusterV6 : s.clusterV4,
        clusterIPs: s.kind === "headless" ? ["None"] : s.kind === "v4" ? [s.clusterV4] : s.kind === "v6" ? [s.clusterV6] : [s.clusterV4, s.clusterV6],
        ports: s.ports.map((p) => ({ ...p })),
      };
  const out: K8sObject[] = [{ apiVersion: "v1", kind: "Service", metadata: { name: s.name, namespace: s.ns }, spec }];
  for (const family of ["IPv4", "IPv6"] as const) {
    const eps: Endpoint[] = s.endpoints
      .filter((e) => e.ip.includes(":") === (family === "IPv6"))
      .map((e) => ({
        addresses: [e.ip],
        ...(e.hostname ? { hostname: e.hostname } : {}),
        ...(e.pod ? { targetRef: { kind: "Pod", namespace: s.ns, name: e.pod } } : {}),
        ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
      }));
    if (eps.length === 0) continue;
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${s.name}-${family.toLowerCase()}`, namespace: s.ns, labels: { [SERVICE_NAME_LABEL]: s.name } },
      addressType: family,
      endpoints: eps,
      ports: s.ports.map((p) => ({ ...p })),
    };
    out.push(slice);
  }
  return out;
}

const namespaces = (names: readonly string[]): Namespace[] => names.filter((n) => n !== "default").map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));

/** A query the generated cluster makes interesting: a Service, endpoint, SRV or PTR name, or a stray one. */
function queryArb(services: readonly GenService[]): fc.Arbitrary<{ name: string; qtype: RecordType }> {
  const zone = "cluster.local";
  const names: string[] = ["svc.cluster.local", "default.svc.cluster.local", "dns-version.cluster.local", zone, "nosuch.default.svc.cluster.local", "10-1-2-3.default.pod.cluster.local", "fd00--1.team-a.pod.cluster.local"];
  for (const s of services) {
    const svc = `${s.name}.${s.ns}.svc.${zone}`;
    names.push(svc);
    for (const p of s.ports) names.push(`_${p.name ?? "x"}._${p.protocol.toLowerCase()}.${svc}`);
    for (const e of s.endpoints) {
      names.push(`${e.hostname ?? e.pod ?? e.ip.replace(/[.:]/g, "-")}.${svc}`);
      names.push(reverseName(e.ip));
    }
    names.push(reverseName(s.clusterV4), reverseName(s.clusterV6));
  }
  const qtypes: RecordType[] = ["A", "AAAA", "SRV", "PTR", "TXT", "CNAME", "MX", "SOA", "NS", "HINFO"];
  return fc.record({
    name: fc.tuple(fc.constantFrom(...names), fc.array(fc.boolean(), { maxLength: 80 }), fc.option(label, { nil: undefined })).map(([n, upper, prefix]) => {
      const withPrefix = prefix && upper[0] ? `${prefix}.${n}` : n;
      // Random case: the plugin must keep the query's spelling in owners (dns.md §2.2 step 5).
      return [...withPrefix].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");
    }),
    qtype: fc.constantFrom(...qtypes),
  });
}

function reverseName(ip: string): string {
  if (!ip.includes(":")) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  return `${expandIpv6(ip).replace(/:/g, "").split("").reverse().join(".")}.ip6.arpa`;
}

const OPTION_SETS = [
  "pods insecure\nfallthrough in-addr.arpa ip6.arpa\nttl 30",
  "pods verified\nendpoint_pod_names",
  "ignore empty_service\nttl 0",
  "noendpoints\nttl 3600",
  "namespaces default team-a",
  "",
];

/** The server's own lookup of ExternalName targets outside the zone: an alias chain, as a real resolver returns. */
function upstreamLookup(name: string, type: RecordType): Packet {
  const query = makeQuery(name, type, { id: 7 });
  if (type !== "A" && type !== "AAAA") return makeReply(query, { recursionAvailable: true });
  const data = type === "A" ? "192.0.2.7" : "2001:db8::7";
  return makeReply(query, {
    recursionAvailable: true,
    answers: [
      { type: "CNAME", name, ttl: 120, class: "IN", data: `edge.${name}` },
      { type, name: `edge.${name}`, ttl: 60, class: "IN", data } as Answer,
    ],
  });
}

describe("DNS properties", () => {
  it("(1) every kubernetes plugin reply for generated Services and queries survives a dns-packet round trip (DESIGN.md)", () => {
    const clusterArb = fc
      .uniqueArray(genService, { minLength: 1, maxLength: 6, selector: (s) => `${s.ns}/${s.name}` })
      .chain((services) => fc.record({ services: fc.constant(services), options: fc.constantFrom(...OPTION_SETS), queries: fc.array(queryArb(services), { minLength: 1, maxLength: 25 }) }));
    fc.assert(
      fc.property(clusterArb, ({ services, options, queries }) => {
        const objects: K8sObject[] = [...namespaces(["team-a", "team-b"]), ...services.flatMap(objectsOf)];
        const { sim, api } = apiWith(objects);
        const server = fakeServer(sim, { lookup: upstreamLookup });
        const corefile = `.:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n${options.split("\n").filter(Boolean).map((l) => `        ${l}\n`).join("")}    }\n}\n`;
        const plugin = pluginFromCorefile(corefile, server, api);
        sim.runFor(SECOND);
        for (const q of queries) {
          const written = serve(plugin, request(server, q.name, q.qtype), (r, w) => w.write(makeReply(r.query, { rcode: "REFUSED" })), sim);
          expect(written).toHaveLength(1);
          const reply = written[0]!;
          expect(substance(roundTrip(reply))).toEqual(substance(reply));
          // dns.md §2.4: a negative answer carries exactly the zone's SOA, a positive one none.
          if (rcodeOf(reply) === "NXDOMAIN" || (rcodeOf(reply) === "NOERROR" && (reply.answers ?? []).length === 0)) {
            expect((reply.authorities ?? []).map((a) => a.type)).toEqual(["SOA"]);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it("(2) in a World, every Service resolves from any pod of its cluster to its ClusterIP; a headless one without endpoints does not (spec 2.3.1, 2.4.1)", () => {
    const NAMESPACES = ["default", "team-a", "team-b"];
    const svcArb = (clusters: number) =>
      fc.record({
        cluster: fc.integer({ min: 0, max: clusters - 1 }),
        ns: fc.constantFrom(...NAMESPACES),
        name: label,
        headless: fc.boolean(),
        ports: fc.uniqueArray(portArb, { minLength: 1, maxLength: 2, selector: (p) => p.name ?? "" }),
        /** Which client pod asks, and how it spells the name. */
        from: fc.constantFrom(...NAMESPACES),
        form: fc.constantFrom("short" as const, "qualified" as const, "fqdn" as const),
      });
    const worldArb = fc.integer({ min: 1, max: 2 }).chain((clusters) =>
      fc.record({
        clusters: fc.constant(clusters),
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        services: fc.uniqueArray(svcArb(clusters), { minLength: 1, maxLength: 5, selector: (s) => `${s.cluster}/${s.ns}/${s.name}` }),
      }),
    );
    fc.assert(
      fc.property(worldArb, ({ clusters, seed, services }) => {
        const world = new World({ seed });
        const names = ["east", "west"].slice(0, clusters);
        for (const [i, name] of names.entries()) {
          world.addCluster({ name, region: i === 0 ? "us-east-1" : "eu-west-1", zones: [i === 0 ? "us-east-1a" : "eu-west-1a"], dns: { corefile: CLUSTER_ONLY_COREFILE } });
          const clients: Pod[] = NAMESPACES.map((ns) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "client", namespace: ns }, spec: { containers: [{ name: "c", image: "debian:12" }] } }));
          world.apply(name, [...namespaces(NAMESPACES), ...clients]);
        }
        for (const s of services) {
          const cluster = names[s.cluster]!;
          const svc: Service = { apiVersion: "v1", kind: "Service", metadata: { name: s.name, namespace: s.ns }, spec: { ...(s.headless ? { clusterIP: "None" } : {}), ports: s.ports.map((p) => ({ ...p })) } };
          world.apply(cluster, [svc]);
        }
        world.runFor(20 * SECOND);
        const lookups = services.map((s) => {
          const cluster = names[s.cluster]!;
          // Without endpoints a headless name is NXDOMAIN everywhere; ask for it fully qualified so
          // that the answer is that NXDOMAIN, not the root zone's (no forward in this Corefile).
          const form = s.headless ? "fqdn" : s.form;
          const name = form === "fqdn" ? `${s.name}.${s.ns}.svc.cluster.local.` : form === "qualified" || s.from !== s.ns ? `${s.name}.${s.ns}` : s.name;
          return { s, cluster, name, lookup: world.resolve(cluster, `${s.from}/client`, name) };
        });
        world.runFor(5 * SECOND);
        for (const { s, cluster, name, lookup } of lookups) {
          const r = lookup.result;
          expect(r, `${cluster}: ${name} finished`).toBeDefined();
          if (s.headless) {
            expect(r!.ok, `${cluster}: ${name}`).toBe(false);
            expect(r!.error).toBe("not-found");
          } else {
            const ip = world.cluster(cluster).api.get("Service", s.ns, s.name)!.spec.clusterIP!;
            expect(r!.ok, `${cluster}: ${name} from ${s.from}/client`).toBe(true);
            expect(r!.addresses).toEqual([{ family: 4, address: ip }]);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
