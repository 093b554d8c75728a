import { describe, expect, it } from "vitest";
import { Sim, address } from "../../../src/index.js";
import { ApiServer } from "../../../src/k8s/apiserver.js";
import { CorefileError, type Directive } from "../../../src/dns/corefile.js";
import { makeReply, rcodeOf, type Answer } from "../../../src/dns/message.js";
import type { NextHandler, Plugin, SetupContext } from "../../../src/dns/plugin.js";
import { autopath } from "../../../src/dns/plugins/autopath.js";
import { kubernetes } from "../../../src/dns/plugins/kubernetes/index.js";
import { returnedError, returnedErrorOf } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, serve, setup, type FakeServer } from "./harness.js";

const CLIENT = address("10.244.1.7", 41000);
const STRANGER = address("10.244.9.9", 41000);
const WATCH_DELAY = 10_000;

/** A cluster with namespace `shop` and a pod in it at 10.244.1.7. */
function world(seed = 1) {
  const sim = new Sim({ seed });
  const api = new ApiServer(sim, "c1", { watchDelay: { kind: "constant", value: WATCH_DELAY } });
  api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  api.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "client", namespace: "shop" },
    spec: { containers: [{ name: "c", image: "busybox" }] },
    status: { phase: "Running", podIP: CLIENT.ip, podIPs: [{ ip: CLIENT.ip }] },
  });
  const server = fakeServer(sim);
  return { sim, api, server };
}

function k8sDirective(pods: string): Directive {
  return directive("kubernetes", ["cluster.local", "in-addr.arpa", "ip6.arpa"], [directive("pods", [pods], null, 4)], 3);
}

function make(w: ReturnType<typeof world>, args: string[] = ["@kubernetes"], pods = "verified", extra: Partial<SetupContext> = {}): Plugin {
  const d = directive("autopath", args, null, 2);
  const p = setup(autopath, w.server, d, { api: w.api, serverDirectives: [d, k8sDirective(pods)], ...extra });
  expect(p).not.toBeNull();
  w.sim.runFor(WATCH_DELAY * 2);
  return p!;
}

const a = (name: string, ip: string, ttl = 30): Answer => ({ type: "A", name, ttl, class: "IN", data: ip });

/** A backend: names in `known` get an A record, everything else NXDOMAIN. Records every name it is asked. */
function backend(known: Record<string, string>) {
  const asked: string[] = [];
  const next: NextHandler = (r, w) => {
    asked.push(r.name);
    const ip = known[r.name];
    w.write(ip ? makeReply(r.query, { authoritative: true, answers: [a(r.qname, ip)] }) : makeReply(r.query, { rcode: "NXDOMAIN", authoritative: true }));
  };
  return { asked, next };
}

function ask(p: Plugin, server: FakeServer, sim: Sim, name: string, next: NextHandler, client = CLIENT) {
  const out = serve(p, request(server, name, "A", ".", client), next, sim);
  expect(out).toHaveLength(1);
  return out[0]!;
}

