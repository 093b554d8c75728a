/**
 * `mcsim serve-dns` end to end: the built command (dist/cli.js) serving the fixture cluster on a
 * loopback port, asked by the REAL `dig` (BIND 9.18, Debian's bind9-dnsutils), every answer
 * compared with what the simulator itself answers for the same question at the same instant (the
 * same scenario opened in-process with openClusterDns). Records are compared as sets: the
 * loadbalance plugin rotates their order (dns.md §4.5). Then malformed packets, bad input, the
 * issue's federation lookup, and SIGTERM.
 */

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import * as dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openClusterDns, type ClusterDns } from "../../src/cli/serve-dns.js";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import type { WireTransport } from "../../src/dns/bridge.js";
import { rdataText, recordLine } from "../../src/dns/format/index.js";
import { FLAGS, rcodeOf, type Answer, type Packet, type RecordType } from "../../src/dns/message.js";
import { MCSIM, mcsim } from "./run-mcsim.js";
import { freePort } from "./free-port.js";

const FIXTURE = "test/dns/fixtures/serve-dns.yaml";
const FEDERATION = "scenarios/dns-federation.yaml";

/** Fails (never skips) when dig is missing: CI installs it, and so must anyone running this suite. */
function requireDig(): string {
  const r = spawnSync("dig", ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`real dig is needed for the serve-dns end-to-end tests and was not found (${r.error?.message ?? `exit ${r.status}`}): install it with \`apt-get install bind9-dnsutils\``);
  }
  return (r.stderr || r.stdout).trim();
}

/** A running `mcsim serve-dns`, with everything it wrote. */
interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built command and waits for its "serving" line. */
async function serve(file: string, cluster: string): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [MCSIM, "serve-dns", file, "--cluster", cluster, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  const served: Served = {
    child,
    port,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (served.stdout += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (served.stderr += s));
  const deadline = Date.now() + 30_000;
  while (!served.stdout.includes("serving cluster")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mcsim serve-dns did not start: ${served.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return served;
}

/** What dig printed, read back: the header, the flags and the sections' records. */
interface DigReading {
  readonly text: string;
  readonly exitCode: number | null;
  readonly status: string;
  readonly flags: string[];
  readonly counts: { query: number; answer: number; authority: number; additional: number };
  readonly sections: Record<string, string[]>;
  readonly hasOpt: boolean;
}

function runDig(port: number, args: readonly string[]): { stdout: string; exitCode: number | null } {
  const r = spawnSync("dig", ["@127.0.0.1", "-p", String(port), "+tries=1", "+timeout=3", ...args], { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, exitCode: r.status };
}

/** A record line without its TTL, its fields split on whitespace: `name class type rdata…`. */
function normalize(line: string): string {
  const [name, , klass, type, ...rdata] = line.trim().split(/\s+/);
  return [name!.toLowerCase(), klass, type, ...rdata].join(" ");
}

function readDig(port: number, args: readonly string[]): DigReading {
  const { stdout, exitCode } = runDig(port, args);
  const header = /;; ->>HEADER<<- opcode: QUERY, status: (\w+), id: \d+/.exec(stdout);
  const flags = /;; flags:([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), ADDITIONAL: (\d+)/.exec(stdout);
  if (!header || !flags) throw new Error(`dig ${args.join(" ")} printed no reply:\n${stdout}`);
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string | null = null;
  for (const line of stdout.split("\n")) {
    const title = /^;; (\w+) SECTION:$/.exec(line);
    if (title) current = title[1]!;
    else if (line === "" || line.startsWith(";")) current = line === "" ? null : current;
    else if (current && sections[current]) sections[current]!.push(normalize(line));
  }
  return {
    text: stdout,
    exitCode,
    status: header[1]!,
    flags: flags[1]!.trim().split(/\s+/).filter(Boolean),
    counts: { query: Number(flags[2]), answer: Number(flags[3]), authority: Number(flags[4]), additional: Number(flags[5]) },
    sections,
    hasOpt: stdout.includes(";; OPT PSEUDOSECTION:"),
  };
}

/** A query as dig 9.18 writes one: RD and AD set, EDNS 1232 with an 8-byte client COOKIE, unless told. */
function digQuery(name: string, type: RecordType, edns: boolean): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: 1,
    flags: FLAGS.RD | FLAGS.AD,
    questions: [{ name, type, class: "IN" }],
    ...(edns ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0, options: [{ code: 10, data: Buffer.from("0123456789abcdef", "hex") }] }] } : {}),
  } as Packet);
}

