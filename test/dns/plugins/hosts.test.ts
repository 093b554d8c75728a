import { describe, expect, it } from "vitest";
import { Sim } from "../../../src/index.js";
import { CorefileError, type Directive } from "../../../src/dns/corefile.js";
import { FLAGS, hasFlag, makeReply, rcodeOf, type Packet } from "../../../src/dns/message.js";
import type { DnsRequest, NextHandler, Plugin, SetupContext } from "../../../src/dns/plugin.js";
import { hosts, parseHosts } from "../../../src/dns/plugins/hosts.js";
import { returnedErrorOf } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, serve, setup } from "./harness.js";

const sim = new Sim({ seed: 1 });
const server = fakeServer(sim);

const HOSTS = `
# The following lines are desirable for IPv4 capable hosts
127.0.0.1       localhost localhost.domain
192.168.1.10    example.com            example   # trailing comment
::1             localhost ip6-localhost ip6-loopback
fdfc:a744:27b5:3b0e::1  example.com example
::FFFF:10.0.0.2 mapped.example.org
fe80::1%eth0    linklocal.example.org
10.0.0.300      broken.example.org
010.0.0.1       octal.example.org
onlyonefield
`;

const line = (name: string, args: string[] = [], n = 2): Directive => directive(name, args, null, n);

function make(args: string[], block: Directive[] | null = null, extra: Partial<SetupContext> = {}): Plugin {
  const p = setup(hosts, server, directive("hosts", args, block), { files: { "/etc/hosts": HOSTS, "/etc/coredns/NodeHosts": "10.0.0.9 node-a.example.org" }, ...extra });
  expect(p).not.toBeNull();
  return p!;
}

/** A next plugin that answers REFUSED, so that reaching it is visible. */
const refusing = (): { seen: DnsRequest[]; next: NextHandler } => {
  const seen: DnsRequest[] = [];
  return { seen, next: (r, w) => (seen.push(r), w.write(makeReply(r.query, { rcode: "REFUSED" }))) };
};

function ask(p: Plugin, name: string, qtype: DnsRequest["qtype"] = "A") {
  const n = refusing();
  const out = serve(p, request(server, name, qtype), n.next, sim);
  expect(out).toHaveLength(1);
  return { reply: out[0]!, passed: n.seen.length > 0 };
}

const data = (p: Packet) => (p.answers ?? []).map((r) => (r as { data: unknown }).data);

describe("hosts: answers from a hosts file", () => {
  it("A records from /etc/hosts by default, TTL 3600, authoritative, owner lower-cased", () => {
    const { reply, passed } = ask(make([]), "Example.COM");
    expect(passed).toBe(false);
    expect(rcodeOf(reply)).toBe("NOERROR");
    expect(hasFlag(reply, FLAGS.AA)).toBe(true);
    expect(reply.answers).toEqual([{ type: "A", name: "example.com", ttl: 3600, class: "IN", data: "192.168.1.10" }]);
    expect(reply.questions![0]!.name).toBe("Example.COM");
  });

  it("AAAA records; aliases; an IPv4-mapped address is IPv4; zone ids are dropped", () => {
    const p = make([]);
    expect(data(ask(p, "example.com", "AAAA").reply)).toEqual(["fdfc:a744:27b5:3b0e::1"]);
    expect(data(ask(p, "example", "AAAA").reply)).toEqual(["fdfc:a744:27b5:3b0e::1"]);
    expect(data(ask(p, "ip6-loopback", "AAAA").reply)).toEqual(["::1"]);
    expect(data(ask(p, "mapped.example.org").reply)).toEqual(["10.0.0.2"]);
    expect(data(ask(p, "linklocal.example.org", "AAAA").reply)).toEqual(["fe80::1"]);
  });

  it("lines Go cannot read are skipped (bad octet, leading zero, one field)", () => {
    const map = parseHosts(HOSTS, ["."], true);
    expect(map.name4.has("broken.example.org.")).toBe(false);
    expect(map.name4.has("octal.example.org.")).toBe(false);
    expect(map.name4.has("onlyonefield.")).toBe(false);
  });

  it("a named file from the server's files, with ZONES: names outside them are not loaded, queries outside them pass on", () => {
    const p = make(["/etc/coredns/NodeHosts", "example.org"]);
    expect(data(ask(p, "node-a.example.org").reply)).toEqual(["10.0.0.9"]);
    const outside = ask(p, "example.com");
    expect(outside.passed).toBe(true);
    expect(parseHosts("10.0.0.1 a.example.org b.example.net", ["example.org."], true).name4.has("b.example.net.")).toBe(false);
  });

  it("inline lines, after the file's entries", () => {
    const p = make([], [line("192.168.1.11", ["example.com"], 2), line("10.0.0.1", ["example.org"], 3)]);
    expect(data(ask(p, "example.com").reply)).toEqual(["192.168.1.10", "192.168.1.11"]);
    expect(data(ask(p, "example.org").reply)).toEqual(["10.0.0.1"]);
  });

  it("ttl sets the TTL of every record", () => {
    const p = make([], [line("ttl", ["60"])]);
    expect(ask(p, "localhost").reply.answers![0]).toMatchObject({ ttl: 60 });
    expect(ask(p, "1.0.0.127.in-addr.arpa", "PTR").reply.answers![0]).toMatchObject({ ttl: 60 });
  });
});

