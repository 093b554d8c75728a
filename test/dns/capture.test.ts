import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { DnsCapture } from "../../src/dns/capture.js";
import { TCP_FLAGS } from "../../src/dns/pcap.js";
import { SECOND } from "../../src/index.js";
import type { Pod } from "../../src/k8s/objects.js";
import { SIM_EPOCH_UNIX_SECONDS } from "../../src/k8s/timestamp.js";
import { loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/scenario/run.js";
import type { Scenario } from "../../src/scenario/spec.js";
import { UPSTREAM_DNS_IP, World } from "../../src/scenario/world.js";

/**
 * DnsCapture: the simulation's DNS traffic as a pcap, seen where each exchange's querier stands.
 * The capture is read back here with a parser of the test's own (pcap-savefile(5), RFC 791,
 * RFC 768, RFC 9293) and dns-packet, and compared with what the simulated resolvers recorded.
 */

interface Captured {
  /** Simulated microseconds, from the record's timestamp less the simulated epoch. */
  readonly at: number;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly proto: "udp" | "tcp";
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload: Uint8Array;
  /** The DNS message the packet carries, if any (a TCP segment's without its length prefix). */
  readonly dns: dnsPacket.Packet | null;
}

/** Parses a whole capture file: the header checked, then every record. */
function parse(file: Uint8Array): Captured[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect(view.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect(view.getUint32(20, true)).toBe(101);
  const out: Captured[] = [];
  let at = 24;
  while (at < file.length) {
    const sec = view.getUint32(at, true);
    const usec = view.getUint32(at + 4, true);
    const len = view.getUint32(at + 8, true);
    const p = file.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    expect(p[0]).toBe(0x45);
    const ip = (o: number) => [...p.subarray(o, o + 4)].join(".");
    const u16 = (o: number) => (p[o]! << 8) | p[o + 1]!;
    const u32 = (o: number) => ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
    const proto = p[9] === 17 ? "udp" : p[9] === 6 ? "tcp" : null;
    if (!proto) throw new Error(`protocol ${p[9]} in a DNS capture`);
    const payload = p.subarray(proto === "udp" ? 28 : 40);
    let dns: dnsPacket.Packet | null = null;
    if (proto === "udp") dns = dnsPacket.decode(Buffer.from(payload));
    else if (payload.length > 0) {
      // RFC 1035 §4.2.2: each message over TCP has a 2-byte length prefix; here one message a segment.
      expect((payload[0]! << 8) | payload[1]!).toBe(payload.length - 2);
      dns = dnsPacket.streamDecode(Buffer.from(payload));
    }
    out.push({
      at: (sec - SIM_EPOCH_UNIX_SECONDS) * 1_000_000 + usec,
      src: ip(12),
      dst: ip(16),
      sport: u16(20),
      dport: u16(22),
      proto,
      seq: proto === "tcp" ? u32(24) : 0,
      ack: proto === "tcp" ? u32(28) : 0,
      flags: proto === "tcp" ? p[33]! : 0,
      payload,
      dns,
    });
  }
  expect(at).toBe(file.length);
  return out;
}

const pod = (name: string, spec: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { ...spec, containers: [{ name: "c", image: "debian:12" }] },
});

/** One cluster with kubeadm's CoreDNS and three glibc pods: a plain one, one with `options use-vc` (DNS over TCP), one whose only nameserver is IPv6. */
function world(seed = 7) {
  const chunks: Uint8Array[] = [];
  const w = new World({ seed });
  const capture = new DnsCapture((c) => chunks.push(c.slice()));
  w.network.tap = capture;
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
  w.apply("east", [
    pod("client"),
    pod("vc", { dnsConfig: { options: [{ name: "use-vc" }] } }),
    pod("six", { dnsPolicy: "None", dnsConfig: { nameservers: ["2001:db8::53"] } }),
  ]);
  w.runFor(20 * SECOND);
  const api = w.cluster("east").api;
  const ipOf = (name: string) => api.get("Pod", "default", name)!.status!.podIP!;
  const coredns = api
    .list("Pod", "kube-system")
    .filter((p) => p.metadata.labels?.["k8s-app"] === "kube-dns")
    .map((p) => p.status!.podIP!);
  const clusterIp = api.get("Service", "kube-system", "kube-dns")!.spec.clusterIP!;
  const packets = () => {
    capture.flush();
    return parse(Buffer.concat(chunks));
  };
  return { w, capture, ipOf, coredns, clusterIp, packets };
}

describe("DnsCapture in a cluster", () => {
  it("records a pod's query to the kube-dns ClusterIP as it leaves and the reply from the ClusterIP as it arrives, at the instants the resolver saw", () => {
    const { w, ipOf, coredns, clusterIp, packets } = world();
    const client = ipOf("client");
    const lookup = w.resolve("east", "default/client", "kubernetes.default.svc.cluster.local.");
    w.runFor(SECOND);
    const r = lookup.result!;
    expect(r.ok).toBe(true);
    const mine = packets().filter((p) => p.src === client || p.dst === client);
    expect(r.queries).toHaveLength(2); // A and AAAA, the FQDN needing no search
    expect(mine).toHaveLength(2 * r.queries.length);
    for (const q of r.queries) {
      const sent = mine.filter((p) => p.dns!.type === "query" && p.dns!.id === q.id);
      const got = mine.filter((p) => p.dns!.type === "response" && p.dns!.id === q.id);
      expect(sent).toHaveLength(1);
      expect(got).toHaveLength(1);
      // Addressed as sent: to the Service, never the CoreDNS pod kube-proxy picked.
      expect([sent[0]!.src, sent[0]!.dst, sent[0]!.dport, sent[0]!.proto]).toEqual([client, clusterIp, 53, "udp"]);
      // From the address the query went to: conntrack undoes the DNAT on the way back.
      expect([got[0]!.src, got[0]!.sport, got[0]!.dst, got[0]!.dport]).toEqual([clusterIp, 53, client, sent[0]!.sport]);
      expect(sent[0]!.at).toBe(q.sentAt);
      expect(got[0]!.at).toBe(q.receivedAt);
      expect(sent[0]!.dns!.questions![0]).toMatchObject({ name: q.name, type: q.qtype });
    }
    for (const p of mine) expect(coredns).not.toContain(p.src === client ? p.dst : p.src);
  });

  it("records a query CoreDNS forwards as CoreDNS's own exchange: from the CoreDNS pod's port 53 to the upstream, and the upstream's reply back to that pod", () => {
    const { w, coredns, packets } = world();
    const before = packets().length;
    const lookup = w.resolve("east", "default/client", "example.com.");
    w.runFor(SECOND);
    const asked = lookup.result!.queries;
    expect(asked.map((q) => q.qtype).sort()).toEqual(["A", "AAAA"]);
    const upstream = packets()
      .slice(before)
      .filter((p) => (p.src === UPSTREAM_DNS_IP || p.dst === UPSTREAM_DNS_IP) && p.dns!.questions![0]!.name === "example.com");
    const queries = upstream.filter((p) => p.dns!.type === "query");
    // One forwarded query for each of the pod's, cache and all being empty.
    expect(queries.map((q) => q.dns!.questions![0]!.type).sort()).toEqual(["A", "AAAA"]);
    for (const q of queries) {
      expect(coredns).toContain(q.src);
      expect([q.sport, q.dst, q.dport]).toEqual([53, UPSTREAM_DNS_IP, 53]);
      const replies = upstream.filter((p) => p.dns!.type === "response" && p.dns!.id === q.dns!.id);
      expect(replies.map((a) => [a.src, a.sport, a.dst, a.dport])).toEqual([[UPSTREAM_DNS_IP, 53, q.src, 53]]);
      expect(replies[0]!.at).toBeGreaterThan(q.at);
      // Forwarded after the pod asked, answered before the pod got its reply.
      const pods = asked.find((a) => a.qtype === q.dns!.questions![0]!.type)!;
      expect(q.at).toBeGreaterThan(pods.sentAt);
      expect(replies[0]!.at).toBeLessThan(pods.receivedAt!);
    }
  });

  it("RFC 9293 §3.5, RFC 7766 §6.2.1: DNS over TCP opens one connection per querier and server, SYN, SYN-ACK, ACK once, then numbers every byte", () => {
    const { w, ipOf, clusterIp, packets } = world();
    const vc = ipOf("vc");
    const first = w.resolve("east", "default/vc", "kubernetes.default");
    w.runFor(SECOND);
    const second = w.resolve("east", "default/vc", "kubernetes.default");
    w.runFor(SECOND);
    const queries = [...first.result!.queries, ...second.result!.queries];
    expect(queries.every((q) => q.transport === "tcp")).toBe(true);
    const tcp = packets().filter((p) => p.proto === "tcp");
    expect(tcp.every((p) => (p.src === vc && p.dst === clusterIp) || (p.src === clusterIp && p.dst === vc))).toBe(true);

    const { SYN, ACK, PSH } = TCP_FLAGS;
    const handshake = tcp.slice(0, 3);
    expect(handshake.map((p) => [p.src, p.flags, p.seq, p.ack, p.payload.length])).toEqual([
      [vc, SYN, 0, 0, 0],
      [clusterIp, SYN | ACK, 0, 1, 0],
      [vc, ACK, 1, 1, 0],
    ]);
    // At the first query's instant, since the simulation has no handshake of its own to time.
    expect(handshake.every((p) => p.at === queries[0]!.sentAt)).toBe(true);
    const data = tcp.slice(3);
    expect(data.every((p) => p.flags === (PSH | ACK) && p.payload.length > 0)).toBe(true);
    expect(data).toHaveLength(2 * queries.length);

    // Each side's segments follow on from its last byte (the SYN counting one), and each
    // acknowledges every byte the other side has sent so far.
    const next = new Map([
      [vc, 1],
      [clusterIp, 1],
    ]);
    for (const p of data) {
      const other = p.src === vc ? clusterIp : vc;
      expect(p.seq).toBe(next.get(p.src));
      expect(p.ack).toBe(next.get(other));
      next.set(p.src, p.seq + p.payload.length);
    }
    // Every query has its reply on the connection, at the resolver's instants.
    for (const q of queries) {
      const sent = data.filter((p) => p.src === vc && p.dns!.id === q.id && p.at === q.sentAt);
      const got = data.filter((p) => p.src === clusterIp && p.dns!.id === q.id && p.at === q.receivedAt);
      expect(sent.length).toBeGreaterThanOrEqual(1);
      expect(got.length).toBeGreaterThanOrEqual(1);
    }
  });

  it("RFC 9293 §3.4: a reply the network duplicates is written again at its first copy's sequence number, as a retransmission, even when another reply came between the copies", () => {
    let interleaved = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { w, ipOf, coredns, clusterIp, packets } = world(seed);
      const vc = ipOf("vc");
      w.network.duplicate({ hosts: coredns }, { hosts: [vc] }, { duplicate: 1 });
      const lookup = w.resolve("east", "default/vc", "kubernetes.default.svc.cluster.local.");
      w.runFor(SECOND);
      expect(lookup.result!.ok).toBe(true);
      const replies = packets().filter((p) => p.proto === "tcp" && p.src === clusterIp && p.payload.length > 0);
      const ids = replies.map((p) => p.dns!.id);
      expect(ids).toHaveLength(2 * lookup.result!.queries.length);
      // Copies of two replies in the order A B A B (or A B B A) are the case a "last reply" memory gets wrong.
      if (ids[0] !== ids[1]) interleaved++;
      const first = new Map<number, { seq: number; payload: string }>();
      let end = 1;
      for (const p of replies) {
        const bytes = Buffer.from(p.payload).toString("hex");
        const seen = first.get(p.dns!.id!);
        if (seen) expect({ seq: p.seq, payload: bytes }).toEqual(seen);
        else {
          // New data follows on from the last new byte; only copies go back.
          expect(p.seq).toBe(end);
          first.set(p.dns!.id!, { seq: p.seq, payload: bytes });
          end = p.seq + p.payload.length;
        }
      }
      expect(first.size).toBe(lookup.result!.queries.length);
    }
    expect(interleaved).toBeGreaterThan(0);
  });

  it("leaves out messages to an IPv6 nameserver, and counts them", () => {
    const { w, capture, ipOf, packets } = world();
    const six = ipOf("six");
    const before = { ...capture.stats };
    const lookup = w.resolve("east", "default/six", "kubernetes.default");
    w.runFor(30 * SECOND);
    const r = lookup.result!;
    expect(r.ok).toBe(false);
    expect(r.queries.length).toBeGreaterThan(0);
    expect(r.queries.every((q) => q.server === "2001:db8::53")).toBe(true);
    expect(capture.stats.omitted - before.omitted).toBe(r.queries.length);
    const all = packets();
    expect(all.filter((p) => p.src === six || p.dst === six)).toEqual([]);
    // What the stats call written is what the file holds.
    expect(capture.stats.packets).toBe(all.length);
  });

  it("a capture with no DNS in it is still a valid file: the 24-byte header alone", () => {
    const chunks: Uint8Array[] = [];
    const capture = new DnsCapture((c) => chunks.push(c.slice()));
    expect(chunks).toEqual([]);
    capture.flush();
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.length).toBe(24);
    expect(parse(chunks[0]!)).toEqual([]);
    capture.flush();
    expect(chunks).toHaveLength(1); // nothing more to hand over
  });
});

