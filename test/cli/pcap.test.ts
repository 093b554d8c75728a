import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsCapture } from "../../src/dns/capture.js";
import { SECOND } from "../../src/index.js";
import { SIM_EPOCH_UNIX_SECONDS } from "../../src/k8s/timestamp.js";
import { FEDERATION_SERVICE } from "../../src/scenario/federation.js";
import { loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import { UPSTREAM_DNS_IP, World } from "../../src/scenario/world.js";
import { mcsim } from "./run-mcsim.js";

/**
 * `mcsim run --pcap FILE` as a user runs it: the built command on the shipped federation
 * scenario, and the file read back by a real tshark (Debian's, which CI installs), the way someone
 * would open it in Wireshark. tshark is required, not optional: without it this suite fails.
 */

const SCENARIO = "scenarios/dns-federation.yaml";
const dir = mkdtempSync(join(tmpdir(), "mcsim-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PCAP = join(dir, "federation.pcap");
const TRACE = join(dir, "federation.ndjson");
/** A line of a stack trace, which bad input must never print. */
const STACK = /^\s+at .+[:(]/m;

/** Runs tshark; a missing tshark fails the test with what to install. */
function tshark(args: readonly string[]): string {
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error("tshark is not installed: these tests read mcsim's pcap with it. Install Debian's tshark (sudo apt-get install tshark) and run them again.");
  }
  if (r.status !== 0) throw new Error(`tshark ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** tshark with every checksum it knows verified (they are off by default). */
const CHECKED = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"];

const FIELDS = [
  "frame.number",
  "frame.time_epoch",
  "ip.src",
  "ip.dst",
  "udp.srcport",
  "udp.dstport",
  "dns.id",
  "dns.flags.response",
  "dns.response_in",
  "dns.response_to",
  "dns.retransmit_response_in",
  "dns.time",
  "ip.checksum.status",
  "udp.checksum.status",
] as const;
type Frame = Record<(typeof FIELDS)[number], string>;

/** Every frame of the capture, as tshark decodes it, one object of the fields above each. */
function frames(file: string): Frame[] {
  // Two passes, so that a query can name the reply that comes after it (dns.response_in).
  const out = tshark(["-r", file, "-2", ...CHECKED, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f", ...FIELDS.flatMap((f) => ["-e", f])]);
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const values = line.split("\t");
      return Object.fromEntries(FIELDS.map((f, i) => [f, values[i] ?? ""])) as Frame;
    });
}

interface TraceEvent {
  t: number;
  type: string;
  id: number;
  kind?: string;
  from?: string;
  to?: string;
}

let run: ReturnType<typeof mcsim>;
let wallMs = 0;
let all: Frame[] = [];
let trace: TraceEvent[] = [];

beforeAll(() => {
  const started = Date.now();
  run = mcsim(["run", SCENARIO, "--pcap", PCAP, "--trace", TRACE, "--report", "json"]);
  wallMs = Date.now() - started;
  all = frames(PCAP);
  trace = readFileSync(TRACE, "utf8")
    .split("\n")
    .filter((l) => l.startsWith('{"t"'))
    .map((l) => JSON.parse(l) as TraceEvent);
}, 60_000);

describe("mcsim run --pcap, read by tshark", () => {
  it("runs the scenario as without --pcap: exit 0, one JSON report, nothing left out, in seconds and a few megabytes", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).scenario).toBe("dns-federation");
    // The shipped scenario's capture, 130 simulated seconds of three clusters' DNS: a size a user can open.
    const size = statSync(PCAP).size;
    expect(size).toBeGreaterThan(1_000_000);
    expect(size).toBeLessThan(10_000_000);
    expect(wallMs).toBeLessThan(15_000);
  });

  it("tcpdump.org linktypes: tshark reads the file as raw IPv4 (LINKTYPE_RAW), and every frame is a DNS message over UDP", () => {
    const info = tshark(["-r", PCAP, "-q", "-z", "io,phs"]);
    const counts = Object.fromEntries([...info.matchAll(/^\s*(\w+)\s+frames:(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(counts.raw).toBe(all.length);
    expect(counts.ip).toBe(all.length);
    expect(counts.udp).toBe(all.length);
    expect(counts.dns).toBe(all.length);
    expect(all.every((f) => /^0x[0-9a-f]{4}$/.test(f["dns.id"]))).toBe(true);
  });

  it("holds exactly the DNS messages the run's trace says left a querier or reached one, replies at the trace's instants", () => {
    // A query kube-proxy has no endpoint for is dropped before it is traced as sent; it left the pod all the same.
    const sentIds = new Set(trace.filter((e) => e.type === "send").map((e) => e.id));
    const queries = trace.filter((e) => e.kind === "dns.query" && (e.type === "send" || (e.type === "drop" && !sentIds.has(e.id))));
    const replies = trace.filter((e) => e.kind === "dns.response" && e.type === "deliver");
    expect(queries.length).toBeGreaterThan(5000);
    expect(all.filter((f) => f["dns.flags.response"] === "0")).toHaveLength(queries.length);
    expect(all.filter((f) => f["dns.flags.response"] === "1")).toHaveLength(replies.length);
    expect(all).toHaveLength(queries.length + replies.length);
    // Timestamps are the simulated microseconds after the simulated epoch, as tshark prints them.
    const shown = all
      .filter((f) => f["dns.flags.response"] === "1")
      .map((f) => `${Math.round((Number(f["frame.time_epoch"]) - SIM_EPOCH_UNIX_SECONDS) * 1e6)} ${f["ip.src"]}:${f["udp.srcport"]} ${f["ip.dst"]}:${f["udp.dstport"]}`);
    expect(shown).toEqual(replies.map((e) => `${e.t} ${e.from} ${e.to}`));
  });

  it("RFC 1071, RFC 768: tshark finds no malformed packet and no bad checksum; its only warnings are the DNS retransmissions of the partition", () => {
    expect(tshark(["-r", PCAP, ...CHECKED, "-Y", "_ws.malformed || _ws.expert.severity >= error"])).toBe("");
    // Verified, not merely not flagged: with the checks on, tshark calls every checksum good (1).
    expect(all.every((f) => f["ip.checksum.status"] === "1" && f["udp.checksum.status"] === "1")).toBe(true);
    const warnings = tshark(["-r", PCAP, ...CHECKED, "-Y", "_ws.expert.severity >= warning", "-T", "fields", "-e", "frame.time_epoch", "-e", "_ws.expert.message"])
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t") as [string, string]);
    // glibc sends a query again with its id after 5 s without a reply, and both copies get
    // SERVFAIL once forward gives up: that is the scenario, not the capture.
    expect(warnings.length).toBeGreaterThan(0);
    for (const [epoch, message] of warnings) {
      expect(message).toMatch(/^DNS (query|response) retransmission\. Original (request|response) in frame \d+$/);
      const at = Number(epoch) - SIM_EPOCH_UNIX_SECONDS;
      expect(at).toBeGreaterThan(40);
      expect(at).toBeLessThan(100);
    }
  });

  it("tshark matches every reply to its query (dns.response_to, dns.time), the query with the reply's id, sent the other way", () => {
    const byNumber = new Map(all.map((f) => [f["frame.number"], f]));
    const responses = all.filter((f) => f["dns.flags.response"] === "1");
    // tshark matches a query sent again (same id) to the first reply, and calls the second reply a
    // retransmission of the first: that one points at its original instead, which must be matched.
    const repeats = responses.filter((r) => r["dns.response_to"] === "");
    expect(repeats.length).toBeLessThan(0.05 * responses.length);
    for (const r of repeats) {
      const original = byNumber.get(r["dns.retransmit_response_in"]);
      expect(original, `frame ${r["frame.number"]} matched to no query and repeats no reply`).toBeDefined();
      expect([original!["dns.id"], original!["ip.src"], original!["ip.dst"], original!["udp.dstport"]]).toEqual([r["dns.id"], r["ip.src"], r["ip.dst"], r["udp.dstport"]]);
      expect(original!["dns.response_to"]).not.toBe("");
    }
    for (const r of responses.filter((f) => f["dns.response_to"] !== "")) {
      const q = byNumber.get(r["dns.response_to"]);
      expect(q, `frame ${r["frame.number"]} matched to no query`).toBeDefined();
      expect([q!["dns.flags.response"], q!["dns.id"], q!["ip.src"], q!["udp.srcport"], q!["ip.dst"], q!["udp.dstport"]]).toEqual([
        "0",
        r["dns.id"],
        r["ip.dst"],
        r["udp.dstport"],
        r["ip.src"],
        r["udp.srcport"],
      ]);
      // dns.time is the round trip the querier saw: the frames' time difference.
      expect(Number(r["dns.time"])).toBeCloseTo(Number(r["frame.time_epoch"]) - Number(q!["frame.time_epoch"]), 5);
    }
    // And the other way: a query tshark saw answered points at its reply.
    const answered = all.filter((f) => f["dns.flags.response"] === "0" && f["dns.response_in"] !== "");
    expect(answered.length).toBeGreaterThan(0.8 * responses.length);
    for (const q of answered) expect(byNumber.get(q["dns.response_in"])!["dns.response_to"]).toBe(q["frame.number"]);
  });

  it("dns.md §4.2: its addresses are the simulated ones: pods ask their cluster's kube-dns ClusterIP, CoreDNS pods ask the other members' exposed DNS or the upstream", () => {
    // The same world, built in this process from the same file and seed, to its end.
    const text = readFileSync(SCENARIO, "utf8");
    const scenario = loadScenario(text, SCENARIO, { readFile: (p) => readFileSync(p, "utf8") });
    const { world } = buildScenarioWorld(scenario);
    world.runUntil(scenario.spec.duration);
    const clusterOf = new Map<string, string>();
    const dnsIp = new Map<string, string>();
    const exposed = new Map<string, string>();
    const coredns = new Set<string>();
    for (const c of scenario.spec.clusters) {
      const api = world.cluster(c.name).api;
      for (const p of api.list("Pod")) {
        clusterOf.set(p.status!.podIP!, c.name);
        if (p.metadata.namespace === "kube-system" && p.metadata.labels?.["k8s-app"] === "kube-dns") coredns.add(p.status!.podIP!);
      }
      dnsIp.set(c.name, api.get("Service", "kube-system", "kube-dns")!.spec.clusterIP!);
      exposed.set(api.get("Service", "kube-system", FEDERATION_SERVICE)!.status!.loadBalancer!.ingress![0]!.ip!, c.name);
    }
    const kinds = new Map<string, number>();
    for (const f of all) {
      const [querier, server] = f["dns.flags.response"] === "0" ? [f["ip.src"], f["ip.dst"]] : [f["ip.dst"], f["ip.src"]];
      const cluster = clusterOf.get(querier);
      expect(cluster, `frame ${f["frame.number"]}: ${querier} is no pod`).toBeDefined();
      let kind: string;
      if (!coredns.has(querier)) {
        kind = "pod to its kube-dns";
        expect(server).toBe(dnsIp.get(cluster!));
      } else if (server === UPSTREAM_DNS_IP) kind = "CoreDNS to upstream";
      else if (server === querier) kind = "CoreDNS loop check";
      else {
        kind = "CoreDNS to a member";
        expect(exposed.has(server), `frame ${f["frame.number"]}: ${server}`).toBe(true);
        expect(exposed.get(server)).not.toBe(cluster);
      }
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    expect([...kinds.keys()].sort()).toEqual(["CoreDNS loop check", "CoreDNS to a member", "CoreDNS to upstream", "pod to its kube-dns"]);
    // Never an address after DNAT: no pod asks a CoreDNS pod directly.
    expect(all.some((f) => f["dns.flags.response"] === "0" && !coredns.has(f["ip.src"]) && coredns.has(f["ip.dst"]))).toBe(false);
  });
});

describe("DNS over TCP in a capture, read by tshark", () => {
  it("RFC 9293, RFC 7766: a glibc pod with options use-vc: tshark sees one handshake, good TCP checksums, no analysis warning, and every query over TCP answered", () => {
    // The shipped scenario has no TCP, so a world of the library's own, as `mcsim run` would capture it.
    const chunks: Uint8Array[] = [];
    const w = new World({ seed: 3 });
    const capture = new DnsCapture((c) => chunks.push(c.slice()));
    w.network.tap = capture;
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.apply("east", [{ apiVersion: "v1", kind: "Pod", metadata: { name: "vc", namespace: "default" }, spec: { dnsConfig: { options: [{ name: "use-vc" }] }, containers: [{ name: "c", image: "debian:12" }] } }]);
    w.runFor(20 * SECOND);
    for (let i = 0; i < 3; i++) {
      w.resolve("east", "default/vc", "kubernetes.default");
      w.runFor(SECOND);
    }
    capture.flush();
    const file = join(dir, "tcp.pcap");
    writeFileSync(file, Buffer.concat(chunks));
    const fields = ["tcp.flags.syn", "tcp.flags.ack", "tcp.len", "tcp.checksum.status", "dns.id", "dns.flags.response", "dns.response_to", "dns.response_in"];
    const rows = tshark(["-r", file, "-2", ...CHECKED, "-Y", "tcp", "-T", "fields", "-E", "occurrence=f", ...fields.flatMap((f) => ["-e", f])])
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => Object.fromEntries(l.split("\t").map((v, i) => [fields[i]!, v])) as Record<string, string>);
    expect(rows.filter((r) => r["tcp.flags.syn"] === "1")).toHaveLength(2); // SYN and SYN-ACK, once
    expect(rows.every((r) => r["tcp.checksum.status"] === "1")).toBe(true);
    const data = rows.filter((r) => Number(r["tcp.len"]) > 0);
    // 3 lookups of a name found on the second search domain: 2 rounds of A and AAAA each.
    expect(data).toHaveLength(3 * 2 * 2 * 2);
    expect(data.every((r) => /^0x[0-9a-f]{4}$/.test(r["dns.id"]!))).toBe(true);
    expect(data.filter((r) => r["dns.flags.response"] === "1").every((r) => r["dns.response_to"] !== "")).toBe(true);
    expect(data.filter((r) => r["dns.flags.response"] === "0").every((r) => r["dns.response_in"] !== "")).toBe(true);
    expect(tshark(["-r", file, ...CHECKED, "-Y", "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"])).toBe("");
  });
});

describe("mcsim run --pcap to a file it cannot write", () => {
  it("exits 2 with a message naming the flag and the file, no stack trace, and runs nothing", () => {
    const missing = join(dir, "no-such-dir", "out.pcap");
    const r = mcsim(["run", SCENARIO, "--pcap", missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--pcap ${missing}: cannot write the capture there (no such file)`);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe("");
  });

  it("a directory is refused the same way", () => {
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    const r = mcsim(["run", SCENARIO, "--pcap", sub]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--pcap ${sub}: cannot write the capture there (it is a directory)`);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe("");
  });
});

