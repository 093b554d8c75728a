/**
 * nslookup output against dns.md §6.2: busybox ≥ 1.29 (default), busybox ≤ 1.28 (libc) and BIND
 * (dnsutils), from replies built as CoreDNS builds them.
 */

import { describe, expect, it } from "vitest";
import { formatNslookup, type BindNslookupEvent } from "../../../src/dns/format/index.js";
import type { Answer, Packet } from "../../../src/dns/message.js";
import { a, clusterSoa, reply } from "./packets.js";

const SERVER = { name: "10.96.0.10" };

/** A CoreDNS answer: authoritative, with the given records. */
function auth(name: string, type: "A" | "AAAA" | "SRV" | "PTR" | "TXT" | "MX" | "NS" | "SOA" | "CNAME", answers: Answer[] = []): Packet {
  return reply(name, type, { authoritative: true, answers });
}

function nxdomain(name: string, type: "A" | "AAAA"): Packet {
  return reply(name, type, { rcode: "NXDOMAIN", authoritative: true });
}

describe("busybox ≥ 1.29 nslookup (dns.md §6.2)", () => {
  it("dns.md §6.2: the ClusterIP sample (one A query) byte for byte, exit 0", () => {
    const name = "web-clusterip.default.svc.cluster.local";
    const out = formatNslookup({ server: SERVER, replies: [{ name, packet: auth(name, "A", [a(name, "10.96.142.55")]) }] });
    expect(out.stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb-clusterip.default.svc.cluster.local\nAddress: 10.96.142.55\n\n");
    expect(out.exitCode).toBe(0);
  });

  it("dns.md §6.2: with the default A and AAAA queries the NODATA AAAA reply adds one more empty line", () => {
    const name = "web-clusterip.default.svc.cluster.local";
    const out = formatNslookup({ server: SERVER, replies: [{ name, packet: auth(name, "A", [a(name, "10.96.142.55")]) }, { name, packet: auth(name, "AAAA") }] });
    expect(out.stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb-clusterip.default.svc.cluster.local\nAddress: 10.96.142.55\n\n\n");
  });

  it("dns.md §6.2: the real short-name sample with a search list, replies in arrival order, exit 1", () => {
    const replies = [
      { name: "web.cluster.local", packet: nxdomain("web.cluster.local", "A") },
      { name: "web.cluster.local", packet: nxdomain("web.cluster.local", "AAAA") },
      { name: "web.svc.cluster.local", packet: nxdomain("web.svc.cluster.local", "A") },
      { name: "web.shop.svc.cluster.local", packet: auth("web.shop.svc.cluster.local", "AAAA") },
      { name: "web.shop.svc.cluster.local", packet: auth("web.shop.svc.cluster.local", "A", [a("web.shop.svc.cluster.local", "10.96.55.132")]) },
      { name: "web.svc.cluster.local", packet: nxdomain("web.svc.cluster.local", "AAAA") },
    ];
    const out = formatNslookup({ server: SERVER, replies });
    // The sample's last line, `command terminated with exit code 1`, is kubectl's.
    expect(out.stdout).toBe(`Server:		10.96.0.10
Address:	10.96.0.10:53

** server can't find web.cluster.local: NXDOMAIN

** server can't find web.cluster.local: NXDOMAIN

** server can't find web.svc.cluster.local: NXDOMAIN


Name:	web.shop.svc.cluster.local
Address: 10.96.55.132

** server can't find web.svc.cluster.local: NXDOMAIN

`);
    expect(out.exitCode).toBe(1);
  });

  it("dns.md §6.2: the ExternalName sample's lines, in order (the sample as published leaves out busybox's blank lines)", () => {
    const svc = "external-database-service.default.svc.cluster.local";
    const cname: Answer = { type: "CNAME", name: svc, ttl: 30, class: "IN", data: "api.github.com" };
    const replies = [
      { name: "external-database-service.cluster.local", packet: nxdomain("external-database-service.cluster.local", "A") },
      { name: "external-database-service.svc.cluster.local", packet: nxdomain("external-database-service.svc.cluster.local", "A") },
      { name: svc, packet: auth(svc, "A", [cname, a("api.github.com", "20.207.73.85")]) },
    ];
    const out = formatNslookup({ server: SERVER, replies }).stdout;
    const sample = `** server can't find external-database-service.cluster.local: NXDOMAIN
** server can't find external-database-service.svc.cluster.local: NXDOMAIN

external-database-service.default.svc.cluster.local	canonical name = api.github.com
Name:	api.github.com
Address: 20.207.73.85`;
    const nonBlank = (text: string): string[] => text.split("\n").filter((l) => l !== "");
    expect(nonBlank(out).slice(2)).toEqual(nonBlank(sample));
    expect(out).toContain("\n\nexternal-database-service.default.svc.cluster.local\tcanonical name = api.github.com\nName:\tapi.github.com\nAddress: 20.207.73.85\n\n");
  });

  it("dns.md §6.2: `Non-authoritative answer:` only when AA is clear (forwarded answers)", () => {
    const fwd = reply("api.example.com", "A", { recursionAvailable: true, answers: [a("api.example.com", "93.184.216.34")] });
    const out = formatNslookup({ server: SERVER, replies: [{ name: "api.example.com", packet: fwd }] }).stdout;
    expect(out).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nNon-authoritative answer:\nName:\tapi.example.com\nAddress: 93.184.216.34\n\n");
  });

  it("dns.md §6.2: queries never answered end as `*** Can't find NAME: No answer` and one blank line", () => {
    const name = "kubernetes.default.svc.cluster.local";
    const out = formatNslookup({ server: SERVER, replies: [{ name, packet: auth(name, "A", [a(name, "10.96.0.1")]) }], unanswered: [name] });
    expect(out.stdout).toBe(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\t${name}\nAddress: 10.96.0.1\n\n*** Can't find ${name}: No answer\n\n`);
    expect(out.exitCode).toBe(0);
  });

  it("dns.md §6.2: nothing received: `;; connection timed out; no servers could be reached`, exit 1", () => {
    const out = formatNslookup({ server: SERVER, replies: [], unanswered: ["web.default.svc.cluster.local"] });
    expect(out).toEqual({ stdout: ";; connection timed out; no servers could be reached\n\n", stderr: "", exitCode: 1 });
  });

  it("dns.md §5.5: SRV, PTR, TXT, MX, NS and SOA answers in busybox's words, names without the final dot", () => {
    const srv: Answer = { type: "SRV", name: "_https._tcp.kubernetes.default.svc.cluster.local", ttl: 30, class: "IN", data: { priority: 0, weight: 100, port: 443, target: "kubernetes.default.svc.cluster.local" } };
    const ptr: Answer = { type: "PTR", name: "1.0.96.10.in-addr.arpa", ttl: 30, class: "IN", data: "kubernetes.default.svc.cluster.local" };
    const txt: Answer = { type: "TXT", name: "dns-version.cluster.local", ttl: 30, class: "IN", data: ["1.1.0", "ignored"] };
    const mx: Answer = { type: "MX", name: "example.com", ttl: 30, class: "IN", data: { preference: 10, exchange: "mail.example.com" } };
    const ns: Answer = { type: "NS", name: "cluster.local", ttl: 30, class: "IN", data: "ns.dns.cluster.local" };
    const soa = clusterSoa();
    const out = formatNslookup({ server: { name: "fd00::a" }, replies: [{ name: "x", packet: auth("x", "SRV", [srv, ptr, txt, mx, ns, soa]) }] }).stdout;
    expect(out).toBe(`Server:\t\tfd00::a
Address:\t[fd00::a]:53

_https._tcp.kubernetes.default.svc.cluster.local\tservice = 0 100 443 kubernetes.default.svc.cluster.local
1.0.96.10.in-addr.arpa\tname = kubernetes.default.svc.cluster.local
dns-version.cluster.local\ttext = "1.1.0"
example.com\tmail exchanger = 10 mail.example.com
cluster.local\tnameserver = ns.dns.cluster.local
cluster.local
\torigin = ns.dns.cluster.local
\tmail addr = hostmaster.cluster.local
\tserial = 1718000000
\trefresh = 7200
\tretry = 1800
\texpire = 86400
\tminimum = 30

`);
  });

  it("dns.md §6.2: SERVFAIL and REFUSED replies are failures too", () => {
    const out = formatNslookup({ server: SERVER, replies: [{ name: "x.example", packet: reply("x.example", "A", { rcode: "SERVFAIL" }) }] });
    expect(out.stdout).toContain("** server can't find x.example: SERVFAIL\n\n");
    expect(out.exitCode).toBe(1);
  });
});

describe("busybox ≤ 1.28 nslookup (dns.md §6.2)", () => {
  it("dns.md §6.2: the libc sample with reverse names byte for byte", () => {
    const out = formatNslookup({
      style: "busybox-libc",
      name: "kubernetes.default",
      server: { address: "10.96.0.10", reverseName: "kube-dns.kube-system.svc.cluster.local" },
      addresses: [{ address: "10.96.0.1", reverseName: "kubernetes.default.svc.cluster.local" }],
    });
    expect(out.stdout).toBe(`Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      kubernetes.default
Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local
`);
    expect(out.exitCode).toBe(0);
  });

  it("dns.md §6.2: a failed lookup prints the server, then `nslookup: can't resolve` on stderr, exit 1", () => {
    const out = formatNslookup({ style: "busybox-libc", name: "kubernetes.default", server: { address: "10.0.0.10" } });
    expect(out).toEqual({ stdout: "Server:    10.0.0.10\nAddress 1: 10.0.0.10\n\n", stderr: "nslookup: can't resolve 'kubernetes.default'\n", exitCode: 1 });
  });
});

describe("BIND nslookup (dns.md §6.2)", () => {
  const server = { address: "10.96.0.10" };
  const replyEvent = (packet: Packet): BindNslookupEvent => ({ kind: "reply", server, packet });

  it("dns.md §6.2: Server/Address with `#53`, then Name/Address for the A and AAAA lookups, and main's last empty line", () => {
    const name = "kubernetes.default.svc.cluster.local";
    const v6: Answer = { type: "AAAA", name, ttl: 30, class: "IN", data: "fd00::1" };
    const out = formatNslookup({ style: "bind", name, events: [replyEvent(auth(name, "A", [a(name, "10.96.0.1")])), replyEvent(auth(name, "AAAA", [v6]))] });
    expect(out.stdout).toBe(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\t${name}\nAddress: 10.96.0.1\nName:\t${name}\nAddress: fd00::1\n\n`);
    expect(out.exitCode).toBe(0);
  });

  it("dns.md §6.2: NXDOMAIN: `** server can't find nosuch.example.com: NXDOMAIN`, exit 1", () => {
    const out = formatNslookup({ style: "bind", name: "nosuch.example.com", events: [replyEvent(reply("nosuch.example.com", "A", { rcode: "NXDOMAIN", recursionAvailable: true }))] });
    expect(out.stdout).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nosuch.example.com: NXDOMAIN\n\n");
    expect(out.exitCode).toBe(1);
  });

  it("dns.md §6.2: timeouts: `;; communications error to X#53: timed out` ×3 then `;; no servers could be reached`, exit 1", () => {
    const timeout: BindNslookupEvent = { kind: "timeout", server };
    const out = formatNslookup({ style: "bind", name: "web", events: [timeout, timeout, timeout] });
    expect(out.stdout).toBe(";; communications error to 10.96.0.10#53: timed out\n".repeat(3) + ";; no servers could be reached\n\n\n");
    expect(out.exitCode).toBe(1);
  });

  it("dns.md §6.2: a forwarded CNAME answer is non-authoritative, and the AAAA lookup follows the chain", () => {
    const svc = "ext.default.svc.cluster.local";
    const cname: Answer = { type: "CNAME", name: svc, ttl: 30, class: "IN", data: "api.github.com" };
    const aReply = reply(svc, "A", { recursionAvailable: true, answers: [cname, a("api.github.com", "20.207.73.85")] });
    const out = formatNslookup({ style: "bind", name: "ext", events: [replyEvent(aReply), replyEvent(reply("api.github.com", "AAAA", { recursionAvailable: true }))] });
    expect(out.stdout).toBe(
      `Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nNon-authoritative answer:\n${svc}\tcanonical name = api.github.com.\nName:\tapi.github.com\nAddress: 20.207.73.85\n\n`,
    );
  });

  it("dns.md §6.2: nothing found for A or AAAA: `*** Can't find NAME: No answer` once", () => {
    const name = "headless.default.svc.cluster.local";
    const out = formatNslookup({ style: "bind", name, events: [replyEvent(auth(name, "A")), replyEvent(auth(name, "AAAA"))] });
    expect(out.stdout).toBe(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n*** Can't find ${name}: No answer\n\n`);
  });

  it("dns.md §6.2: a reverse lookup prints no server lines; -type=SRV prints them and the authority note when AA is clear", () => {
    const ptr: Answer = { type: "PTR", name: "1.0.96.10.in-addr.arpa", ttl: 30, class: "IN", data: "kubernetes.default.svc.cluster.local" };
    const rev = formatNslookup({ style: "bind", name: "1.0.96.10.in-addr.arpa", events: [replyEvent(auth(ptr.name, "PTR", [ptr]))] });
    expect(rev.stdout).toBe("1.0.96.10.in-addr.arpa\tname = kubernetes.default.svc.cluster.local.\n\n");
    const srv: Answer = { type: "SRV", name: "_http._tcp.example.com", ttl: 30, class: "IN", data: { priority: 1, weight: 2, port: 80, target: "www.example.com" } };
    const fwd = reply(srv.name, "SRV", { recursionAvailable: true, answers: [srv] });
    const out = formatNslookup({ style: "bind", name: srv.name, type: "SRV", events: [{ kind: "reply", server: { ...server, name: "kube-dns" }, packet: fwd }] });
    expect(out.stdout).toBe(`Server:\t\tkube-dns\nAddress:\t10.96.0.10#53\n\nNon-authoritative answer:\n${srv.name}\tservice = 1 2 80 www.example.com.\n\nAuthoritative answers can be found from:\n\n`);
  });
});