function digFlags(p: Packet): string[] {
  const f = p.flags ?? 0;
  const names: [boolean, string][] = [
    [p.type === "response", "qr"],
    [(f & FLAGS.AA) !== 0, "aa"],
    [(f & FLAGS.TC) !== 0, "tc"],
    [(f & FLAGS.RD) !== 0, "rd"],
    [(f & FLAGS.RA) !== 0, "ra"],
    [(f & FLAGS.AD) !== 0, "ad"],
    [(f & FLAGS.CD) !== 0, "cd"],
  ];
  return names.filter(([on]) => on).map(([, n]) => n);
}

const records = (list: readonly Answer[] | undefined): string[] =>
  (list ?? []).filter((a): a is Exclude<Answer, { type: "OPT" }> => a.type !== "OPT").map((a) => normalize(recordLine(a)));

/** The simulator's own reply to the question dig asked, from the in-process world. */
function simulated(dns: ClusterDns, name: string, type: RecordType, transport: WireTransport, edns: boolean): Packet {
  const reply = dns.bridge.answer(digQuery(name, type, edns), transport, `${transport} e2e`);
  if (!reply) throw new Error(`the in-process bridge did not answer ${name} ${type}`);
  return dnsPacket.decode(Buffer.from(reply));
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/**
 * Checks dig's reading against the simulator's reply: rcode, flags, counts and record sets. A
 * truncated reply keeps the first records of the rotated set (loadbalance rotates before the
 * server truncates), so which ones differs from one query to the next: there the answer must be
 * as many records of the complete set (`whole`).
 */
function expectSame(got: DigReading, want: Packet, whole?: Packet): void {
  expect(got.status).toBe(rcodeOf(want));
  expect(got.flags).toEqual(digFlags(want));
  expect(got.counts).toEqual({ query: want.questions?.length ?? 0, answer: want.answers?.length ?? 0, authority: want.authorities?.length ?? 0, additional: want.additionals?.length ?? 0 });
  if (whole) {
    const all = new Set(records(whole.answers));
    expect(new Set(got.sections.ANSWER).size).toBe(got.sections.ANSWER!.length);
    for (const r of got.sections.ANSWER!) expect(all).toContain(r);
  } else expect(sorted(got.sections.ANSWER!)).toEqual(sorted(records(want.answers)));
  expect(sorted(got.sections.AUTHORITY!)).toEqual(sorted(records(want.authorities)));
  expect(sorted(got.sections.ADDITIONAL!)).toEqual(sorted(records(want.additionals)));
  expect(got.hasOpt).toBe((want.additionals ?? []).some((a) => a.type === "OPT"));
}

const reverse = (ip: string): string => `${ip.split(".").reverse().join(".")}.in-addr.arpa`;

/** Sends raw bytes over UDP and collects whatever comes back within `ms`. */
async function sendRaw(port: number, bytes: Buffer, ms = 500): Promise<Buffer[]> {
  const socket = createSocket("udp4");
  const got: Buffer[] = [];
  socket.on("message", (m) => got.push(m));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  await new Promise<void>((r, j) => socket.send(bytes, port, "127.0.0.1", (e) => (e ? j(e) : r())));
  await new Promise((r) => setTimeout(r, ms));
  await new Promise<void>((r) => socket.close(() => r()));
  return got;
}

let digVersion = "";
let served: Served;
let dns: ClusterDns;

beforeAll(async () => {
  digVersion = requireDig();
  dns = openClusterDns(readScenarioFile(FIXTURE).scenario, "east");
  served = await serve(FIXTURE, "east");
});

afterAll(() => {
  if (served?.child.exitCode === null) served.child.kill("SIGKILL");
});

describe("real dig against mcsim serve-dns, each answer the simulator's own (dns.md §6.1)", () => {
  it("dig is BIND 9.18 or later (dns.md §5.6, §6.1)", () => {
    expect(digVersion).toMatch(/^DiG 9\.(1[89]|[2-9]\d)\./);
  });

  const api = () => dns.world.cluster("east").api;
  const webIp = () => api().get("Service", "shop", "web")!.spec.clusterIP!;
  const webPodIp = () => api().listByLabel("Pod", "shop", "app", "web")[0]!.status!.podIP!;
  const manyPodIp = () => api().listByLabel("Pod", "shop", "app", "many")[0]!.status!.podIP!;

  /** One dig query and the bridge question it amounts to. */
  interface Case {
    readonly title: string;
    readonly args: () => string[];
    readonly name: () => string;
    readonly type: RecordType;
    readonly transport?: WireTransport;
    readonly edns?: boolean;
    readonly check?: (got: DigReading, want: Packet) => void;
  }
  const cases: Case[] = [
    {
      title: "A of a ClusterIP Service: qr aa rd, its ClusterIP (spec 1.1.0 §2.3.1; dns.md §1.1, §6.1)",
      args: () => ["web.shop.svc.cluster.local"],
      name: () => "web.shop.svc.cluster.local",
      type: "A",
      check: (got) => expect(got.sections.ANSWER).toEqual([`web.shop.svc.cluster.local. IN A ${webIp()}`]),
    },
    {
      title: "A of a dual-stack Service gives its IPv4 ClusterIP (dns.md §1.1)",
      args: () => ["api.shop.svc.cluster.local", "A"],
      name: () => "api.shop.svc.cluster.local",
      type: "A",
      check: (got) => expect(got.sections.ANSWER).toEqual(["api.shop.svc.cluster.local. IN A 10.96.0.31"]),
    },
    {
      title: "AAAA of a dual-stack Service gives its IPv6 ClusterIP (dns.md §1.1)",
      args: () => ["api.shop.svc.cluster.local", "AAAA"],
      name: () => "api.shop.svc.cluster.local",
      type: "AAAA",
      check: (got) => expect(got.sections.ANSWER).toEqual(["api.shop.svc.cluster.local. IN AAAA fd00:10:96::1f"]),
    },
    {
      title: "SRV of a named port, with the target's A in the additional section (spec 1.1.0 §2.3.2; dns.md §2.3)",
      args: () => ["_http._tcp.web.shop.svc.cluster.local", "SRV"],
      name: () => "_http._tcp.web.shop.svc.cluster.local",
      type: "SRV",
      check: (got) => {
        expect(got.sections.ANSWER).toEqual(["_http._tcp.web.shop.svc.cluster.local. IN SRV 0 100 80 web.shop.svc.cluster.local."]);
        expect(got.sections.ADDITIONAL).toEqual([`web.shop.svc.cluster.local. IN A ${webIp()}`]);
      },
    },
    {
      title: "SRV of a headless Service's port: one per endpoint (dns.md §2.3)",
      args: () => ["_http._tcp.many.shop.svc.cluster.local", "SRV", "+tcp"],
      name: () => "_http._tcp.many.shop.svc.cluster.local",
      type: "SRV",
      transport: "tcp",
      check: (got) => expect(got.counts.answer).toBe(60),
    },
    {
      title: "PTR of a Service's ClusterIP, dig -x (spec 1.1.0 §2.5; dns.md §1.1)",
      args: () => ["-x", "10.96.0.31"],
      name: () => reverse("10.96.0.31"),
      type: "PTR",
      check: (got) => expect(got.sections.ANSWER).toEqual(["31.0.96.10.in-addr.arpa. IN PTR api.shop.svc.cluster.local."]),
    },
    {
      title: "PTR of another Service's ClusterIP (spec 1.1.0 §2.5)",
      args: () => ["-x", webIp()],
      name: () => reverse(webIp()),
      type: "PTR",
      check: (got) => expect(got.sections.ANSWER).toEqual([`${reverse(webIp())}. IN PTR web.shop.svc.cluster.local.`]),
    },
    {
      title: "PTR of a pod's address names its endpoint record (dns.md §1.2, §2.3)",
      args: () => ["-x", webPodIp()],
      name: () => reverse(webPodIp()),
      type: "PTR",
      check: (got) => expect(got.sections.ANSWER).toContain(`${reverse(webPodIp())}. IN PTR ${webPodIp().replaceAll(".", "-")}.web.shop.svc.cluster.local.`),
    },
    {
      title: "CNAME of an ExternalName Service (spec 1.1.0 §2.4; dns.md §1.1)",
      args: () => ["payments.shop.svc.cluster.local", "CNAME"],
      name: () => "payments.shop.svc.cluster.local",
      type: "CNAME",
      check: (got) => expect(got.sections.ANSWER).toEqual(["payments.shop.svc.cluster.local. IN CNAME payments.example.com."]),
    },
    {
      title: "A of an ExternalName Service answers its CNAME (dns.md §2.3)",
      args: () => ["payments.shop.svc.cluster.local"],
      name: () => "payments.shop.svc.cluster.local",
      type: "A",
      check: (got) => expect(got.sections.ANSWER![0]).toBe("payments.shop.svc.cluster.local. IN CNAME payments.example.com."),
    },
    {
      title: "NXDOMAIN for a Service that does not exist, with the zone's SOA (dns.md §2.4, §6.1)",
      args: () => ["nope.shop.svc.cluster.local"],
      name: () => "nope.shop.svc.cluster.local",
      type: "A",
      check: (got) => {
        expect(got.status).toBe("NXDOMAIN");
        expect(got.counts.answer).toBe(0);
        expect(got.sections.AUTHORITY!.map((l) => l.split(" ").slice(0, 3).join(" "))).toEqual(["cluster.local. IN SOA"]);
      },
    },
    {
      title: "NXDOMAIN for a namespace that does not exist (dns.md §2.4)",
      args: () => ["web.nowhere.svc.cluster.local"],
      name: () => "web.nowhere.svc.cluster.local",
      type: "A",
      check: (got) => expect(got.status).toBe("NXDOMAIN"),
    },
    {
      title: "NODATA: AAAA of an IPv4-only Service is NOERROR, no answer, the SOA (dns.md §2.4; RFC 2308 §2.2)",
      args: () => ["web.shop.svc.cluster.local", "AAAA"],
      name: () => "web.shop.svc.cluster.local",
      type: "AAAA",
      check: (got) => {
        expect(got.status).toBe("NOERROR");
        expect(got.counts.answer).toBe(0);
        expect(got.sections.AUTHORITY).toHaveLength(1);
      },
    },
    {
      title: "SOA of the cluster zone (dns.md §2.3)",
      args: () => ["cluster.local", "SOA"],
      name: () => "cluster.local",
      type: "SOA",
      check: (got) => expect(got.sections.ANSWER).toHaveLength(1),
    },
    {
      title: "NS of the cluster zone (dns.md §2.3)",
      args: () => ["cluster.local", "NS"],
      name: () => "cluster.local",
      type: "NS",
      check: (got) => expect(got.sections.ANSWER).toEqual(["cluster.local. IN NS kube-dns.kube-system.svc.cluster.local."]),
    },
    {
      title: "TXT of dns-version.cluster.local: the schema version (spec 1.1.0 §2.1; dns.md §1.1)",
      args: () => ["dns-version.cluster.local", "TXT"],
      name: () => "dns-version.cluster.local",
      type: "TXT",
      check: (got) => expect(got.sections.ANSWER).toEqual(['dns-version.cluster.local. IN TXT "1.1.0"']),
    },
    {
      title: "A of a pod by its dashed address (pods insecure; dns.md §1.2, §2.1)",
      args: () => [`${manyPodIp().replaceAll(".", "-")}.shop.pod.cluster.local`],
      name: () => `${manyPodIp().replaceAll(".", "-")}.shop.pod.cluster.local`,
      type: "A",
      check: (got) => expect(got.sections.ANSWER!.map((l) => l.split(" ").at(-1))).toEqual([manyPodIp()]),
    },
    {
      title: "the question's case is kept in the answer (RFC 4343 §4.1)",
      args: () => ["WEB.Shop.svc.cluster.local"],
      name: () => "WEB.Shop.svc.cluster.local",
      type: "A",
      check: (got) => expect(got.text).toContain("\nWEB.Shop.svc.cluster.local. "),
    },
    {
      title: "+tcp: the same answer over TCP, RFC 1035 §4.2.2 framing (RFC 7766)",
      args: () => ["+tcp", "web.shop.svc.cluster.local"],
      name: () => "web.shop.svc.cluster.local",
      type: "A",
      transport: "tcp",
      check: (got) => expect(got.text).toContain(`(127.0.0.1) (TCP)`),
    },
    {
      title: "+tcp SRV with its additional section (RFC 7766)",
      args: () => ["+tcp", "_http._tcp.web.shop.svc.cluster.local", "SRV"],
      name: () => "_http._tcp.web.shop.svc.cluster.local",
      type: "SRV",
      transport: "tcp",
    },
    {
      title: "+notcp +ignore: a headless Service's 60 A records do not fit 1232 bytes, so the UDP reply has tc (RFC 1035 §4.1.1; RFC 6891 §6.2.5)",
      args: () => ["+notcp", "+ignore", "many.shop.svc.cluster.local"],
      name: () => "many.shop.svc.cluster.local",
      type: "A",
      check: (got) => {
        expect(got.flags).toContain("tc");
        expect(got.counts.answer).toBeGreaterThan(0);
        expect(got.counts.answer).toBeLessThan(60);
        expect(Number(/MSG SIZE {2}rcvd: (\d+)/.exec(got.text)![1])).toBeLessThanOrEqual(1232);
      },
    },
    {
      title: "plain dig retries a truncated reply over TCP and gets all 60 (dns.md §6.1; RFC 7766 §5)",
      args: () => ["many.shop.svc.cluster.local"],
      name: () => "many.shop.svc.cluster.local",
      type: "A",
      transport: "tcp",
      check: (got) => {
        expect(got.text).toContain(";; Truncated, retrying in TCP mode.");
        expect(got.flags).not.toContain("tc");
        expect(new Set(got.sections.ANSWER).size).toBe(60);
        expect(got.text).toContain("(127.0.0.1) (TCP)");
      },
    },
    {
      title: "+noedns: no OPT in the reply (CoreDNS mirrors the query's OPT; RFC 6891 §7)",
      args: () => ["+noedns", "web.shop.svc.cluster.local"],
      name: () => "web.shop.svc.cluster.local",
      type: "A",
      edns: false,
      check: (got) => {
        expect(got.hasOpt).toBe(false);
        expect(got.counts.additional).toBe(0);
      },
    },
    {
      title: "+noedns +notcp +ignore: without EDNS a UDP reply fits 512 bytes (RFC 1035 §2.3.4, §4.2.1)",
      args: () => ["+noedns", "+notcp", "+ignore", "many.shop.svc.cluster.local"],
      name: () => "many.shop.svc.cluster.local",
      type: "A",
      edns: false,
      check: (got) => {
        expect(got.flags).toContain("tc");
        expect(Number(/MSG SIZE {2}rcvd: (\d+)/.exec(got.text)![1])).toBeLessThanOrEqual(512);
      },
    },
  ];

  for (const c of cases) {
    it(c.title, () => {
      const got = readDig(served.port, c.args());
      expect(got.exitCode).toBe(0);
      const want = simulated(dns, c.name(), c.type, c.transport ?? "udp", c.edns ?? true);
      const truncated = ((want.flags ?? 0) & FLAGS.TC) !== 0;
      expectSame(got, want, truncated ? simulated(dns, c.name(), c.type, "tcp", c.edns ?? true) : undefined);
      c.check?.(got, want);
    });
  }

  it("+short prints the answers' RDATA, one a line (dns.md §6.1)", () => {
    for (const [name, type] of [
      ["web.shop.svc.cluster.local", "A"],
      ["_http._tcp.web.shop.svc.cluster.local", "SRV"],
      ["api.shop.svc.cluster.local", "AAAA"],
    ] as const) {
      const { stdout, exitCode } = runDig(served.port, ["+short", name, type]);
      expect(exitCode).toBe(0);
      const want = simulated(dns, name, type, "udp", true);
      expect(sorted(stdout.trimEnd().split("\n"))).toEqual(sorted((want.answers ?? []).map(rdataText)));
      expect(stdout.trim()).not.toBe("");
    }
  });

  it("+short of NXDOMAIN and of NODATA prints nothing, exit 0 (dns.md §6.1)", () => {
    expect(runDig(served.port, ["+short", "nope.shop.svc.cluster.local"])).toEqual({ stdout: "", exitCode: 0 });
    expect(runDig(served.port, ["+short", "web.shop.svc.cluster.local", "AAAA"])).toEqual({ stdout: "", exitCode: 0 });
  });
});

describe("malformed packets over UDP (miekg/dns's handling; RFC 1035 §4.1.1)", () => {
  it("garbage shorter than a header gets no reply; a response gets no reply", async () => {
    expect(await sendRaw(served.port, Buffer.from([1, 2, 3, 4, 5]))).toEqual([]);
    const response = digQuery("web.shop.svc.cluster.local", "A", true);
    response[2]! |= 0x80;
    expect(await sendRaw(served.port, response)).toEqual([]);
  });

  it("a good header over a broken body gets FORMERR with the client's id; the server still answers afterwards", async () => {
    const broken = Buffer.from(digQuery("web.shop.svc.cluster.local", "A", true).subarray(0, 20));
    broken.writeUInt16BE(0xbeef, 0);
    const replies = await sendRaw(served.port, broken);
    expect(replies).toHaveLength(1);
    const reply = dnsPacket.decode(replies[0]!);
    expect(reply.id).toBe(0xbeef);
    expect(reply.type).toBe("response");
    expect(rcodeOf(reply)).toBe("FORMERR");
    const after = readDig(served.port, ["web.shop.svc.cluster.local"]);
    expect(after.status).toBe("NOERROR");
    expect(after.sections.ANSWER).toHaveLength(1);
  });
});

describe("mcsim serve-dns with bad input exits 2 with a clear message and no stack trace (DESIGN.md, 'The command line')", () => {
  const noStack = (stderr: string): void => expect(stderr).not.toMatch(/\n\s+at /);

  it("an unknown --cluster names the nearest one and lists them", () => {
    const r = mcsim(["serve-dns", FIXTURE, "--cluster", "eats", "--listen", "127.0.0.1:1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--cluster "eats"');
    expect(r.stderr).toContain("did you mean east?");
    noStack(r.stderr);
  });

  it("a bad --listen says what is wrong with it", () => {
    for (const [listen, why] of [
      ["127.0.0.1:99999", "the port must be a number from 1 to 65535"],
      ["localhost:5353", "is not an IP address"],
      ["nonsense", "--listen"],
    ] as const) {
      const r = mcsim(["serve-dns", FIXTURE, "--cluster", "east", "--listen", listen]);
      expect(r.status, listen).toBe(2);
      expect(r.stderr).toContain(why);
      noStack(r.stderr);
    }
  });

  it("a port in use (UDP, or TCP) is reported, and nothing is served", async () => {
    // The running server holds both.
    const r = spawnSync(process.execPath, [MCSIM, "serve-dns", FIXTURE, "--cluster", "east", "--listen", `127.0.0.1:${served.port}`], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain("serving");
    expect(r.stderr).toContain(`--listen 127.0.0.1:${served.port}: the port is in use (udp)`);
    noStack(r.stderr);
    // Only TCP taken.
    const port = await freePort();
    const tcp = createServer();
    await new Promise<void>((res) => tcp.listen(port, "127.0.0.1", () => res()));
    try {
      const t = await new Promise<{ status: number | null; stderr: string }>((res) => {
        const child = spawn(process.execPath, [MCSIM, "serve-dns", FIXTURE, "--cluster", "east", "--listen", `127.0.0.1:${port}`]);
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
        child.once("exit", (status) => res({ status, stderr }));
      });
      expect(t.status).toBe(2);
      expect(t.stderr).toContain("the port is in use (tcp)");
      noStack(t.stderr);
    } finally {
      await new Promise((res) => tcp.close(res));
    }
  });
});

describe("the issue's 'Done when': dig +short myservice.production.svc.cluster-b.local against serve-dns --cluster us-east (dns.md §4.2)", () => {
  it("gives myservice's ClusterIP in cluster-b, not us-east's", async () => {
    const fed = openClusterDns(readScenarioFile(FEDERATION).scenario, "us-east");
    const inB = fed.world.cluster("cluster-b").api.get("Service", "production", "myservice")?.spec.clusterIP;
    const inEast = fed.world.cluster("us-east").api.get("Service", "production", "myservice")?.spec.clusterIP;
    expect(inB).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(inB).not.toBe(inEast);
    const server = await serve(FEDERATION, "us-east");
    try {
      expect(runDig(server.port, ["+short", "myservice.production.svc.cluster-b.local"])).toEqual({ stdout: `${inB}\n`, exitCode: 0 });
      expect(runDig(server.port, ["+short", "myservice.production.svc.cluster.local"])).toEqual({ stdout: `${inEast}\n`, exitCode: 0 });
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});

describe("stopping", () => {
  it("SIGTERM stops it with the summary line, exit 0", async () => {
    served.child.kill("SIGTERM");
    const { code, signal } = await served.exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    const m = /^mcsim: stopped serving after (\d+) replies to (\d+) queries; simulated clock at \S+\n$/m.exec(served.stderr);
    expect(m, served.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(25);
    expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
  });
});
