/**
 * A bench for testing one plugin without a network: a fake server (records what the plugin logs,
 * answers `exchange` and `lookup` from test-supplied functions), requests built from a name and a
 * type, and a runner that captures what the plugin writes.
 */
import { expect } from "vitest";
import { CorefileError, Sim, address, type Address, type Micros } from "../../../src/index.js";
import type { Directive } from "../../../src/dns/corefile.js";
import { canonical, makeQuery, type Packet, type RecordType } from "../../../src/dns/message.js";
import type { DnsRequest, DnsServer, NextHandler, Plugin, PluginFactory, SetupContext } from "../../../src/dns/plugin.js";

/** A directive as the Corefile parser would give it. */
export function directive(name: string, args: string[] = [], block: Directive[] | null = null, line = 1): Directive {
  return { name, args, block, line, column: 5, file: "Corefile" } as Directive;
}

/** How the fake server answers what plugins ask of it. */
export interface FakeServerOptions {
  /** Replies to upstream exchanges: return a packet, null for a timeout, or undefined for no reply at all. */
  exchange?: (upstream: Address, query: Packet, transport: "udp" | "tcp") => { reply: Packet | null; after: Micros } | undefined;
  /** Replies to internal lookups. */
  lookup?: (name: string, type: RecordType) => Packet;
}

export interface FakeServer extends DnsServer {
  readonly logs: string[];
  readonly exchanges: { upstream: string; query: Packet; transport: string; at: Micros }[];
}

export function fakeServer(sim: Sim, options: FakeServerOptions = {}): FakeServer {
  const logs: string[] = [];
  const exchanges: FakeServer["exchanges"] = [];
  return {
    sim,
    label: "test/kube-system/coredns-0",
    address: address("10.10.0.2", 53),
    rng: sim.rng.stream("fake-server"),
    logs,
    exchanges,
    log: (line) => logs.push(line),
    exchange(upstream, query, transport, timeout, callback) {
      exchanges.push({ upstream: upstream.text, query, transport, at: sim.now });
      const r = options.exchange?.(upstream, query, transport);
      if (r && r.reply && r.after <= timeout) sim.after(r.after, () => callback(r.reply));
      else sim.after(timeout, () => callback(null));
    },
    lookup(name, type, callback) {
      if (!options.lookup) throw new Error("this test's fake server has no lookup");
      callback(options.lookup(name, type));
    },
  };
}

/** Sets a plugin up from its directive. */
export function setup(factory: PluginFactory, server: DnsServer, d: Directive, extra: Partial<SetupContext> = {}): Plugin | null {
  return factory.setup({ directive: d, zones: ["."], server, resolvConfNameservers: [], files: {}, ...extra });
}

let nextId = 1;

/** A request for a name and type from a pod, as the server would hand it to its chain. */
export function request(server: DnsServer, name: string, qtype: RecordType = "A", zone = ".", client = address("10.10.1.5", 40000)): DnsRequest {
  const query = makeQuery(name, qtype, { id: nextId++ });
  const qname = query.questions![0]!.name;
  return { query, qname, name: canonical(qname), qtype, client, transport: "udp", zone, server };
}

/** Runs a plugin on a request and returns what it wrote (after running the clock until idle). */
export function serve(plugin: Plugin, req: DnsRequest, next: NextHandler, sim: Sim): Packet[] {
  const written: Packet[] = [];
  plugin.serve(req, { write: (p) => written.push(p) }, next);
  sim.runUntilIdle();
  return written;
}

/**
 * Asserts that setting `factory` up from `directive(name, args, block, 2)` fails with a CorefileError
 * matching `message`, at line 2 (or 3, the first line of the block, when there is one), column 5,
 * and that the message starts with `Corefile:<line>:5: <name>:`.
 */
export function expectSetupError(factory: PluginFactory, args: string[], block: Directive[] | null, message: RegExp): void {
  const server = fakeServer(new Sim({ seed: 1 }));
  let error: unknown;
  try {
    setup(factory, server, directive(factory.name, args, block, 2));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CorefileError);
  const e = error as CorefileError;
  const line = block ? 3 : 2;
  expect(e.message).toMatch(message);
  expect(e.line).toBe(line);
  expect(e.column).toBe(5);
  expect(e.message.startsWith(`Corefile:${line}:5: ${factory.name}:`)).toBe(true);
}
