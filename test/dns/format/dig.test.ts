/**
 * dig output against dns.md §6.1: the real BIND 9.18 sample byte for byte, and each line rule
 * the section lists (greeting, warnings, flags, sections, footer, timeouts, exit status).
 */

import { describe, expect, it } from "vitest";
import { formatDig, type DigReply, type DigRun } from "../../../src/dns/format/index.js";
import { RCODE, type Answer, type Packet } from "../../../src/dns/message.js";
import { a, clusterSoa, expandTabs, reply, SAMPLE_COOKIE } from "./packets.js";

const WHEN = "Wed Oct 07 19:04:04 UTC 2026";
const SERVER = { address: "10.96.0.10" };

/** The real output of dns.md §6.1 (CoreDNS, kubeadm ≥ 1.32 Corefile). */
const SAMPLE = `
; <<>> DiG 9.18.24 <<>> web-clusterip.default.svc.cluster.local
;; global options: +cmd
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 58969
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: 3be3a2db162c8232 (echoed)
;; QUESTION SECTION:
;web-clusterip.default.svc.cluster.local. IN A

;; ANSWER SECTION:
web-clusterip.default.svc.cluster.local. 30 IN A 10.102.13.85

;; Query time: 0 msec
;; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)
;; WHEN: Wed Oct 07 19:04:04 UTC 2026
;; MSG SIZE  rcvd: 135

`;

const NAME = "web-clusterip.default.svc.cluster.local";

function sampleReply(): Packet {
  return reply(NAME, "A", { id: 58969, edns: 1232, cookie: SAMPLE_COOKIE, authoritative: true, answers: [a(NAME, "10.102.13.85")] });
}

function run(packet: Packet, more: Partial<DigReply> = {}, args: string[] = [NAME]): DigRun {
  return { args, reply: { packet, server: SERVER, transport: "udp", queryTimeMs: 0, when: WHEN, clientCookie: SAMPLE_COOKIE, ...more } };
}

