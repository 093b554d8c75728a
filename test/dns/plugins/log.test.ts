import { describe, expect, it } from "vitest";
import { Sim, address } from "../../../src/index.js";
import { CorefileError, type Directive } from "../../../src/dns/corefile.js";
import { canonical, makeQuery, makeReply, type Answer } from "../../../src/dns/message.js";
import type { DnsRequest, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { classify, formatSeconds, log, parseFormat } from "../../../src/dns/plugins/log.js";
import { returnedError } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, serve, setup, type FakeServer } from "./harness.js";

function bench(args: string[] = [], block: Directive[] | null = null) {
  const sim = new Sim({ seed: 1 });
  const server = fakeServer(sim);
  const plugin = setup(log, server, directive("log", args, block))!;
  return { sim, server, plugin };
}

const SOA: Answer = {
  type: "SOA",
  name: "cluster.local",
  ttl: 5,
  class: "IN",
  data: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
};

/** A next plugin that answers after `after` µs of simulated time. */
function answering(parts: Parameters<typeof makeReply>[1], after = 0): NextHandler {
  return (r, w) => r.server.sim.after(after, () => w.write(makeReply(r.query, parts)));
}

/** The query of dns.md §3.4's example line, as dig sends it (EDNS 1232, no cookie). */
function ptrRequest(server: FakeServer): DnsRequest {
  const query = makeQuery("85.13.102.10.in-addr.arpa", "PTR", { id: 36583, ednsUdpSize: 1232 });
  const qname = "85.13.102.10.in-addr.arpa";
  return { query, qname, name: canonical(qname), qtype: "PTR", client: address("10.244.0.79", 35291), transport: "udp", zone: ".", server };
}

const ptrAnswer: Answer = { type: "PTR", name: "85.13.102.10.in-addr.arpa", ttl: 5, class: "IN", data: "web.default.svc.cluster.local" };

