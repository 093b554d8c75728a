import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Actor,
  DistributionError,
  Rng,
  Sim,
  address,
  constant,
  sample,
  type Address,
  type ActorId,
  type Distribution,
  type Message,
  type ServiceModel,
  type Transport,
} from "../../src/index.js";

const CLIENT = address("10.0.0.1", 5353);

/** A transport that delivers straight to one actor, at times the test chooses. No network. */
class FakeTransport implements Transport {
  readonly sent: { from: Actor; to: Address; kind: string; body: unknown }[] = [];
  readonly drops: { message: Message; reason: string }[] = [];
  onDrop: (message: Message, reason: string) => void = () => {};
  private nextId = 0;

  constructor(private readonly sim: Sim) {}

  send(from: Actor, to: Address, kind: string, body: unknown): void {
    this.sent.push({ from, to, kind, body });
  }

  dropped(message: Message, reason: string): void {
    this.drops.push({ message, reason });
    this.onDrop(message, reason);
  }

  /** Schedules `kind` to reach `to` at instant `at`; returns the message. */
  deliver(to: Actor, at: number, kind: string, body: unknown = null, then?: (m: Message) => void): Message {
    const message: Message = { id: this.nextId++, kind, from: CLIENT, to: to.address!, body, sentAt: this.sim.now };
    this.sim.at(
      at,
      (m: Message) => {
        to.receive(m);
        then?.(m);
      },
      message,
    );
    return message;
  }
}

/** An actor that notes when each message was handled. */
class Server extends Actor {
  readonly handled: { id: number; kind: string; at: number }[] = [];
  onHandle: (m: Message) => void = () => {};

  constructor(sim: Sim, options: { service?: ServiceModel; id?: ActorId } = {}) {
    super(sim, options.id ?? { cluster: "east", namespace: "default", name: "server" }, options.service ? { service: options.service } : {});
    const note = (m: Message) => {
      this.handled.push({ id: m.id, kind: m.kind, at: sim.now });
      this.onHandle(m);
    };
    this.handle("ping", note);
    this.handle<{ n: number }>("add", (m) => {
      note(m);
      this.reply(m, "sum", m.body.n + 1);
    });
  }
}

function world(service?: ServiceModel, seed = 1) {
  const sim = new Sim({ seed });
  const transport = new FakeTransport(sim);
  const server = new Server(sim, service ? { service } : {});
  server.address = address("10.1.0.5", 80);
  server.transport = transport;
  return { sim, transport, server };
}

describe("address", () => {
  it("writes ip:port, with brackets for IPv6", () => {
    expect(address("10.0.0.1", 53)).toEqual({ ip: "10.0.0.1", port: 53, text: "10.0.0.1:53" });
    expect(address("fd00::1", 443).text).toBe("[fd00::1]:443");
  });
});

describe("Actor", () => {
  it("is labelled cluster/namespace/name, or namespace/name outside a cluster", () => {
    const sim = new Sim({ seed: 1 });
    expect(new Server(sim).label).toBe("east/default/server");
    expect(new Server(sim, { id: { cluster: "", namespace: "ext", name: "client" } }).label).toBe("ext/client");
  });

  it("handles messages by kind, at once when it has no service model", () => {
    const { sim, transport, server } = world();
    transport.deliver(server, 10, "ping");
    transport.deliver(server, 20, "add", { n: 41 });
    sim.runUntilIdle();
    expect(server.handled).toEqual([
      { id: 0, kind: "ping", at: 10 },
      { id: 1, kind: "add", at: 20 },
    ]);
    expect(server.queued).toBe(0);
    expect(transport.drops).toEqual([]);
  });

  it("reports a kind with no handler to the transport as no-handler", () => {
    const { sim, transport, server } = world();
    const m = transport.deliver(server, 5, "nonsense");
    transport.deliver(server, 6, "ping");
    sim.runUntilIdle();
    expect(transport.drops).toEqual([{ message: m, reason: "no-handler" }]);
    expect(server.handled.map((h) => h.kind)).toEqual(["ping"]);
  });

  it("lets a subclass decide what to do with unhandled kinds", () => {
    const sim = new Sim({ seed: 1 });
    const transport = new FakeTransport(sim);
    const seen: string[] = [];
    class Tolerant extends Server {
      protected override unhandled(message: Message): void {
        seen.push(message.kind);
      }
    }
    const a = new Tolerant(sim);
    a.address = address("10.1.0.6", 80);
    a.transport = transport;
    transport.deliver(a, 1, "other");
    sim.runUntilIdle();
    expect(seen).toEqual(["other"]);
    expect(transport.drops).toEqual([]);
  });

  it("sends through its transport and replies to the sender", () => {
    const { sim, transport, server } = world();
    transport.deliver(server, 3, "add", { n: 1 });
    sim.runUntilIdle();
    expect(transport.sent).toEqual([{ from: server, to: CLIENT, kind: "sum", body: 2 }]);
    server.send(address("10.9.9.9", 1), "hello", { x: 1 });
    expect(transport.sent[1]).toEqual({ from: server, to: address("10.9.9.9", 1), kind: "hello", body: { x: 1 } });
  });

  it("cannot send before it is attached to a network", () => {
    const sim = new Sim({ seed: 1 });
    const lonely = new Server(sim);
    expect(() => lonely.send(CLIENT, "ping", null)).toThrow(/east\/default\/server is not attached to a network/);
  });

  it("rejects a bad service model", () => {
    const sim = new Sim({ seed: 1 });
    const ok: ServiceModel = { workers: 1, serviceTime: constant(10), queueLimit: 0 };
    expect(() => new Server(sim, { service: { ...ok, workers: 0 } })).toThrow(RangeError);
    expect(() => new Server(sim, { service: { ...ok, workers: 1.5 } })).toThrow(/at least 1 worker, got 1.5/);
    expect(() => new Server(sim, { service: { ...ok, queueLimit: -1 } })).toThrow(RangeError);
    expect(() => new Server(sim, { service: { ...ok, queueLimit: Number.NaN } })).toThrow(/queueLimit/);
    expect(() => new Server(sim, { service: { ...ok, serviceTime: constant(-5) } })).toThrow(DistributionError);
    expect(() => new Server(sim, { service: ok })).not.toThrow();
  });
});