describe("dig (dns.md §6.1)", () => {
  it("dns.md §6.1: reproduces the real BIND 9.18 output against CoreDNS byte for byte, exit 0", () => {
    const out = formatDig(run(sampleReply()));
    expect(out.stdout).toBe(SAMPLE);
    expect(out.stderr).toBe("");
    expect(out.exitCode).toBe(0);
  });

  it("dns.md §6.1: the 135-byte MSG SIZE is dns-packet's uncompressed encoding (12 + 45 + 55 + 23)", () => {
    expect(formatDig(run(sampleReply())).stdout).toContain(";; MSG SIZE  rcvd: 135\n");
    expect(formatDig(run(sampleReply(), { size: 99 })).stdout).toContain(";; MSG SIZE  rcvd: 99\n");
  });

  it("dns.md §6.1: WHEN given as a Unix time is written as dig writes it with TZ=UTC", () => {
    const seconds = Date.UTC(2026, 9, 7, 19, 4, 4) / 1000;
    expect(formatDig(run(sampleReply(), { when: seconds })).stdout).toBe(SAMPLE);
    expect(formatDig(run(sampleReply(), { when: Date.UTC(2025, 0, 5, 3, 2, 1) / 1000 + 0.9 })).stdout).toContain(";; WHEN: Sun Jan 05 03:02:01 UTC 2025\n");
  });

  it("dns.md §6.1: `; (1 server found)` follows the greeting only when @server is given", () => {
    const out = formatDig(run(sampleReply(), {}, ["@10.96.0.10", NAME])).stdout;
    expect(out.startsWith(`\n; <<>> DiG 9.18.24 <<>> @10.96.0.10 ${NAME}\n; (1 server found)\n;; global options: +cmd\n`)).toBe(true);
    expect(formatDig({ ...run(sampleReply(), {}, ["@kube-dns.kube-system", NAME]), serversFound: 2 }).stdout).toContain("; (2 servers found)\n");
    expect(formatDig(run(sampleReply())).stdout).not.toContain("server found");
  });

  it("dns.md §6.1: no mDNS warning for names outside .local; the version is the caller's", () => {
    const r = reply("api.example.com", "A", { recursionAvailable: true, answers: [a("api.example.com", "1.2.3.4")] });
    const out = formatDig({ ...run(r, { clientCookie: undefined }, ["api.example.com"]), version: "9.18.28-1~deb12u2-Debian" }).stdout;
    expect(out).not.toContain("Multicast DNS");
    expect(out).toContain("; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> api.example.com\n");
  });

  it("dns.md §6.1: flags in the order qr aa tc rd ra ad cd; forwarded answers (qr rd ra) get no recursion warning", () => {
    const all: Packet = { ...reply("x.example.com", "A"), flags: 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 };
    expect(formatDig(run(all)).stdout).toContain(";; flags: qr aa tc rd ra ad cd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0\n");
    const forwarded = reply("api.example.com", "A", { recursionAvailable: true, answers: [a("api.example.com", "1.2.3.4")] });
    const out = formatDig(run(forwarded)).stdout;
    expect(out).toContain(";; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0\n");
    expect(out).not.toContain("recursion requested");
  });

  it("dns.md §6.1: without OPT there is no pseudosection and the question follows the blank line", () => {
    const out = formatDig(run(reply("api.example.com", "A", { recursionAvailable: true, answers: [a("api.example.com", "1.2.3.4")] }))).stdout;
    expect(out).not.toContain("OPT PSEUDOSECTION");
    expect(out).toContain(";; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0\n\n;; QUESTION SECTION:\n;api.example.com.\t\tIN\tA\n\n;; ANSWER SECTION:\n");
  });

  it("dns.md §6.1: COOKIE is printed only when the reply has one; a server cookie is (good), a wrong echo (bad) with a warning", () => {
    const plain = reply(NAME, "A", { edns: 1232, authoritative: true, answers: [a(NAME, "10.102.13.85")] });
    expect(formatDig(run(plain)).stdout).toContain("; EDNS: version: 0, flags:; udp: 1232\n;; QUESTION SECTION:\n");
    const good = reply(NAME, "A", { edns: 1232, cookie: `${SAMPLE_COOKIE}0102030405060708`, authoritative: true });
    expect(formatDig(run(good)).stdout).toContain(`; COOKIE: ${SAMPLE_COOKIE}0102030405060708 (good)\n`);
    const bad = reply(NAME, "A", { edns: 1232, cookie: "00112233445566778899aabbccddeeff", authoritative: true });
    const out = formatDig(run(bad)).stdout;
    expect(out.startsWith(";; Warning: Client COOKIE mismatch\n\n; <<>> DiG")).toBe(true);
    expect(out).toContain("; COOKIE: 00112233445566778899aabbccddeeff (bad)\n");
    expect(formatDig(run(good, { clientCookie: undefined })).stdout).toContain(`; COOKIE: ${SAMPLE_COOKIE}0102030405060708\n`);
  });

  it("dns.md §6.1: the DO bit shows as `flags: do`, other EDNS options as hex and text", () => {
    const opt: Answer = { type: "OPT", name: ".", udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0x8000, flag_do: true, options: [{ code: 3, data: Buffer.from("cdns") } as never] };
    const r: Packet = { ...reply(NAME, "A", { authoritative: true }), additionals: [opt] };
    expect(formatDig(run(r)).stdout).toContain(";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags: do; udp: 4096\n; NSID: 63 64 6e 73 (\"cdns\")\n;; QUESTION SECTION:\n");
  });

  it("dns.md §6.1: NXDOMAIN and NODATA show the status, ANSWER: 0, AUTHORITY: 1 and the SOA with tabs", () => {
    const soa = clusterSoa();
    const section = ";; AUTHORITY SECTION:\ncluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1718000000 7200 1800 86400 30\n\n;; Query time:";
    for (const rcode of ["NXDOMAIN", "NOERROR"] as const) {
      const r = reply("nosuch.default.svc.cluster.local", "A", { rcode, authoritative: true, authorities: [soa], id: 7 });
      const out = formatDig(run(r, {}, ["nosuch.default.svc.cluster.local"]));
      expect(out.stdout).toContain(`;; ->>HEADER<<- opcode: QUERY, status: ${rcode}, id: 7\n;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0\n`);
      expect(out.stdout).toContain(`;nosuch.default.svc.cluster.local. IN\tA\n\n${section}`);
      expect(out.stdout).not.toContain("ANSWER SECTION");
      expect(out.exitCode).toBe(0);
    }
  });

  it("dns.md §6.1: the real SRV sample (dig 9.11, tabs expanded when copied): headless Service with 2 pods, ADDITIONAL: 3", () => {
    const owner = "kubia.default.svc.cluster.local";
    const srv = (i: number): Answer => ({ type: "SRV", name: owner, ttl: 30, class: "IN", data: { priority: 0, weight: 50, port: 80, target: `kubia-${i}.kubia.${owner.slice(6)}` } });
    const r = reply(owner, "SRV", { edns: 4096, authoritative: true, answers: [srv(0), srv(1)], additionals: [a("kubia-1.kubia.default.svc.cluster.local", "10.1.169.130"), a("kubia-0.kubia.default.svc.cluster.local", "10.1.107.193")] });
    const out = formatDig(run(r, {}, ["SRV", owner])).stdout;
    expect(out).toContain("ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 3\n");
    expect(expandTabs(out)).toContain(`;; ANSWER SECTION:
kubia.default.svc.cluster.local. 30 IN  SRV     0 50 80 kubia-0.kubia.default.svc.cluster.local.
kubia.default.svc.cluster.local. 30 IN  SRV     0 50 80 kubia-1.kubia.default.svc.cluster.local.

;; ADDITIONAL SECTION:
kubia-1.kubia.default.svc.cluster.local. 30 IN A 10.1.169.130
kubia-0.kubia.default.svc.cluster.local. 30 IN A 10.1.107.193

`);
    expect(out).toContain("kubia.default.svc.cluster.local. 30 IN\tSRV\t0 50 80 kubia-0.kubia.default.svc.cluster.local.\n");
  });

  it("dns.md §6.1: the footer names the server as given, the transport, and the query time in whole msec", () => {
    const out = formatDig(run(sampleReply(), { serverName: "kube-dns.kube-system", transport: "tcp", queryTimeMs: 12.9 }, ["@kube-dns.kube-system", NAME])).stdout;
    expect(out).toContain(";; Query time: 12 msec\n;; SERVER: 10.96.0.10#53(kube-dns.kube-system) (TCP)\n");
    const v6 = formatDig(run(sampleReply(), { server: { address: "fd00:0:0:0:0:0:0:a", port: 5353 } })).stdout;
    expect(v6).toContain(";; SERVER: fd00::a#5353(fd00:0:0:0:0:0:0:a) (UDP)\n");
  });

  it("dns.md §6.1: a truncated UDP reply is retried over TCP, which dig says before the greeting", () => {
    const out = formatDig({ ...run(sampleReply(), { transport: "tcp" }), retries: [{ kind: "truncated" }] }).stdout;
    expect(out.startsWith(";; Truncated, retrying in TCP mode.\n\n; <<>> DiG 9.18.24 <<>>")).toBe(true);
    expect(out).toContain("(10.96.0.10) (TCP)\n");
  });

  it("dns.md §6.1: SERVFAIL and REFUSED print their status and still exit 0", () => {
    for (const rcode of ["SERVFAIL", "REFUSED"] as const) {
      const out = formatDig(run(reply(NAME, "A", { rcode, edns: 1232 })));
      expect(out.stdout).toContain(`status: ${rcode}, id: 4242\n`);
      expect(out.exitCode).toBe(0);
      expect((reply(NAME, "A", { rcode }).flags ?? 0) & 0xf).toBe(RCODE[rcode]);
    }
  });
});