const FEDERATION = fileURLToPath(new URL("../../scenarios/dns-federation.yaml", import.meta.url));
const federation = (): Scenario => loadScenario(readFileSync(FEDERATION, "utf8"), FEDERATION, { readFile: (p) => readFileSync(p, "utf8") });

/** Runs the federation scenario to 60 s (past the partition's start) with a capture, giving the file's bytes. */
function captureRun(seed?: number) {
  const chunks: Uint8Array[] = [];
  const capture = new DnsCapture((c) => chunks.push(c.slice()));
  const report = runScenario(federation(), { until: 60 * SECOND, traceLevel: "full", networkTap: capture, ...(seed !== undefined ? { seed } : {}) });
  capture.flush();
  return { bytes: Buffer.concat(chunks), report, stats: capture.stats };
}

describe("DnsCapture of a scenario run", () => {
  it("is byte-identical between two runs with the same seed, and differs with another seed", () => {
    const a = captureRun();
    const b = captureRun();
    expect(a.stats.packets).toBeGreaterThan(1000);
    expect(a.bytes.length).toBeGreaterThan(24 + 1000 * 16);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(Buffer.compare(a.bytes, captureRun(2).bytes)).not.toBe(0);
  });

  it("only looks: the run with the tap gives the report, trace digest included, of the run without", () => {
    const tapped = captureRun().report;
    const plain = runScenario(federation(), { until: 60 * SECOND, traceLevel: "full" });
    expect(tapped.digest).toBe(plain.digest);
    expect(tapped).toEqual(plain);
  });

  it("holds one packet for every DNS query sent and every reply delivered in the trace, replies at the trace's instants and addresses", () => {
    let text = "";
    const chunks: Uint8Array[] = [];
    const tapped = new DnsCapture((c) => chunks.push(c.slice()));
    runScenario(federation(), { until: 60 * SECOND, traceLevel: "full", traceSinks: [(c) => (text += c)], networkTap: tapped });
    tapped.flush();
    const all = parse(Buffer.concat(chunks));
    expect(all.every((p) => p.proto === "udp" && p.dns !== null)).toBe(true);
    const events = text
      .split("\n")
      .filter((l) => l.startsWith("{\"t\""))
      .map((l) => JSON.parse(l) as { t: number; type: string; id: number; kind?: string; from?: string; to?: string });
    // A query kube-proxy has no endpoint for is dropped before it is traced as sent; it left the pod all the same.
    const sentIds = new Set(events.filter((e) => e.type === "send").map((e) => e.id));
    const queriesSent = events.filter((e) => e.kind === "dns.query" && (e.type === "send" || (e.type === "drop" && !sentIds.has(e.id)))).length;
    const repliesDelivered = events.filter((e) => e.kind === "dns.response" && e.type === "deliver");
    expect(repliesDelivered.length).toBeGreaterThan(1000);
    expect(all.filter((p) => p.dns!.type === "query")).toHaveLength(queriesSent);
    const key = (t: number, from: string, to: string) => `${t} ${from} ${to}`;
    const replies = all.filter((p) => p.dns!.type === "response").map((p) => key(p.at, `${p.src}:${p.sport}`, `${p.dst}:${p.dport}`));
    expect(replies).toEqual(repliesDelivered.map((e) => key(e.t, e.from!, e.to!)));
    expect(tapped.stats).toEqual({ packets: all.length, omitted: 0 });
  });
});
