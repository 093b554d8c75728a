import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Sim } from "../../../src/index.js";
import { CorefileError, type Directive } from "../../../src/dns/corefile.js";
import { makeReply, rcodeOf, type Answer, type Packet } from "../../../src/dns/message.js";
import type { DnsRequest, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { rewrite } from "../../../src/dns/plugins/rewrite.js";
import { returnedError, returnedErrorOf } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, serve, setup } from "./harness.js";

const sim = new Sim({ seed: 1 });
const server = fakeServer(sim);

/** The plugin for one `rewrite ARGS` line (or several, as one server block). */
function plugin(...lines: (string[] | Directive)[]): Plugin {
  const ds = lines.map((l, i) => (Array.isArray(l) ? directive("rewrite", l, null, i + 1) : l));
  const p = setup(rewrite, server, ds[0]!, { serverDirectives: ds });
  expect(p).not.toBeNull();
  return p!;
}

/** A backend that records what it was asked and answers with `answers(request)`. */
function backend(answers: (r: DnsRequest) => Partial<Parameters<typeof makeReply>[1]>) {
  const seen: DnsRequest[] = [];
  const next: NextHandler = (r, w) => {
    seen.push(r);
    w.write(makeReply(r.query, { authoritative: true, ...answers(r) }));
  };
  return { seen, next };
}

const a = (name: string, ip: string, ttl = 5): Answer => ({ type: "A", name, ttl, class: "IN", data: ip });

function run(p: Plugin, name: string, next: NextHandler, qtype: DnsRequest["qtype"] = "A"): Packet {
  const out = serve(p, request(server, name, qtype), next, sim);
  expect(out).toHaveLength(1);
  return out[0]!;
}

function errorOf(fn: () => unknown): CorefileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CorefileError);
    return e as CorefileError;
  }
  throw new Error("expected a CorefileError");
}