describe("log default format (dns.md §3.4)", () => {
  it("§3.4 the line for a PTR query, field by field as CoreDNS prints it", () => {
    const { sim, server, plugin } = bench();
    serve(plugin, ptrRequest(server), answering({ authoritative: true, answers: [ptrAnswer] }, 197), sim);
    // size: 12 header + 27 name + 4 + 11 OPT = 54. rsize: 54 + answer (27 name + 10 + 31 target) = 122.
    expect(server.logs).toEqual(['[INFO] 10.244.0.79:35291 - 36583 "PTR IN 85.13.102.10.in-addr.arpa. udp 54 false 1232" NOERROR qr,aa,rd 122 0.000197s']);
  });

  it("§3.4 the name is lower-cased, without EDNS bufsize is 512, over TCP 65535, IPv6 clients in brackets", () => {
    const { sim, server, plugin } = bench();
    serve(plugin, request(server, "Web.Default.svc.cluster.local", "A"), answering({ rcode: "NXDOMAIN", authoritative: true, authorities: [SOA] }), sim);
    expect(server.logs[0]).toMatch(/^\[INFO\] 10\.10\.1\.5:40000 - \d+ "A IN web\.default\.svc\.cluster\.local\. udp \d+ false 512" NXDOMAIN qr,aa,rd \d+ 0s$/);
    const tcp = { ...request(server, "example.org", "AAAA", ".", address("fd00::7", 51000)), transport: "tcp" as const };
    serve(plugin, tcp, answering({}), sim);
    expect(server.logs[1]).toMatch(/^\[INFO\] \[fd00::7\]:51000 - \d+ "AAAA IN example\.org\. tcp \d+ false 65535" NOERROR qr,rd \d+ 0s$/);
  });

  it("the DO bit and response flags ra, ad, cd, tc are shown", () => {
    const { sim, server, plugin } = bench();
    const query = makeQuery("example.org", "A", { id: 1, ednsUdpSize: 4096, dnssecOk: true });
    const req: DnsRequest = { query, qname: "example.org", name: "example.org.", qtype: "A", client: address("10.0.0.1", 1), transport: "udp", zone: ".", server };
    serve(plugin, req, (r, w) => w.write({ ...makeReply(r.query, { recursionAvailable: true }), flags: 0x8000 | 0x0100 | 0x0080 | 0x0200 | 0x0020 | 0x0010 }), sim);
    expect(server.logs[0]).toMatch(/"A IN example\.org\. udp \d+ true 4096" NOERROR qr,tc,rd,ra,ad,cd \d+ 0s$/);
  });

  it("duration prints as Go's FormatFloat(seconds, 'f', -1): shortest decimal", () => {
    expect(formatSeconds(0)).toBe("0");
    expect(formatSeconds(1)).toBe("0.000001");
    expect(formatSeconds(196)).toBe("0.000196");
    expect(formatSeconds(1_500_000)).toBe("1.5");
    expect(formatSeconds(2_000_000)).toBe("2");
    expect(formatSeconds(61_000_123)).toBe("61.000123");
  });

  it("{common} and {combined} formats; a custom format; unknown placeholders kept; metadata as -", () => {
    const { sim, server, plugin } = bench([".", "{combined}"]);
    serve(plugin, ptrRequest(server), answering({ answers: [ptrAnswer] }), sim);
    expect(server.logs[0]).toMatch(/ 0s "0"$/);
    const custom = bench([".", "{proto} Request: {name} {type} {>id} {nope} {/meta/label} }"]);
    serve(custom.plugin, ptrRequest(custom.server), answering({}), custom.sim);
    expect(custom.server.logs).toEqual(["[INFO] udp Request: 85.13.102.10.in-addr.arpa. PTR 36583 {nope} - }"]);
  });

  it("parseFormat backs up from each } to the nearest {, as replacer.go", () => {
    expect(parseFormat("A { {type} }")).toEqual([
      { kind: "literal", text: "A { " },
      { kind: "label", label: "{type}" },
      { kind: "literal", text: " }" },
    ]);
  });
});

