/**
 * Formatter fidelity: formatDig (src/dns/format/) against the REAL dig (BIND 9.18, Debian's
 * bind9-dnsutils) asking `mcsim serve-dns`, line by line. For each dig run, the same question is
 * put to the simulator in-process (the same scenario at the same instant, asked as dig asks: RD
 * and AD, EDNS 1232 and the very COOKIE and id dig sent, read back from its output) and the reply
 * fed to formatDig with dig's own arguments and version. What legitimately differs is masked:
 * the query time, the WHEN date, and the order of records in an answer the loadbalance plugin
 * rotates (dns.md §4.5). Everything else, the id and the COOKIE included, must match.
 */

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openClusterDns, type ClusterDns } from "../../src/cli/serve-dns.js";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import type { WireTransport } from "../../src/dns/bridge.js";
import { formatDig, type DigRun } from "../../src/dns/format/index.js";
import { FLAGS, type Packet, type RecordType } from "../../src/dns/message.js";
import { MCSIM } from "./run-mcsim.js";
import { freePort } from "./free-port.js";

const FIXTURE = "test/dns/fixtures/serve-dns.yaml";

/** The version dig reports (`DiG 9.18.49-1~deb12u1-Debian`); fails, not skips, without dig. */
function digVersion(): string {
  const r = spawnSync("dig", ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`real dig is needed for the formatter fidelity tests and was not found: install it with \`apt-get install bind9-dnsutils\``);
  const m = /^DiG (\S+)/.exec((r.stderr || r.stdout).trim());
  if (!m) throw new Error(`cannot read dig's version from ${JSON.stringify(r.stderr)}`);
  return m[1]!;
}

let version = "";
let port = 0;
let child: ChildProcess;
let dns: ClusterDns;