describe("autopath @kubernetes (dns.md §4.6)", () => {
  it("§4.6 one round trip: a short name of another namespace comes back as CNAME + answer", () => {
    const w = world();
    const p = make(w);
    const b = backend({ "web.default.svc.cluster.local.": "10.96.0.10" });
    // glibc in namespace shop, ndots 5, asked for `web.default`: its first query.
    const reply = ask(p, w.server, w.sim, "web.default.shop.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["web.default.shop.svc.cluster.local.", "web.default.svc.cluster.local."]);
    expect(rcodeOf(reply)).toBe("NOERROR");
    expect(reply.questions![0]!.name).toBe("web.default.shop.svc.cluster.local");
    expect(reply.answers).toEqual([
      { type: "CNAME", name: "web.default.shop.svc.cluster.local", ttl: 30, class: "IN", data: "web.default.svc.cluster.local" },
      a("web.default.svc.cluster.local", "10.96.0.10"),
    ]);
  });

  it("§4.6 an external name walks the whole path, ending with the bare name", () => {
    const w = world();
    const p = make(w);
    const b = backend({ "example.com.": "93.184.216.34" });
    const reply = ask(p, w.server, w.sim, "example.com.shop.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["example.com.shop.svc.cluster.local.", "example.com.svc.cluster.local.", "example.com.cluster.local.", "example.com."]);
    expect(reply.answers!.map((r) => r.type)).toEqual(["CNAME", "A"]);
    expect(reply.answers![0]).toMatchObject({ name: "example.com.shop.svc.cluster.local", data: "example.com" });
  });

  it("§4.6 a name in the client's own namespace is answered by the first query, without a CNAME", () => {
    const w = world();
    const p = make(w);
    const b = backend({ "db.shop.svc.cluster.local.": "10.96.0.20" });
    const reply = ask(p, w.server, w.sim, "db.shop.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["db.shop.svc.cluster.local."]);
    expect(reply.answers).toEqual([a("db.shop.svc.cluster.local", "10.96.0.20")]);
  });

  it("the server's own resolv.conf search domains come after the cluster's", () => {
    const w = world();
    const p = make(w, ["@kubernetes"], "verified", { files: { "/etc/resolv.conf": "nameserver 10.0.0.2\nsearch corp.example.\n" } });
    const b = backend({ "intranet.corp.example.": "10.1.1.1" });
    ask(p, w.server, w.sim, "intranet.shop.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["intranet.shop.svc.cluster.local.", "intranet.svc.cluster.local.", "intranet.cluster.local.", "intranet.corp.example."]);
  });

  it("when every name is NXDOMAIN the reply to the first query goes back as it was", () => {
    const w = world();
    const p = make(w);
    const b = backend({});
    const reply = ask(p, w.server, w.sim, "nothing.shop.svc.cluster.local", b.next);
    expect(b.asked).toHaveLength(4);
    expect(rcodeOf(reply)).toBe("NXDOMAIN");
    expect(reply.questions![0]!.name).toBe("nothing.shop.svc.cluster.local");
    expect(reply.answers).toEqual([]);
  });

  it("a name outside the first search domain is passed on as is", () => {
    const w = world();
    const p = make(w);
    const b = backend({ "web.default.svc.cluster.local.": "10.96.0.10" });
    ask(p, w.server, w.sim, "web.default.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["web.default.svc.cluster.local."]);
  });

  it("the first search domain itself is a SERVFAIL (CoreDNS's TrimZone overshoot)", () => {
    const w = world();
    const p = make(w);
    const b = backend({});
    expect(rcodeOf(ask(p, w.server, w.sim, "shop.svc.cluster.local", b.next))).toBe("SERVFAIL");
    expect(b.asked).toEqual([]);
  });

  it("a client that is not a known pod gets no autopath", () => {
    const w = world();
    const p = make(w);
    const b = backend({ "web.default.svc.cluster.local.": "10.96.0.10" });
    const reply = ask(p, w.server, w.sim, "web.default.shop.svc.cluster.local", b.next, STRANGER);
    expect(b.asked).toEqual(["web.default.shop.svc.cluster.local."]);
    expect(rcodeOf(reply)).toBe("NXDOMAIN");
  });

  it("§4.6 without `pods verified` there is no autopath, silently, as in CoreDNS", () => {
    const w = world();
    const p = make(w, ["@kubernetes"], "insecure");
    const b = backend({ "web.default.svc.cluster.local.": "10.96.0.10" });
    ask(p, w.server, w.sim, "web.default.shop.svc.cluster.local", b.next);
    expect(b.asked).toEqual(["web.default.shop.svc.cluster.local."]);
  });

  it("a new pod is known only after the watch delay (README 'Bugs')", () => {
    const w = world();
    const p = make(w);
    w.api.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "late", namespace: "default" },
      spec: { containers: [{ name: "c", image: "busybox" }] },
      status: { podIP: STRANGER.ip, podIPs: [{ ip: STRANGER.ip }] },
    });
    const before = backend({ "web.svc.cluster.local.": "10.96.0.30" });
    serve(p, request(w.server, "web.default.svc.cluster.local", "A", ".", STRANGER), before.next, w.sim);
    // serve() runs the clock until idle, so the watch event has arrived by now.
    expect(before.asked).toEqual(["web.default.svc.cluster.local."]);
    const after = backend({ "web.svc.cluster.local.": "10.96.0.30" });
    serve(p, request(w.server, "web.default.svc.cluster.local", "A", ".", STRANGER), after.next, w.sim);
    expect(after.asked).toEqual(["web.default.svc.cluster.local.", "web.svc.cluster.local."]);
  });

  it("with the real kubernetes plugin next in the chain", () => {
    const w = world();
    w.api.create({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } });
    const k8s = k8sDirective("verified");
    const d = directive("autopath", ["@kubernetes"], null, 2);
    const ctx = { api: w.api, serverDirectives: [d, k8s] };
    const ap = setup(autopath, w.server, d, ctx)!;
    const kp = setup(kubernetes, w.server, k8s, ctx)!;
    w.sim.runFor(WATCH_DELAY * 3);
    const last: NextHandler = (r, wr) => wr.write(makeReply(r.query, { rcode: "SERVFAIL" }));
    const chain: NextHandler = (r, wr) => kp.serve(r, wr, last);
    const reply = serve(ap, request(w.server, "web.default.shop.svc.cluster.local", "A", ".", CLIENT), chain, w.sim)[0]!;
    expect(reply.answers!.map((r) => [r.type, r.name, (r as { data: unknown }).data])).toEqual([
      ["CNAME", "web.default.shop.svc.cluster.local", "web.default.svc.cluster.local"],
      ["A", "web.default.svc.cluster.local", "10.96.0.10"],
    ]);
  });
});

describe("autopath with a resolv.conf file", () => {
  it("the file's search path is walked for every client", () => {
    const w = world();
    const p = make(w, ["my-resolv.conf"], "verified", { files: { "my-resolv.conf": "search a.example b.example\n" } });
    const b = backend({ "host.b.example.": "10.2.2.2" });
    const reply = ask(p, w.server, w.sim, "host.a.example", b.next, STRANGER);
    expect(b.asked).toEqual(["host.a.example.", "host.b.example."]);
    expect(reply.answers![0]).toMatchObject({ type: "CNAME", name: "host.a.example", data: "host.b.example" });
  });

  it("ZONE limits where autopath acts", () => {
    const w = world();
    const p = make(w, ["a.example", "my-resolv.conf"], "verified", { files: { "my-resolv.conf": "search b.example a.example\n" } });
    const b = backend({});
    ask(p, w.server, w.sim, "host.b.example", b.next);
    expect(b.asked).toEqual(["host.b.example."]);
  });
});

describe("autopath arguments (CorefileError with line and column)", () => {
  function fails(args: string[], message: RegExp, extra: Partial<SetupContext> = {}) {
    const w = world();
    const d = directive("autopath", args, null, 2);
    let error: unknown;
    try {
      setup(autopath, w.server, d, { api: w.api, serverDirectives: [d, k8sDirective("verified")], ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorefileError);
    expect((error as CorefileError).message).toMatch(message);
    expect([(error as CorefileError).line, (error as CorefileError).column]).toEqual([2, 5]);
  }

  it("no RESOLV-CONF", () => fails([], /no resolv-conf specified/));
  it("@ another plugin", () => fails(["@etcd"], /etcd does not implement the AutoPather interface/));
  it("a file that is not there", () => fails(["/etc/nope.conf"], /failed to parse "\/etc\/nope.conf"/));
  it("@kubernetes without a kubernetes plugin in the block", () => {
    const d = directive("autopath", ["@kubernetes"], null, 2);
    fails(["@kubernetes"], /no kubernetes plugin/, { serverDirectives: [d] });
  });
  it("@kubernetes when the server gives no server directives", () => fails(["@kubernetes"], /serverDirectives/, { serverDirectives: undefined as unknown as Directive[] }));
});


describe("autopath and failing plugins", () => {
  it("a plugin's error ends the walk with that error; an error rcode without one moves on", () => {
    const w = world();
    const p = make(w);
    const asked: string[] = [];
    const next: NextHandler = (r, wr) => {
      asked.push(r.name);
      if (r.name === "web.default.shop.svc.cluster.local.") return wr.write(returnedError(r.query, "SERVFAIL", ""));
      if (r.name === "web.default.svc.cluster.local.") return wr.write(makeReply(r.query, { rcode: "NXDOMAIN" }));
      wr.write(returnedError(r.query, "SERVFAIL", "no healthy proxies"));
    };
    const reply = ask(p, w.server, w.sim, "web.default.shop.svc.cluster.local", next);
    expect(asked).toEqual(["web.default.shop.svc.cluster.local.", "web.default.svc.cluster.local.", "web.default.cluster.local."]);
    expect(rcodeOf(reply)).toBe("SERVFAIL");
    expect(returnedErrorOf(reply)).toBe("no healthy proxies");
    expect(reply.questions![0]!.name).toBe("web.default.shop.svc.cluster.local");
  });

  it("the first search domain itself: SERVFAIL with TrimZone's error", () => {
    const w = world();
    const p = make(w);
    const reply = ask(p, w.server, w.sim, "shop.svc.cluster.local", backend({}).next);
    expect(returnedErrorOf(reply)).toBe("trimzone: overshot qname: shop.svc.cluster.local.for zone shop.svc.cluster.local.");
  });
});
