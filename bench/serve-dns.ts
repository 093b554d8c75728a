import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import * as dnsPacket from "dns-packet";
import { DnsWireServer, openClusterDns, type ClusterDns } from "../src/cli/serve-dns.js";
import { readScenarioFile } from "../src/cli/scenario-file.js";
import { FLAGS, type Packet, type RecordType } from "../src/dns/message.js";
import type { Benchmark, Figure } from "./figure.js";

/**
 * `mcsim serve-dns` under load: the fixture cluster (test/dns/fixtures/serve-dns.yaml) served by a
 * DnsWireServer on loopback, in the same process as a small UDP load generator that keeps a
 * bounded number of queries in flight for a few wall seconds. Reports queries per wall second and
 * the p99 wall latency of a query, against the bridge called directly (no sockets, no event
 * loop) measured in the same run: the ratio is what the sockets and the server's queue cost.
 * The load runs in a child process (`--serve-dns-child`), since a benchmark's run is synchronous.
 */

const FIXTURE = "test/dns/fixtures/serve-dns.yaml";
const SECONDS = 3;
/** Queries the generator may have in flight at once, per figure. */
const IN_FLIGHT = [1, 32] as const;
/** A query not answered in this long is counted lost and its slot freed. */
const LOST_MS = 1_000;

/** The query mix: every record form the fixture serves, and a miss. */
const QUESTIONS: readonly [string, RecordType][] = [
  ["web.shop.svc.cluster.local", "A"],
  ["api.shop.svc.cluster.local", "AAAA"],
  ["_http._tcp.web.shop.svc.cluster.local", "SRV"],
  ["31.0.96.10.in-addr.arpa", "PTR"],
  ["payments.shop.svc.cluster.local", "CNAME"],
  ["nope.shop.svc.cluster.local", "A"],
];

function query(i: number, id: number): Buffer {
  const [name, type] = QUESTIONS[i % QUESTIONS.length]!;
  return dnsPacket.encode({
    type: "query",
    id,
    flags: FLAGS.RD,
    questions: [{ name, type, class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  } as Packet);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function p99(samples: number[]): number {
  const sorted = samples.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

/** Queries per second and p99 latency (ms) of the bridge called directly, one query after another. */
function direct(dns: ClusterDns): { qps: number; p99: number } {
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let i = 0;
  while (performance.now() < end) {
    const t = performance.now();
    if (!dns.bridge.answer(query(i, i & 0xffff), "udp", "bench direct")) throw new Error("the bridge did not answer: the benchmark's world is broken");
    latencies.push(performance.now() - t);
    i++;
  }
  return { qps: i / SECONDS, p99: p99(latencies) };
}

/** Queries per second, p99 latency (ms) and losses over UDP with `inFlight` queries outstanding. */
async function overUdp(port: number, inFlight: number): Promise<{ qps: number; p99: number; lost: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let nextId = 0;
  let answered = 0;
  let lost = 0;
  let stopping = false;
  const start = performance.now();
  return new Promise((resolve) => {
    const send = (): void => {
      if (stopping) return;
      const id = nextId;
      nextId = (nextId + 1) & 0xffff;
      sentAt.set(id, performance.now());
      socket.send(query(id, id), port, "127.0.0.1");
    };
    socket.on("message", (m) => {
      const id = m.readUInt16BE(0);
      const t = sentAt.get(id);
      if (t === undefined) return;
      sentAt.delete(id);
      latencies.push(performance.now() - t);
      answered++;
      send();
    });
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [id, t] of sentAt) {
        if (now - t < LOST_MS) continue;
        sentAt.delete(id);
        lost++;
        send();
      }
    }, 100);
    for (let i = 0; i < inFlight; i++) send();
    setTimeout(() => {
      stopping = true;
      clearInterval(sweep);
      const wall = (performance.now() - start) / 1000;
      socket.close();
      resolve({ qps: answered / wall, p99: p99(latencies), lost });
    }, SECONDS * 1000);
  });
}

/** What the child measures. */
interface ServeDnsResult {
  direct: { qps: number; p99: number };
  udp: { inFlight: number; qps: number; p99: number; lost: number }[];
}

/** Runs in the child: the direct baseline, then the server under each load. */
export async function serveDnsChild(): Promise<ServeDnsResult> {
  const scenario = readScenarioFile(FIXTURE).scenario;
  const baseline = direct(openClusterDns(scenario, "east"));
  const udp: ServeDnsResult["udp"] = [];
  for (const inFlight of IN_FLIGHT) {
    // A fresh world per load, so that each starts at the same instant with the same caches.
    const dns = openClusterDns(scenario, "east");
    let failure: unknown;
    const server = new DnsWireServer(dns.bridge, { rateLimit: 1e9 }, (e) => (failure = e));
    const port = await freePort();
    await server.listen({ host: "127.0.0.1", port, text: `127.0.0.1:${port}` });
    const r = await overUdp(port, inFlight);
    server.close();
    if (failure) throw failure;
    udp.push({ inFlight, ...r });
  }
  return { direct: baseline, udp };
}

export const serveDns: Benchmark = {
  name: "serve-dns",
  description: `mcsim serve-dns on loopback under a UDP load generator (${IN_FLIGHT.join(" and ")} queries in flight, ${SECONDS} wall s each, 6 record forms), against the bridge called directly`,
  run(): Figure[] {
    const r = spawnSync(process.execPath, [process.argv[1]!, "--serve-dns-child"], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`the serve-dns load run failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout) as ServeDnsResult;
    const figures: Figure[] = [
      { bench: "serve-dns", figure: "bridge.direct.qps", value: result.direct.qps, unit: "queries/wall s (no sockets)" },
      { bench: "serve-dns", figure: "bridge.direct.p99", value: result.direct.p99, unit: "ms" },
    ];
    for (const u of result.udp) {
      figures.push(
        { bench: "serve-dns", figure: `udp.inflight-${u.inFlight}.qps`, value: u.qps, unit: "queries/wall s", baseline: "bridge.direct.qps", ratio: u.qps / result.direct.qps },
        { bench: "serve-dns", figure: `udp.inflight-${u.inFlight}.p99`, value: u.p99, unit: "ms wall", baseline: "bridge.direct.p99", ratio: u.p99 / result.direct.p99 },
        { bench: "serve-dns", figure: `udp.inflight-${u.inFlight}.lost`, value: u.lost, unit: `queries unanswered after ${LOST_MS} ms` },
      );
    }
    return figures;
  },
};