describe("hosts: reverse records", () => {
  it("PTR records for the addresses, one per name", () => {
    const { reply } = ask(make([]), "1.0.0.127.in-addr.arpa", "PTR");
    expect(reply.answers).toEqual([
      { type: "PTR", name: "1.0.0.127.in-addr.arpa", ttl: 3600, class: "IN", data: "localhost" },
      { type: "PTR", name: "1.0.0.127.in-addr.arpa", ttl: 3600, class: "IN", data: "localhost.domain" },
    ]);
    const v6 = ask(make([]), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.0.b.3.5.b.7.2.4.4.7.a.c.f.d.f.ip6.arpa", "PTR");
    expect(data(v6.reply)).toEqual(["example.com", "example"]);
  });

  it("PTR queries are answered outside the plugin's zones", () => {
    const p = make(["/etc/hosts", "example.com"]);
    // `example` is outside the zones, so it was never loaded.
    expect(data(ask(p, "10.1.168.192.in-addr.arpa", "PTR").reply)).toEqual(["example.com"]);
  });

  it("no_reverse: no PTR records, the query passes on", () => {
    const { passed } = ask(make([], [line("no_reverse")]), "1.0.0.127.in-addr.arpa", "PTR");
    expect(passed).toBe(true);
  });

  it("an address with no entry passes on even without fallthrough", () => {
    expect(ask(make([]), "9.9.9.9.in-addr.arpa", "PTR").passed).toBe(true);
  });
});

describe("hosts: names it has no record for", () => {
  it("a name not in the file: SERVFAIL without fallthrough (hosts.go: no SOA to send NXDOMAIN with)", () => {
    const { reply, passed } = ask(make([]), "nothere.example.net");
    expect(passed).toBe(false);
    expect(rcodeOf(reply)).toBe("SERVFAIL");
    expect(reply.answers).toEqual([]);
    expect(hasFlag(reply, FLAGS.AA)).toBe(false);
  });

  it("a name not in the file: the next plugin with fallthrough", () => {
    expect(ask(make([], [line("fallthrough")]), "nothere.example.net").passed).toBe(true);
  });

  it("fallthrough ZONES: only names in them fall through", () => {
    const p = make([], [line("fallthrough", ["example.net"])]);
    expect(ask(p, "nothere.example.net").passed).toBe(true);
    expect(rcodeOf(ask(p, "nothere.example.io").reply)).toBe("SERVFAIL");
  });

  it("the name with the other family only: NODATA (NOERROR, AA, no records, no SOA), even with fallthrough", () => {
    const p = make([], [line("fallthrough")]);
    const { reply, passed } = ask(p, "localhost.domain", "AAAA");
    expect(passed).toBe(false);
    expect(rcodeOf(reply)).toBe("NOERROR");
    expect(hasFlag(reply, FLAGS.AA)).toBe(true);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities).toEqual([]);
    expect(rcodeOf(ask(p, "mapped.example.org", "AAAA").reply)).toBe("NOERROR");
  });

  it("another type for a known name: NODATA; with fallthrough_unsupported it passes on", () => {
    expect(rcodeOf(ask(make([], [line("fallthrough")]), "example.com", "MX").reply)).toBe("NOERROR");
    const p = make([], [line("fallthrough", [], 2), line("fallthrough_unsupported", [], 3)]);
    expect(ask(p, "example.com", "MX").passed).toBe(true);
    expect(ask(p, "localhost.domain", "AAAA").passed).toBe(false);
  });
});

