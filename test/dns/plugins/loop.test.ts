import { describe, expect, it } from "vitest";
import { Sim, address } from "../../../src/index.js";
import { CorefileError } from "../../../src/dns/corefile.js";
import { canonical, makeReply, type Packet } from "../../../src/dns/message.js";
import type { DnsRequest, DnsServer, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { loop } from "../../../src/dns/plugins/loop.js";
import { directive, fakeServer, request, setup } from "./harness.js";

interface Bench {
  sim: Sim;
  server: DnsServer & { logs: string[]; probes: { at: number; query: Packet }[] };
  plugin: Plugin;
}

/**
 * A server whose exchanges to its own address come back into the plugin (the network delivering
 * the probe to the server, which runs its chain): `next` decides what happens after the plugin,
 * and `deliver: false` loses every probe (the exchange times out).
 */
function bench(options: { seed?: number; zones?: string[]; next: (bench: Bench) => NextHandler; deliver?: boolean }): Bench {
  const sim = new Sim({ seed: options.seed ?? 1 });
  const base = fakeServer(sim);
  const probes: { at: number; query: Packet }[] = [];
  const b = {} as Bench;
  const server: Bench["server"] = {
    ...base,
    probes,
    exchange(_upstream: unknown, query: Packet, _t: unknown, timeout: number, callback: (reply: Packet | null) => void) {
      probes.push({ at: sim.now, query });
      let done = false;
      const timer = sim.timer(timeout, () => {
        if (!done) {
          done = true;
          callback(null);
        }
      });
      if (options.deliver === false) return;
      sim.after(100, () => {
        const q = query.questions![0]!;
        const req: DnsRequest = { query, qname: q.name, name: canonical(q.name), qtype: q.type, client: address("127.0.0.1", 55953), transport: "udp", zone: ".", server };
        const writer = {
          write(reply: Packet) {
            if (done) return;
            done = true;
            timer.cancel();
            callback(reply);
          },
        };
        b.plugin.serve(req, writer, options.next(b));
      });
    },
  };
  b.sim = sim;
  b.server = server;
  b.plugin = setup(loop, server, directive("loop"), { zones: options.zones ?? ["."] })!;
  return b;
}

const answer: NextHandler = (r, w) => w.write(makeReply(r.query, { rcode: "NXDOMAIN" }));

describe("loop (dns.md §3.4, §4.2)", () => {
  function selfForwarding(seed = 1) {
    let b!: Bench;
    const forwardToSelf: NextHandler = (r, w) => b.sim.after(100, () => b.plugin.serve({ ...r, client: address("127.0.0.1", 40001) }, w, forwardToSelf));
    b = bench({ seed, next: () => forwardToSelf });
    return b;
  }

  it("§3.4 a forward to itself is detected on the third sighting, logged as CoreDNS logs it", () => {
    const b = selfForwarding();
    b.sim.runFor(1_000_000);
    const name = b.server.probes[0]!.query.questions![0]!.name;
    expect(b.server.probes[0]!.query.questions![0]!.type).toBe("HINFO");
    expect(name).toMatch(/^\d{1,19}\.\d{1,19}$/);
    expect(b.server.logs).toEqual([
      `[FATAL] plugin/loop: Loop (127.0.0.1:40001 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${name}."`,
    ]);
  });

  it("after the FATAL line the server answers nothing that reaches the plugin (the process is gone)", () => {
    const b = selfForwarding();
    b.sim.runFor(1_000_000);
    const written: Packet[] = [];
    b.plugin.serve(request(b.server, "example.org"), { write: (p) => written.push(p) }, answer);
    b.sim.runFor(1_000_000);
    expect(written).toEqual([]);
  });

  it("no loop: the probe is answered once, the plugin switches itself off 2 s later, and nothing is logged", () => {
    const b = bench({ next: () => answer });
    b.sim.runFor(1_000_000);
    expect(b.server.probes).toHaveLength(1);
    const probe = b.server.probes[0]!.query;
    const resend = (at: number): Packet[] => {
      const out: Packet[] = [];
      b.sim.runUntil(at);
      for (let i = 0; i < 3; i++) b.plugin.serve(request(b.server, probe.questions![0]!.name, "HINFO"), { write: (p: Packet) => out.push(p) }, answer);
      return out;
    };
    // Still on at 1.5 s: the probe name seen three more times would be a loop.
    const early = bench({ next: () => answer });
    early.sim.runUntil(1_500_000);
    const q = early.server.probes[0]!.query.questions![0]!.name;
    // The probe itself was the first sighting; a second is not a loop, a third is ("more than twice").
    early.plugin.serve(request(early.server, q, "HINFO"), { write: () => undefined }, answer);
    expect(early.server.logs).toEqual([]);
    early.plugin.serve(request(early.server, q, "HINFO"), { write: () => undefined }, answer);
    expect(early.server.logs[0]).toMatch(/^\[FATAL\] plugin\/loop: Loop/);
    // Off after 2 s.
    expect(resend(3_000_000)).toHaveLength(3);
    expect(b.server.logs).toEqual([]);
  });

  it("probes again 1 s after each failed exchange, for up to 30 s, then stops", () => {
    const b = bench({ next: () => answer, deliver: false });
    b.sim.runFor(60_000_000);
    const times = b.server.probes.map((p) => p.at);
    expect(times.slice(0, 3)).toEqual([0, 3_000_000, 6_000_000]);
    expect(times.at(-1)!).toBeLessThan(30_000_000);
    expect(times).toHaveLength(10);
  });

  it("the probe name is under the block's first zone, and the same for the same seed", () => {
    const name = (seed: number) => {
      const b = bench({ seed, zones: ["cluster.local.", "example.org."], next: () => answer });
      b.sim.runFor(1_000);
      return b.server.probes[0]!.query.questions![0]!.name;
    };
    expect(name(3)).toMatch(/^\d+\.\d+\.cluster\.local$/);
    expect(name(3)).toBe(name(3));
    expect(name(3)).not.toBe(name(4));
  });

  it("other queries pass through", () => {
    const b = bench({ next: () => answer, deliver: false });
    const out: Packet[] = [];
    b.plugin.serve(request(b.server, "example.org", "HINFO"), { write: (p) => out.push(p) }, answer);
    b.plugin.serve(request(b.server, "example.org", "A"), { write: (p) => out.push(p) }, answer);
    expect(out).toHaveLength(2);
  });
});

describe("loop arguments (CorefileError with line and column)", () => {
  const server = fakeServer(new Sim({ seed: 1 }));
  function fails(fn: () => unknown, message: RegExp, line: number) {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorefileError);
    expect((error as CorefileError).message).toMatch(message);
    expect([(error as CorefileError).line, (error as CorefileError).column]).toEqual([line, 5]);
  }
  it("an argument", () => fails(() => setup(loop, server, directive("loop", ["10s"], null, 4)), /takes no arguments/, 4));
  it("a block", () => fails(() => setup(loop, server, directive("loop", [], [], 4)), /takes no block/, 4));
  it("twice in a block", () => {
    const d1 = directive("loop", [], null, 2);
    const d2 = directive("loop", [], null, 8);
    fails(() => setup(loop, server, d1, { serverDirectives: [d1, d2] }), /can only be used once per Server Block/, 8);
  });
});
