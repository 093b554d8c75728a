import * as dnsPacket from "dns-packet";
import { SECOND } from "../src/index.js";
import { makeQuery, makeReply } from "../src/dns/message.js";
import type { Deployment, Pod, Service } from "../src/k8s/objects.js";
import { World } from "../src/scenario/world.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The DNS benchmark of issue 3: in-cluster lookups from pods through kube-proxy to CoreDNS and
 * back, with tracing off — (a) fully qualified names, one A query each; (b) short names that walk
 * the search list — against the cost of putting one such exchange on the wire with dns-packet
 * (encode and decode a query and its answer), measured in the same run.
 */

/** The Corefile's query path for cluster names (kubeadm's, without what only external names use). */
const COREFILE = `.:53 {
    errors
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
}
`;

const LOOKUPS = 100_000;
const CLIENTS = 20;

function buildWorld(): { world: World; clients: string[] } {
  const world = new World({ seed: 11 });
  world.addCluster({ name: "bench", region: "r1", zones: ["z1", "z2"], nodesPerZone: 2, dns: { corefile: COREFILE, replicas: 2 } });
  const objects: (Deployment | Service | Pod)[] = [];
  for (let s = 0; s < 20; s++) {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${s}`, namespace: "default" },
      spec: { selector: { app: `svc-${s}` }, ports: [{ name: "http", port: 80 }] },
    });
  }
  const clients: string[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    clients.push(`default/client-${c}`);
    objects.push({ apiVersion: "v1", kind: "Pod", metadata: { name: `client-${c}`, namespace: "default" }, spec: { containers: [{ name: "c", image: "debian:12" }] } });
  }
  world.apply("bench", objects);
  world.runFor(30 * SECOND);
  return { world, clients };
}

/** Lookups per wall second: every client keeps one lookup in flight until LOOKUPS are done. */
function lookups(short: boolean): number {
  const { world, clients } = buildWorld();
  let started = 0;
  let failed = 0;
  const next = (client: string, i: number): void => {
    if (started >= LOOKUPS) return;
    started++;
    const name = short ? `svc-${i % 20}` : `svc-${i % 20}.default.svc.cluster.local.`;
    world.resolve("bench", client, name, {
      family: short ? "unspec" : "inet",
      onDone: (r) => {
        if (!r.ok) failed++;
        next(client, i + 1);
      },
    });
  };
  const start = process.hrtime.bigint();
  clients.forEach((c, i) => next(c, i));
  world.sim.runUntilIdle();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (failed > 0) throw new Error(`${failed} lookups failed: the benchmark's world is broken`);
  return LOOKUPS / seconds;
}

/** dns-packet exchanges per second: encode and decode a query and its answer. */
function wireExchanges(): number {
  const n = 200_000;
  const query = makeQuery("svc-3.default.svc.cluster.local", "A", { id: 1 });
  const answer = makeReply(query, { authoritative: true, answers: [{ type: "A", name: "svc-3.default.svc.cluster.local", ttl: 30, class: "IN", data: "10.100.3.7" }] });
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < n; i++) {
    query.id = i & 0xffff;
    answer.id = i & 0xffff;
    sink += dnsPacket.decode(dnsPacket.encode(query)).id ?? 0;
    sink += dnsPacket.decode(dnsPacket.encode(answer)).answers!.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) throw new Error("unreachable");
  return n / seconds;
}

export const dns: Benchmark = {
  name: "dns",
  description: "in-cluster lookups from pods to CoreDNS (tracing off) vs dns-packet encode+decode of one exchange",
  run(): Figure[] {
    let wire = 0;
    let fqdn = 0;
    let short = 0;
    for (let round = 0; round < 3; round++) {
      wire = Math.max(wire, wireExchanges());
      fqdn = Math.max(fqdn, lookups(false));
    }
    short = best(2, () => lookups(true));
    const ratio = fqdn / wire;
    return [
      { bench: "dns", figure: "dns-packet.exchange", value: wire, unit: "exchanges/s" },
      { bench: "dns", figure: "lookups.fqdn", value: fqdn, unit: "lookups/s", target: ">=150000", pass: meets(">=150000", fqdn) },
      { bench: "dns", figure: "lookups.fqdn.vs-wire", value: fqdn, unit: "lookups/s", baseline: "dns-packet.exchange", ratio, target: ">=1.0", pass: meets(">=1.0", ratio) },
      { bench: "dns", figure: "lookups.short-name", value: short, unit: "lookups/s" },
    ];
  },
};