describe("dig timeouts (dns.md §6.1, BIND ≥ 9.18)", () => {
  const timeout = { kind: "timeout" as const, server: SERVER };

  it("dns.md §6.1: one `communications error` line per timed-out try, then the greeting and `no servers could be reached`, exit 9", () => {
    const out = formatDig({ args: [NAME], retries: [timeout, timeout, timeout] });
    expect(out.stdout).toBe(
      ";; communications error to 10.96.0.10#53: timed out\n".repeat(3) +
        `\n; <<>> DiG 9.18.24 <<>> ${NAME}\n;; global options: +cmd\n;; no servers could be reached\n\n`,
    );
    expect(out.exitCode).toBe(9);
  });

  it("dns.md §6.1: with +short the same errors and no greeting, exit 9", () => {
    const out = formatDig({ args: ["+short", NAME], short: true, retries: [timeout, timeout, timeout] });
    expect(out.stdout).toBe(";; communications error to 10.96.0.10#53: timed out\n".repeat(3) + ";; no servers could be reached\n\n");
    expect(out.exitCode).toBe(9);
  });

  it("dns.md §6.1: a try that timed out before an answer is reported before it, exit 0", () => {
    const out = formatDig({ ...run(sampleReply()), retries: [timeout] });
    expect(out.stdout).toBe(`;; communications error to 10.96.0.10#53: timed out\n${SAMPLE}`);
    expect(out.exitCode).toBe(0);
    const short = formatDig({ ...run(sampleReply()), short: true, retries: [{ kind: "timeout", server: { address: "10.96.0.11" } }] });
    expect(short.stdout).toBe(";; communications error to 10.96.0.11#53: timed out\n10.102.13.85\n");
  });
});