describe("Actor service model", () => {
  it("with 1 worker and service time S, N simultaneous messages finish at S, 2S, ..., NS", () => {
    const S = 1_000;
    const N = 10;
    const { sim, transport, server } = world({ workers: 1, serviceTime: constant(S), queueLimit: 100 });
    for (let i = 0; i < N; i++) transport.deliver(server, 0, "ping");
    sim.runUntil(0);
    expect(server.queued).toBe(N - 1);
    sim.runUntilIdle();
    expect(server.handled.map((h) => h.at)).toEqual(Array.from({ length: N }, (_, i) => (i + 1) * S));
    expect(server.handled.map((h) => h.id)).toEqual(Array.from({ length: N }, (_, i) => i)); // first come, first served
    expect(server.queued).toBe(0);
  });

  it("with w workers serves w at a time", () => {
    const S = 50;
    const { sim, transport, server } = world({ workers: 3, serviceTime: constant(S), queueLimit: 100 });
    for (let i = 0; i < 7; i++) transport.deliver(server, 100, "ping");
    sim.runUntilIdle();
    expect(server.handled.map((h) => h.at)).toEqual([150, 150, 150, 200, 200, 200, 250]);
  });

  it("serves a message that arrives at an idle server at once, with no queueing delay", () => {
    const { sim, transport, server } = world({ workers: 1, serviceTime: constant(100), queueLimit: 10 });
    transport.deliver(server, 0, "ping");
    transport.deliver(server, 500, "ping");
    sim.runUntilIdle();
    expect(server.handled.map((h) => h.at)).toEqual([100, 600]);
  });

  it("drops messages beyond queueLimit as queue-full", () => {
    const { sim, transport, server } = world({ workers: 1, serviceTime: constant(10), queueLimit: 2 });
    const msgs = Array.from({ length: 5 }, () => transport.deliver(server, 0, "ping"));
    sim.runUntil(0);
    expect(server.queued).toBe(2);
    expect(transport.drops).toEqual([
      { message: msgs[3], reason: "queue-full" },
      { message: msgs[4], reason: "queue-full" },
    ]);
    sim.runUntilIdle();
    expect(server.handled.map((h) => [h.id, h.at])).toEqual([
      [0, 10],
      [1, 20],
      [2, 30],
    ]);
  });

  it("with queueLimit 0 drops whatever finds every worker busy", () => {
    const { sim, transport, server } = world({ workers: 2, serviceTime: constant(10), queueLimit: 0 });
    for (let i = 0; i < 3; i++) transport.deliver(server, 0, "ping");
    // At 10 this arrival was scheduled before the two services that end then, so it runs first
    // and finds both workers busy; at 11 they are free again.
    transport.deliver(server, 10, "ping");
    transport.deliver(server, 11, "ping");
    sim.runUntilIdle();
    expect(transport.drops.map((d) => [d.message.id, d.reason])).toEqual([
      [2, "queue-full"],
      [3, "queue-full"],
    ]);
    expect(server.handled.map((h) => [h.id, h.at])).toEqual([
      [0, 10],
      [1, 10],
      [4, 21],
    ]);
  });

  it("reports an unhandled kind only once it has been served", () => {
    const { sim, transport, server } = world({ workers: 1, serviceTime: constant(25), queueLimit: 5 });
    transport.deliver(server, 0, "nonsense");
    let dropAt = -1;
    transport.onDrop = () => (dropAt = sim.now);
    sim.runUntilIdle();
    expect(transport.drops.map((d) => d.reason)).toEqual(["no-handler"]);
    expect(dropAt).toBe(25);
  });

  it("draws service times from its own stream, actor/<label>/service, whatever other actors do", () => {
    const serviceTime: Distribution = { kind: "lognormal", median: 1_000, p99: 5_000 };
    const model: ServiceModel = { workers: 1, serviceTime, queueLimit: 100 };
    const run = (withNeighbour: boolean) => {
      const { sim, transport, server } = world(model, 77);
      if (withNeighbour) {
        // Another busy actor in the same world, created first and served first.
        const other = new Server(sim, { id: { cluster: "east", namespace: "default", name: "other" }, service: model });
        other.address = address("10.1.0.7", 80);
        other.transport = transport;
        for (let i = 0; i < 20; i++) transport.deliver(other, 0, "ping");
      }
      for (let i = 0; i < 10; i++) transport.deliver(server, 0, "ping");
      sim.runUntilIdle();
      return server.handled.map((h) => h.at);
    };
    const alone = run(false);
    expect(run(true)).toEqual(alone);
    const stream = Rng.root(77).stream("actor/east/default/server/service");
    let t = 0;
    const expected = Array.from({ length: 10 }, () => (t += sample(serviceTime, stream)));
    expect(alone).toEqual(expected);
  });

  it("property: never more than w in service or q queued, drops only when full, handled + dropped == received", () => {
    const arrival = fc.record({ at: fc.nat({ max: 60 }), handled: fc.boolean() });
    const serviceTime: fc.Arbitrary<Distribution> = fc.oneof(
      fc.nat({ max: 20 }).map((v) => constant(v)),
      fc.tuple(fc.nat({ max: 10 }), fc.nat({ max: 20 })).map(([min, w]): Distribution => ({ kind: "uniform", min, max: min + w })),
      fc.integer({ min: 1, max: 10 }).map((mean): Distribution => ({ kind: "exponential", mean })),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 5 }),
        serviceTime,
        fc.array(arrival, { maxLength: 60 }),
        fc.nat(),
        (w, q, dist, arrivals, seed) => {
          const { sim, transport, server } = world({ workers: w, serviceTime: dist, queueLimit: q }, seed);
          let received = 0;
          let accepted = 0;
          let served = 0; // handled or reported no-handler after service
          const droppedFull = new Set<number>();
          const inService = () => accepted - served - server.queued;
          const check = () => {
            expect(server.queued).toBeLessThanOrEqual(q);
            expect(inService()).toBeGreaterThanOrEqual(0);
            expect(inService()).toBeLessThanOrEqual(w);
          };
          server.onHandle = () => {
            served++;
            check();
          };
          transport.onDrop = (m, reason) => {
            if (reason === "no-handler") {
              served++;
              check();
              return;
            }
            expect(reason).toBe("queue-full");
            droppedFull.add(m.id);
            // Dropped only when every worker is busy and the queue is full.
            expect(server.queued).toBe(q);
            expect(inService()).toBe(w);
          };
          for (const a of arrivals) {
            transport.deliver(server, a.at, a.handled ? "ping" : "unknown", null, (m) => {
              received++;
              if (!droppedFull.has(m.id)) accepted++;
              check();
            });
          }
          sim.runUntilIdle();
          const fullDrops = transport.drops.filter((d) => d.reason === "queue-full").map((d) => d.message.id);
          const noHandler = transport.drops.filter((d) => d.reason === "no-handler").map((d) => d.message.id);
          const handled = server.handled.map((h) => h.id);
          expect(received).toBe(arrivals.length);
          expect(handled.length + transport.drops.length).toBe(received);
          // Each message ends exactly one way.
          const all = [...handled, ...fullDrops, ...noHandler].sort((x, y) => x - y);
          expect(all).toEqual(arrivals.map((_, i) => i));
          expect(noHandler.every((id) => !arrivals[id]!.handled)).toBe(true);
          expect(handled.every((id) => arrivals[id]!.handled)).toBe(true);
          expect(server.queued).toBe(0);
          expect(inService()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