describe("hosts arguments (CorefileError with line and column)", () => {
  function fails(args: string[], block: Directive[] | null, message: RegExp, at: [number, number], extra: Partial<SetupContext> = {}) {
    let error: unknown;
    try {
      setup(hosts, server, directive("hosts", args, block), { files: { "/etc/hosts": HOSTS }, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorefileError);
    expect((error as CorefileError).message).toMatch(message);
    expect([(error as CorefileError).line, (error as CorefileError).column]).toEqual(at);
  }

  it("a named file that does not exist", () => fails(["/etc/missing"], null, /file does not exist: \/etc\/missing/, [1, 5]));
  it("ttl without a value", () => fails([], [line("ttl", [], 3)], /ttl needs a time in second/, [3, 5]));
  it("ttl not a number", () => fails([], [line("ttl", ["soon"], 3)], /ttl needs a number of second/, [3, 5]));
  it("ttl 0", () => fails([], [line("ttl", ["0"], 3)], /ttl provided is invalid/, [3, 5]));
  it("ttl 65536", () => fails([], [line("ttl", ["65536"], 3)], /ttl provided is invalid/, [3, 5]));
  it("reload with two values", () => fails([], [line("reload", ["1s", "extra"], 4)], /reload needs a duration/, [4, 5]));
  it("reload not a duration", () => fails([], [line("reload", ["often"], 4)], /invalid duration for reload 'often'/, [4, 5]));
  it("an inline line after fallthrough", () => fails([], [line("fallthrough", [], 2), line("10.0.0.1", ["example.org"], 3)], /unknown property '10.0.0.1'/, [3, 5]));
  it("fallthrough_unsupported without fallthrough", () => fails([], [line("fallthrough_unsupported", [], 2)], /requires fallthrough/, [2, 5]));
  it("a second hosts directive in the block", () => {
    const d1 = directive("hosts", [], null, 1);
    const d2 = directive("hosts", [], null, 6);
    fails([], null, /can only be used once per Server Block/, [6, 5], { serverDirectives: [d1, d2] });
  });

  it("the default /etc/hosts missing is CoreDNS's warning, and inline lines are still served", () => {
    const s = fakeServer(new Sim({ seed: 1 }));
    const p = setup(hosts, s, directive("hosts", [], [line("10.0.0.1", ["example.org"])]), { files: {} })!;
    expect(s.logs).toEqual(["[WARNING] plugin/hosts: File does not exist: /etc/hosts"]);
    const out = serve(p, request(s, "example.org"), refusing().next, s.sim);
    expect(data(out[0]!)).toEqual(["10.0.0.1"]);
  });

  it("accepted: reload 0, ttl with an extra word (ignored, as CoreDNS), fallthrough zones", () => {
    expect(() => make([], [line("reload", ["0"]), line("ttl", ["65535", "ignored"]), line("fallthrough", ["example.org", "10.0.0.0/8"])])).not.toThrow();
  });
});

describe("hosts and the server's error reply", () => {
  it("the SERVFAIL is the server's reply for a returned rcode with no error (cache never sees it, errors prints nothing)", () => {
    const { reply } = ask(make([]), "nothere.example.net");
    expect(returnedErrorOf(reply)).toBe("");
    expect(returnedErrorOf(ask(make([]), "example.com").reply)).toBeUndefined();
  });
});