describe("dig +short (dns.md §6.1)", () => {
  const short = (packet: Packet): string => formatDig({ ...run(packet), short: true }).stdout;

  it("dns.md §6.1: one RDATA a line in answer order: A, SRV, a CNAME chain, TXT", () => {
    expect(short(reply("kubernetes.default.svc.cluster.local", "A", { authoritative: true, answers: [a("kubernetes.default.svc.cluster.local", "10.96.0.1")] }))).toBe("10.96.0.1\n");
    const srv: Answer = { type: "SRV", name: "_https._tcp.kubernetes.default.svc.cluster.local", ttl: 30, class: "IN", data: { priority: 0, weight: 100, port: 443, target: "kubernetes.default.svc.cluster.local" } };
    expect(short(reply(srv.name, "SRV", { authoritative: true, answers: [srv] }))).toBe("0 100 443 kubernetes.default.svc.cluster.local.\n");
    const chain: Answer[] = [
      { type: "CNAME", name: "ext.default.svc.cluster.local", ttl: 30, class: "IN", data: "ext.example.com" },
      a("ext.example.com", "93.184.216.34", 300),
      a("ext.example.com", "93.184.216.35", 300),
    ];
    expect(short(reply("ext.default.svc.cluster.local", "A", { answers: chain }))).toBe("ext.example.com.\n93.184.216.34\n93.184.216.35\n");
    const txt: Answer = { type: "TXT", name: "dns-version.cluster.local", ttl: 28800, class: "IN", data: "1.1.0" };
    expect(short(reply(txt.name, "TXT", { authoritative: true, answers: [txt] }))).toBe('"1.1.0"\n');
  });

  it("dns.md §6.1: NXDOMAIN and NODATA print nothing and exit 0", () => {
    for (const rcode of ["NXDOMAIN", "NOERROR"] as const) {
      const out = formatDig({ ...run(reply("nosuch.default.svc.cluster.local", "A", { rcode, authoritative: true })), short: true });
      expect(out).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    }
  });

  it("dns.md §6.1: the other types print their presentation format", () => {
    const owner = "x.example.com";
    const cases: [Answer, string][] = [
      [{ type: "AAAA", name: owner, ttl: 1, class: "IN", data: "fd00:0:0:0:0:0:0:10" }, "fd00::10"],
      [{ type: "PTR", name: "1.0.96.10.in-addr.arpa", ttl: 1, class: "IN", data: "kubernetes.default.svc.cluster.local" }, "kubernetes.default.svc.cluster.local."],
      [{ type: "NS", name: "cluster.local", ttl: 1, class: "IN", data: "ns.dns.cluster.local" }, "ns.dns.cluster.local."],
      [{ type: "MX", name: owner, ttl: 1, class: "IN", data: { preference: 10, exchange: "mail.example.com" } }, "10 mail.example.com."],
      [clusterSoa(1), "ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"],
      [{ type: "TXT", name: owner, ttl: 1, class: "IN", data: ['v=spf1 "a" \\b', Buffer.from([0x09, 0xff])] }, '"v=spf1 \\"a\\" \\\\b" "\\009\\255"'],
    ];
    for (const [record, text] of cases) expect(short(reply(owner, record.type, { answers: [record] }))).toBe(`${text}\n`);
  });
});