describe("log names and classes", () => {
  it("NAMES: only queries at or below them are logged", () => {
    const { sim, server, plugin } = bench(["example.org"]);
    serve(plugin, request(server, "www.example.org"), answering({}), sim);
    serve(plugin, request(server, "www.example.net"), answering({}), sim);
    expect(server.logs).toHaveLength(1);
    expect(server.logs[0]).toContain("www.example.org.");
  });

  it("one argument is a name, even {combined} (CoreDNS quirk): nothing else is logged", () => {
    const { sim, server, plugin } = bench(["{combined}"]);
    serve(plugin, request(server, "example.org"), answering({}), sim);
    expect(server.logs).toEqual([]);
  });

  it("class denial logs NXDOMAIN and NODATA (with SOA), not answers or errors", () => {
    const { sim, server, plugin } = bench(["."], [directive("class", ["denial"], null, 2)]);
    serve(plugin, request(server, "a.cluster.local"), answering({ rcode: "NXDOMAIN", authorities: [SOA] }), sim);
    serve(plugin, request(server, "b.cluster.local"), answering({ authorities: [SOA] }), sim);
    serve(plugin, request(server, "c.cluster.local"), answering({ answers: [{ type: "A", name: "c.cluster.local", ttl: 5, class: "IN", data: "10.0.0.1" }] }), sim);
    serve(plugin, request(server, "d.cluster.local"), answering({ rcode: "SERVFAIL" }), sim);
    expect(server.logs.map((l) => /"A IN (\S+)/.exec(l)![1])).toEqual(["a.cluster.local.", "b.cluster.local."]);
  });

  it("class error logs SERVFAIL, REFUSED and an NXDOMAIN without SOA; several class lines add up", () => {
    const { sim, server, plugin } = bench(["."], [directive("class", ["error"], null, 2), directive("class", ["success"], null, 3)]);
    serve(plugin, request(server, "a.example"), answering({ rcode: "NXDOMAIN" }), sim);
    serve(plugin, request(server, "b.example"), answering({ rcode: "REFUSED" }), sim);
    serve(plugin, request(server, "c.example"), answering({ rcode: "NXDOMAIN", authorities: [SOA] }), sim);
    serve(plugin, request(server, "d.example"), answering({}), sim);
    expect(server.logs.map((l) => /"A IN (\S+)/.exec(l)![1])).toEqual(["a.example.", "b.example.", "d.example."]);
    expect(classify(makeReply(makeQuery("x", "AXFR", { id: 1 }), {}))).toBe("error");
  });

  it("minDuration logs slow replies whatever their class", () => {
    const { sim, server, plugin } = bench(["."], [directive("class", ["error"], null, 2), directive("minDuration", ["50ms"], null, 3)]);
    serve(plugin, request(server, "fast.example"), answering({}, 10_000), sim);
    serve(plugin, request(server, "slow.example"), answering({}, 60_000), sim);
    expect(server.logs).toHaveLength(1);
    expect(server.logs[0]).toMatch(/slow\.example\. .* 0\.06s$/);
  });

  it("several log directives are one plugin: the first rule whose name matches decides", () => {
    const sim = new Sim({ seed: 1 });
    const server = fakeServer(sim);
    const d1 = directive("log", ["example.org", "{name} first"], null, 1);
    const d2 = directive("log", [".", "{name} second"], null, 2);
    expect(setup(log, server, d2, { serverDirectives: [d1, d2] })).toBeNull();
    const plugin = setup(log, server, d1, { serverDirectives: [d1, d2] }) as Plugin;
    serve(plugin, request(server, "www.example.org"), answering({}), sim);
    serve(plugin, request(server, "www.example.net"), answering({}), sim);
    expect(server.logs).toEqual(["[INFO] www.example.org. first", "[INFO] www.example.net. second"]);
  });

  it("the reply passes through unchanged", () => {
    const { sim, server, plugin } = bench();
    const out = serve(plugin, ptrRequest(server), answering({ answers: [ptrAnswer] }), sim);
    expect(out).toHaveLength(1);
    expect(out[0]!.answers).toEqual([ptrAnswer]);
  });
});

describe("log arguments (CorefileError with line and column)", () => {
  const cases: [string, Directive, RegExp][] = [
    ["class without values", directive("class", [], null, 3), /class needs at least one/],
    ["unknown class", directive("class", ["failure"], null, 3), /invalid class "failure"/],
    ["unknown property", directive("classes", ["all"], null, 3), /unknown property "classes"/],
    ["minDuration twice", directive("minDuration", ["1s", "2s"], null, 3), /at most one duration/],
    ["minDuration not a duration", directive("minDuration", ["soon"], null, 3), /Illegal duration found: 'soon'/],
  ];
  for (const [what, option, message] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        bench(["."], [option]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorefileError);
      expect((error as CorefileError).message).toMatch(message);
      expect([(error as CorefileError).line, (error as CorefileError).column]).toEqual([3, 5]);
    });
  }
});

describe("log and errors the server writes", () => {
  it("a plugin's returned error (forward giving up) logs as NOERROR - 0, as CoreDNS's recorder saw nothing", () => {
    const { sim, server, plugin } = bench(["."], [directive("class", ["error"], null, 2)]);
    const out = serve(plugin, ptrRequest(server), (r, w) => w.write(returnedError(r.query, "SERVFAIL", "read udp 10.0.0.1:1->8.8.8.8:53: i/o timeout")), sim);
    expect(server.logs).toEqual(['[INFO] 10.244.0.79:35291 - 36583 "PTR IN 85.13.102.10.in-addr.arpa. udp 54 false 1232" NOERROR - 0 0s']);
    expect(out[0]!.flags! & 0xf).toBe(2);
  });
});