beforeAll(async () => {
  version = digVersion();
  dns = openClusterDns(readScenarioFile(FIXTURE).scenario, "east");
  port = await freePort();
  child = spawn(process.execPath, [MCSIM, "serve-dns", FIXTURE, "--cluster", "east", "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const deadline = Date.now() + 30_000;
  while (!out.includes("serving cluster")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mcsim serve-dns did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(() => {
  if (child?.exitCode === null) child.kill("SIGTERM");
});

/** What real dig printed, and what it sent as read back from its output (id, COOKIE). */
function realDig(args: readonly string[]): { stdout: string; exitCode: number | null; id: number; cookie: string | undefined } {
  const r = spawnSync("dig", args, { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  const id = /, id: (\d+)$/m.exec(r.stdout);
  const cookie = /^; COOKIE: ([0-9a-f]{16})/m.exec(r.stdout);
  return { stdout: r.stdout, exitCode: r.status, id: id ? Number(id[1]) : 0, cookie: cookie?.[1] };
}

/** A query as dig 9.18 writes it: RD and AD, EDNS 1232 with its client COOKIE unless +noedns. */
function digQuery(name: string, type: RecordType, id: number, cookie: string | undefined, edns: boolean, more: readonly number[] = [], padding?: number): Buffer {
  // dig writes its options in this order: NSID, then COOKIE, then EXPIRE and TCP KEEPALIVE, each empty.
  const empty = (code: number) => ({ code, data: Buffer.alloc(0) });
  const options = [...more.filter((c) => c === 3).map(empty), ...(cookie ? [{ code: 10, data: Buffer.from(cookie, "hex") }] : []), ...more.filter((c) => c !== 3).map(empty), ...(padding === undefined ? [] : [{ code: 12, data: Buffer.alloc(padding) }])];
  return dnsPacket.encode({
    type: "query",
    id,
    flags: FLAGS.RD | FLAGS.AD,
    questions: [{ name, type, class: "IN" }],
    ...(edns ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0, options }] } : {}),
  } as Packet);
}

/**
 * The lines with what legitimately differs masked: the query time, WHEN, and the order of each
 * section's records when `rotated` (records sorted within their section).
 */
function masked(text: string, rotated: boolean): string[] {
  const lines = text.split("\n").map((l) => l.replace(/^;; Query time: \d+ msec$/, ";; Query time: N msec").replace(/^;; WHEN: .*$/, ";; WHEN: DATE"));
  if (!rotated) return lines;
  const out: string[] = [];
  let block: string[] = [];
  for (const l of lines) {
    if (l !== "" && !l.startsWith(";")) {
      block.push(l);
      continue;
    }
    out.push(...block.sort(), l);
    block = [];
  }
  return [...out, ...block.sort()];
}

interface Case {
  readonly title: string;
  /** dig's arguments after `@127.0.0.1 -p PORT`. */
  readonly args: readonly string[];
  readonly name: string;
  readonly type: RecordType;
  /** How the printed reply came: over TCP for +tcp, and after a truncated UDP try. */
  readonly transport?: WireTransport;
  readonly truncatedFirst?: boolean;
  readonly edns?: boolean;
  readonly short?: boolean;
  readonly rotated?: boolean;
  /** EDNS options dig adds, empty, by code (+nsid 3, +expire 9, +keepalive 11). */
  readonly options?: readonly number[];
  /** +padding: dig's PAD option, as long as the one real dig sent (read from its output: CoreDNS echoes it). */
  readonly padding?: boolean;
}

const reverse = (ip: string): string => `${ip.split(".").reverse().join(".")}.in-addr.arpa`;

const cases: Case[] = [
  { title: "A of a Service (dns.md §6.1's sample form)", args: ["web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A" },
  { title: "AAAA of a dual-stack Service", args: ["api.shop.svc.cluster.local", "AAAA"], name: "api.shop.svc.cluster.local", type: "AAAA" },
  { title: "SRV with an additional section", args: ["_http._tcp.web.shop.svc.cluster.local", "SRV"], name: "_http._tcp.web.shop.svc.cluster.local", type: "SRV" },
  { title: "PTR by dig -x", args: ["-x", "10.96.0.31"], name: reverse("10.96.0.31"), type: "PTR" },
  { title: "CNAME of an ExternalName Service", args: ["payments.shop.svc.cluster.local", "CNAME"], name: "payments.shop.svc.cluster.local", type: "CNAME" },
  { title: "NXDOMAIN with the SOA in AUTHORITY (dns.md §6.1)", args: ["nope.shop.svc.cluster.local"], name: "nope.shop.svc.cluster.local", type: "A" },
  { title: "NODATA with the SOA in AUTHORITY (dns.md §6.1)", args: ["web.shop.svc.cluster.local", "AAAA"], name: "web.shop.svc.cluster.local", type: "AAAA" },
  { title: "TXT of dns-version", args: ["dns-version.cluster.local", "TXT"], name: "dns-version.cluster.local", type: "TXT" },
  { title: "NS of the zone, with the server's address in ADDITIONAL", args: ["cluster.local", "NS"], name: "cluster.local", type: "NS" },
  { title: "SOA of the zone", args: ["cluster.local", "SOA"], name: "cluster.local", type: "SOA" },
  { title: "+tcp: the footer says (TCP)", args: ["+tcp", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", transport: "tcp" },
  { title: "+nsid: the echoed empty NSID is `; NSID:` (RFC 5001 §2.1; CoreDNS echoes it)", args: ["+nsid", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", options: [3] },
  { title: "+expire: the echoed empty EXPIRE is `; EXPIRE:` (RFC 7314 §2)", args: ["+expire", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", options: [9] },
  { title: "+tcp +keepalive: the echoed empty edns-tcp-keepalive is `; TCP KEEPALIVE:` (RFC 7828 §3.1)", args: ["+tcp", "+keepalive", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", transport: "tcp", options: [11] },
  { title: "+padding: the echoed PAD is counted, `; PAD: (N bytes)` (RFC 7830 §3)", args: ["+padding=128", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", padding: true },
  { title: "+noedns: no OPT pseudosection", args: ["+noedns", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", edns: false },
  {
    title: "a truncated UDP reply, then the full one over TCP: `;; Truncated, retrying in TCP mode.` first (dns.md §6.1)",
    args: ["many.shop.svc.cluster.local"],
    name: "many.shop.svc.cluster.local",
    type: "A",
    transport: "tcp",
    truncatedFirst: true,
    rotated: true,
  },
  { title: "+short A", args: ["+short", "web.shop.svc.cluster.local"], name: "web.shop.svc.cluster.local", type: "A", short: true },
  { title: "+short SRV", args: ["+short", "_http._tcp.web.shop.svc.cluster.local", "SRV"], name: "_http._tcp.web.shop.svc.cluster.local", type: "SRV", short: true },
  { title: "+short CNAME", args: ["+short", "payments.shop.svc.cluster.local", "CNAME"], name: "payments.shop.svc.cluster.local", type: "CNAME", short: true },
  { title: "+short TXT", args: ["+short", "dns-version.cluster.local", "TXT"], name: "dns-version.cluster.local", type: "TXT", short: true },
  { title: "+short NXDOMAIN: nothing", args: ["+short", "nope.shop.svc.cluster.local"], name: "nope.shop.svc.cluster.local", type: "A", short: true },
  { title: "+short +tcp of a truncating answer: 60 lines, no retry message", args: ["+short", "+tcp", "many.shop.svc.cluster.local"], name: "many.shop.svc.cluster.local", type: "A", transport: "tcp", short: true, rotated: true },
];

describe("formatDig matches real dig against mcsim serve-dns line by line (dns.md §6.1)", () => {
  for (const c of cases) {
    it(c.title, () => {
      const args = ["@127.0.0.1", "-p", String(port), ...c.args];
      const real = realDig(args);
      expect(real.exitCode).toBe(0);
      const edns = c.edns ?? true;
      // +short hides the id and the COOKIE; any will do there.
      const cookie = edns ? (real.cookie ?? (c.short ? "0123456789abcdef" : undefined)) : undefined;
      if (edns && !c.short) expect(real.cookie).toBeDefined();
      const transport = c.transport ?? "udp";
      const bytes = dns.bridge.answer(digQuery(c.name, c.type, real.id, cookie, edns, c.options, c.padding ? Number(/^; PAD: \((\d+) bytes\)$/m.exec(real.stdout)?.[1]) : undefined), transport, `${transport} fidelity`);
      expect(bytes).not.toBeNull();
      const run: DigRun = {
        args,
        short: c.short ?? false,
        version,
        ...(c.truncatedFirst ? { retries: [{ kind: "truncated" as const }] } : {}),
        reply: {
          packet: dnsPacket.decode(Buffer.from(bytes!)),
          server: { address: "127.0.0.1", port },
          transport,
          size: bytes!.length,
          queryTimeMs: 0,
          when: 0,
          ...(cookie ? { clientCookie: cookie } : {}),
        },
      };
      const ours = formatDig(run);
      expect(ours.exitCode).toBe(real.exitCode);
      expect(ours.stderr).toBe("");
      expect(masked(ours.stdout, c.rotated ?? false)).toEqual(masked(real.stdout, c.rotated ?? false));
      if (!c.short) expect(ours.stdout).toContain(`;; SERVER: 127.0.0.1#${port}(127.0.0.1) (${transport.toUpperCase()})\n`);
    });
  }
});