describe("rewrite name suffix with answer auto (dns.md §4.4)", () => {
  it("§4.4 clusterset.local → cluster.local: the chain sees cluster.local, the client its own name back", () => {
    const p = plugin(["name", "suffix", ".clusterset.local.", ".cluster.local.", "answer", "auto"]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.96.0.10")] }));
    const reply = run(p, "web.default.svc.clusterset.local", b.next);
    expect(b.seen[0]!.name).toBe("web.default.svc.cluster.local.");
    expect(b.seen[0]!.qname).toBe("web.default.svc.cluster.local");
    expect(reply.questions![0]!.name).toBe("web.default.svc.clusterset.local");
    expect(reply.answers).toEqual([a("web.default.svc.clusterset.local", "10.96.0.10")]);
  });

  it("§4.4 arguments without trailing dots are made fully qualified", () => {
    const p = plugin(["name", "suffix", ".clusterset.local", ".cluster.local", "answer", "auto"]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.96.0.10")] }));
    const reply = run(p, "web.default.svc.clusterset.local", b.next);
    expect(b.seen[0]!.name).toBe("web.default.svc.cluster.local.");
    expect(reply.answers![0]!.name).toBe("web.default.svc.clusterset.local");
  });

  it("§4.4 suffix is a plain string suffix: without the leading dot it matches inside a label", () => {
    const p = plugin(["name", "suffix", "set.local", ".local"]);
    const b = backend(() => ({}));
    run(p, "web.default.svc.clusterset.local", b.next);
    expect(b.seen[0]!.name).toBe("web.default.svc.cluster.local.");
  });

  it("§4.2 federation: SRV targets, owners and additional records map back to us-east.example.com", () => {
    const p = plugin(["name", "suffix", ".svc.us-east.example.com.", ".svc.cluster.local.", "answer", "auto"]);
    const b = backend((r) => ({
      answers: [{ type: "SRV", name: r.qname, ttl: 5, class: "IN", data: { priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" } }],
      additionals: [a("web.default.svc.cluster.local", "10.96.0.10")],
    }));
    const reply = run(p, "_http._tcp.web.default.svc.us-east.example.com", b.next, "SRV");
    expect(b.seen[0]!.name).toBe("_http._tcp.web.default.svc.cluster.local.");
    expect(reply.questions![0]!.name).toBe("_http._tcp.web.default.svc.us-east.example.com");
    expect(reply.answers![0]).toMatchObject({ name: "_http._tcp.web.default.svc.us-east.example.com", data: { target: "web.default.svc.us-east.example.com" } });
    expect(reply.additionals![0]).toMatchObject({ name: "web.default.svc.us-east.example.com", data: "10.96.0.10" });
  });

  it("§4.2 CNAME and PTR targets are mapped back too; names outside the suffix are left alone", () => {
    const p = plugin(["name", "suffix", ".svc.us-east.example.com.", ".svc.cluster.local.", "answer", "auto"]);
    const b = backend((r) => ({
      answers: [
        { type: "CNAME", name: r.qname, ttl: 5, class: "IN", data: "db.prod.svc.cluster.local" },
        { type: "PTR", name: "1.0.96.10.in-addr.arpa", ttl: 5, class: "IN", data: "db.prod.svc.cluster.local" },
        a("elsewhere.example.org", "192.0.2.1"),
      ],
    }));
    const reply = run(p, "alias.prod.svc.us-east.example.com", b.next);
    expect(reply.answers).toEqual([
      { type: "CNAME", name: "alias.prod.svc.us-east.example.com", ttl: 5, class: "IN", data: "db.prod.svc.us-east.example.com" },
      { type: "PTR", name: "1.0.96.10.in-addr.arpa", ttl: 5, class: "IN", data: "db.prod.svc.us-east.example.com" },
      a("elsewhere.example.org", "192.0.2.1"),
    ]);
  });

  it("§4.4 without answer auto the owner names stay rewritten (stop still restores the question)", () => {
    const p = plugin(["name", "suffix", ".clusterset.local.", ".cluster.local."]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.96.0.10")] }));
    const reply = run(p, "web.default.svc.clusterset.local", b.next);
    expect(reply.questions![0]!.name).toBe("web.default.svc.clusterset.local");
    expect(reply.answers![0]!.name).toBe("web.default.svc.cluster.local");
  });

  it("§4.4 property: with answer auto the client always sees its own question, and owners under it", () => {
    const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?$/);
    const p = plugin(["name", "suffix", ".clusterset.local.", ".cluster.local.", "answer", "auto"]);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom("clusterset.local", "ClusterSet.LOCAL"), (labels, suffix) => {
        const asked = `${labels.join(".")}.${suffix}`;
        const b = backend((r) => ({ answers: [a(r.qname, "10.0.0.1"), { type: "CNAME", name: r.qname, ttl: 5, class: "IN", data: r.qname }] }));
        const reply = run(p, asked, b.next);
        expect(reply.questions![0]!.name).toBe(asked);
        expect(b.seen[0]!.name).toBe(`${labels.join(".").toLowerCase()}.cluster.local.`);
        for (const rr of reply.answers!) expect(rr.name).toBe(`${labels.join(".").toLowerCase()}.clusterset.local`);
        expect((reply.answers![1] as { data: string }).data).toBe(`${labels.join(".").toLowerCase()}.clusterset.local`);
      }),
      { numRuns: 200 },
    );
  });
});

describe("rewrite name exact, prefix, substring, regex (dns.md §4.4)", () => {
  it("§4.4 exact (the default match) is always reverted in answers, including names below it", () => {
    const p = plugin(["name", "a.example.org", "b.example.net"]);
    const b = backend((r) => ({ answers: [{ type: "CNAME", name: r.qname, ttl: 5, class: "IN", data: "www.b.example.net" }, a("www.b.example.net", "192.0.2.7")] }));
    const reply = run(p, "A.Example.org", b.next);
    expect(b.seen[0]!.name).toBe("b.example.net.");
    expect(reply.questions![0]!.name).toBe("A.Example.org");
    expect(reply.answers).toEqual([
      { type: "CNAME", name: "a.example.org", ttl: 5, class: "IN", data: "www.a.example.org" },
      a("www.a.example.org", "192.0.2.7"),
    ]);
  });

  it("§4.4 exact does not match a name below FROM", () => {
    const p = plugin(["name", "exact", "a.example.org", "b.example.net"]);
    const b = backend(() => ({}));
    run(p, "x.a.example.org", b.next);
    expect(b.seen[0]!.name).toBe("x.a.example.org.");
  });

  it("§4.4 README regex example: (.*)-(us-west-1)\\.example\\.org → {1}.service.{2}.consul", () => {
    const p = plugin(["name", "regex", "(.*)-(us-west-1)\\.example\\.org", "{1}.service.{2}.consul"]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.10.10.10")] }));
    const reply = run(p, "ftp-us-west-1.example.org", b.next);
    expect(b.seen[0]!.name).toBe("ftp.service.us-west-1.consul.");
    // No answer rule: the README's "mismatch".
    expect(reply.answers![0]!.name).toBe("ftp.service.us-west-1.consul");
  });

  it("§4.4 regex with answer name maps owners back with groups; answer auto maps the rewritten name back", () => {
    const named = plugin(["stop", "name", "regex", "(.*)-(us-west-1)\\.example\\.org", "{1}.service.{2}.consul", "answer", "name", "(.*)\\.service\\.(us-west-1)\\.consul", "{1}-{2}.example.org"]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.10.10.10"), a(r.qname, "10.20.20.20")] }));
    const reply = run(named, "ftp-us-west-1.example.org", b.next);
    expect(reply.answers!.map((x) => x.name)).toEqual(["ftp-us-west-1.example.org", "ftp-us-west-1.example.org"]);
    const auto = plugin(["name", "regex", "(.*)-(us-west-1)\\.example\\.org", "{1}.service.{2}.consul", "answer", "auto"]);
    expect(run(auto, "ftp-us-west-1.example.org", b.next).answers![0]!.name).toBe("ftp-us-west-1.example.org");
  });

  it("§4.4 the block form reads the block's words as the rule (README 'Response Rewrites')", () => {
    const block = [
      directive("name", ["regex", "(.*)-(us-west-1)\\.coredns\\.rocks", "{1}.service.{2}.consul"], null, 2),
      directive("answer", ["name", "(.*)\\.service\\.(us-west-1)\\.consul", "{1}-{2}.coredns.rocks"], null, 3),
    ];
    const p = plugin(directive("rewrite", ["stop"], block));
    const b = backend((r) => ({ answers: [a(r.qname, "10.10.10.10")] }));
    const reply = run(p, "ftp-us-west-1.coredns.rocks", b.next);
    expect(b.seen[0]!.name).toBe("ftp.service.us-west-1.consul.");
    expect(reply.answers![0]!.name).toBe("ftp-us-west-1.coredns.rocks");
  });

  it("§4.4 prefix and substring arguments are normalized with a trailing dot, as CoreDNS does", () => {
    const prefix = plugin(["name", "prefix", "foo", "bar"]);
    const b = backend(() => ({}));
    run(prefix, "foo.example.org", b.next);
    expect(b.seen[0]!.name).toBe("bar.example.org.");
    run(prefix, "food.example.org", b.next);
    expect(b.seen[1]!.name).toBe("food.example.org.");
    const substring = plugin(["name", "substring", "service.us-west-1.example.org", "service.us-west-1.consul"]);
    run(substring, "ftp.service.us-west-1.example.org", b.next);
    expect(b.seen[2]!.name).toBe("ftp.service.us-west-1.consul.");
  });

  it("§4.4 answer value rewrites targets by regex", () => {
    const p = plugin(["name", "exact", "mail.example.org", "mx.internal", "answer", "value", "(.*)\\.internal\\.", "{1}.example.org"]);
    const b = backend((r) => ({ answers: [{ type: "MX", name: r.qname, ttl: 5, class: "IN", data: { preference: 10, exchange: "smtp.internal" } }] }));
    const reply = run(p, "mail.example.org", b.next, "MX");
    expect(reply.answers![0]).toMatchObject({ name: "mail.example.org", data: { exchange: "smtp.example.org" } });
  });

  it("a rewritten name that is not a domain name is a SERVFAIL and reaches no plugin", () => {
    const p = plugin(["name", "regex", "(.*)\\.long\\.example\\.", "{1}{1}.long.example."]);
    const b = backend(() => ({}));
    const reply = run(p, `${"x".repeat(40)}.long.example`, b.next);
    expect(rcodeOf(reply)).toBe("SERVFAIL");
    expect(reply.questions![0]!.name).toBe(`${"x".repeat(40)}.long.example`);
    expect(b.seen).toHaveLength(0);
  });
});

describe("rewrite rule lists: continue, stop, reverse-order answers (dns.md §4.4)", () => {
  it("§4.4 several rewrite directives form one list in file order; later directives set up nothing", () => {
    const d1 = directive("rewrite", ["continue", "name", "suffix", ".a.example.", ".b.example."], null, 1);
    const d2 = directive("rewrite", ["name", "suffix", ".b.example.", ".c.example."], null, 2);
    expect(setup(rewrite, server, d2, { serverDirectives: [d1, d2] })).toBeNull();
    const p = setup(rewrite, server, d1, { serverDirectives: [d1, d2] })!;
    const b = backend(() => ({}));
    run(p, "x.a.example", b.next);
    expect(b.seen[0]!.name).toBe("x.c.example.");
  });

  it("§4.4 a matching stop rule ends the list; continue goes on (default action is stop)", () => {
    const stop = plugin(["name", "suffix", ".a.example.", ".b.example."], ["name", "suffix", ".b.example.", ".c.example."]);
    const b = backend(() => ({}));
    run(stop, "x.a.example", b.next);
    expect(b.seen[0]!.name).toBe("x.b.example.");
    // A rule that does not match does not stop the list.
    run(stop, "x.b.example", b.next);
    expect(b.seen[1]!.name).toBe("x.c.example.");
  });

  it("§4.4 answer rewrites run in reverse rule order", () => {
    const p = plugin(["continue", "name", "suffix", ".one.", ".two.", "answer", "auto"], ["name", "suffix", ".two.", ".three.", "answer", "auto"]);
    const b = backend((r) => ({ answers: [a(r.qname, "192.0.2.1")] }));
    const reply = run(p, "x.one", b.next);
    expect(b.seen[0]!.name).toBe("x.three.");
    // In file order the first rule (two → one) would not match x.three. and the result would be x.two.
    expect(reply.answers![0]!.name).toBe("x.one");
  });

  it("§4.4 CoreDNS quirk: continue rules without answer rules leave the rewritten question in the reply", () => {
    const p = plugin(["continue", "name", "suffix", ".clusterset.local.", ".cluster.local."]);
    const b = backend((r) => ({ answers: [a(r.qname, "10.96.0.10")] }));
    const reply = run(p, "web.default.svc.clusterset.local", b.next);
    expect(reply.questions![0]!.name).toBe("web.default.svc.cluster.local");
  });
});

describe("rewrite type, class, ttl, rcode", () => {
  it("type ANY HINFO rewrites the question type and restores it in the reply", () => {
    const p = plugin(["type", "ANY", "HINFO"]);
    const b = backend(() => ({}));
    const reply = serve(p, request(server, "example.org", "ANY" as DnsRequest["qtype"]), b.next, sim)[0]!;
    expect(b.seen[0]!.qtype).toBe("HINFO");
    expect(reply.questions![0]!.type).toBe("ANY");
  });

  it("class IN CH rewrites the question class", () => {
    const p = plugin(["class", "IN", "CH"]);
    const b = backend(() => ({}));
    const reply = run(p, "version.bind", b.next, "TXT");
    expect(b.seen[0]!.query.questions![0]!.class).toBe("CH");
    expect(reply.questions![0]!.class).toBe("IN");
  });

  it("ttl sets the TTL of every record for matching names", () => {
    const p = plugin(["ttl", "regex", "(.*)\\.coredns\\.rocks", "15"]);
    const b = backend((r) => ({ answers: [a(r.qname, "192.0.2.1", 0)], authorities: [a("ns.coredns.rocks", "192.0.2.53", 300)] }));
    const reply = run(p, "www.coredns.rocks", b.next);
    expect(reply.answers![0]).toMatchObject({ ttl: 15 });
    expect(reply.authorities![0]).toMatchObject({ ttl: 15 });
    expect(run(p, "www.example.org", b.next).answers![0]).toMatchObject({ ttl: 0 });
  });

  it("rcode turns a matching reply's rcode into another, when the reply has records", () => {
    const p = plugin(["rcode", "suffix", ".blocked.example.", "NXDOMAIN", "REFUSED"]);
    const soa: Answer = { type: "SOA", name: "blocked.example", ttl: 5, class: "IN", data: { mname: "ns", rname: "h", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } };
    const b = backend(() => ({ rcode: "NXDOMAIN", authorities: [soa] }));
    expect(rcodeOf(run(p, "x.blocked.example", b.next))).toBe("REFUSED");
    const bare = backend(() => ({ rcode: "NXDOMAIN" }));
    expect(rcodeOf(run(p, "x.blocked.example", bare.next))).toBe("NXDOMAIN");
  });
});

describe("rewrite arguments (CorefileError with line and column)", () => {
  const cases: [string, string[], RegExp][] = [
    ["no rule", [], /no rule type specified/],
    ["continue alone", ["continue"], /continue rule must begin with a rule type/],
    ["answer first", ["answer", "name", "a", "b"], /response rewrites must begin with a name rule/],
    ["unknown field", ["frobnicate", "a", "b"], /invalid rule type "frobnicate"/],
    ["name too short", ["name", "a"], /too few arguments for a name rule/],
    ["bad match type", ["name", "fuzzy", "a", "b"], /supports only exact, prefix, suffix, substring, and regex/],
    ["too many groups", ["name", "regex", "(.*)\\.a", "{1}.{2}.b"], /uses more subexpressions/],
    ["bad regex", ["name", "regex", "(.*", "b"], /invalid regex matching pattern/],
    ["auto with name", ["name", "regex", "(.*)\\.a", "{1}.b", "answer", "auto", "answer", "name", "(.*)", "{1}"], /cannot be combined/],
    ["answer type", ["name", "suffix", ".a.", ".b.", "answer", "sideways"], /invalid type "sideways" for answer rule/],
    ["answer name args", ["name", "suffix", ".a.", ".b.", "answer", "name", "x"], /2 arguments required/],
    ["trailing word", ["name", "suffix", ".a.", ".b.", "please"], /invalid arguments for suffix rule/],
    ["type args", ["type", "A"], /type rules must have exactly two arguments/],
    ["bad type", ["type", "A", "BOGUS"], /invalid type "BOGUS"/],
    ["bad class", ["class", "IN", "XX"], /invalid class "XX"/],
    ["bad ttl", ["ttl", "example.org", "-5"], /invalid TTL '-5'/],
    ["bad rcode", ["rcode", "example.org", "NXDOMAIN", "MAYBE"], /invalid replacement RCODE 'MAYBE'/],
    ["edns0", ["edns0", "local", "set", "0xffee", "abcd"], /edns0 rules are not supported by mcsim/],
    ["cname", ["cname", "exact", "a", "b"], /cname rules are not supported by mcsim/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: ${args.join(" ") || "(nothing)"}`, () => {
      const e = errorOf(() => setup(rewrite, server, directive("rewrite", args, null, 7)));
      expect(e.message).toMatch(message);
      expect([e.file, e.line, e.column]).toEqual(["Corefile", 7, 5]);
    });
  }

  it("an error in a later rewrite directive is reported at that directive", () => {
    const d1 = directive("rewrite", ["name", "a.", "b."], null, 2);
    const d2 = directive("rewrite", ["name", "fuzzy", "a", "b"], null, 9);
    const e = errorOf(() => setup(rewrite, server, d1, { serverDirectives: [d1, d2] }));
    expect(e.line).toBe(9);
  });

  it("a rule on the directive's line takes no block", () => {
    const e = errorOf(() => setup(rewrite, server, directive("rewrite", ["name", "a.", "b."], [directive("answer", ["auto"], null, 4)], 3)));
    expect(e.line).toBe(4);
  });
});

describe("rewrite and errors", () => {
  it("an invalid rewritten name is a returned SERVFAIL with CoreDNS's error, logged as errors prints it", () => {
    const s = fakeServer(new Sim({ seed: 1 }));
    const p = setup(rewrite, s, directive("rewrite", ["name", "regex", "(.*)\\.long\\.example\\.", "{1}{1}.long.example."]))!;
    const x = "x".repeat(40);
    const reply = serve(p, request(s, `${x}.long.example`), () => undefined, s.sim)[0]!;
    expect(returnedErrorOf(reply)).toBe(`invalid name after rewrite: ${x}${x}.long.example.`);
    expect(s.logs).toEqual([`[ERROR] plugin/errors: 2 ${x}.long.example. A: invalid name after rewrite: ${x}${x}.long.example.`]);
  });

  it("a later plugin's returned error comes back for the client's question, still the server's reply", () => {
    const p = plugin(["name", "suffix", ".clusterset.local.", ".cluster.local.", "answer", "auto"]);
    const reply = run(p, "web.default.svc.clusterset.local", (r, w) => w.write(returnedError(r.query, "SERVFAIL", "no healthy proxies")));
    expect(reply.questions![0]!.name).toBe("web.default.svc.clusterset.local");
    expect(rcodeOf(reply)).toBe("SERVFAIL");
    expect(returnedErrorOf(reply)).toBe("no healthy proxies");
  });
});
