import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Actor, TopologyError, address, constant, type Sim } from "../../src/index.js";
import { Probe, drops, flatLinks, makeWorld, parseTrace, spawn, totalDropped } from "./world.js";

describe("delivery", () => {
  it("delivers at exactly the send instant plus a constant latency, with the message's fields intact", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "b-eu-west-1a-0", { port: 53, kinds: ["msg", "other"] });
    a.probe.sendAt(0, b.addr, { n: 1 });
    a.probe.sendAt(250, b.addr, { n: 2 }, "other");
    a.probe.sendAt(250, b.addr, { n: 3 });
    a.probe.sendAt(7_777, b.addr, { n: 4 });
    w.sim.runUntilIdle();
    expect(b.probe.got).toEqual([
      { t: 1_000, id: 1, kind: "msg", from: `${a.host.ip}:80`, to: `${b.host.ip}:53`, sentAt: 0, body: { n: 1 } },
      { t: 1_250, id: 2, kind: "other", from: `${a.host.ip}:80`, to: `${b.host.ip}:53`, sentAt: 250, body: { n: 2 } },
      { t: 1_250, id: 3, kind: "msg", from: `${a.host.ip}:80`, to: `${b.host.ip}:53`, sentAt: 250, body: { n: 3 } },
      { t: 8_777, id: 4, kind: "msg", from: `${a.host.ip}:80`, to: `${b.host.ip}:53`, sentAt: 7_777, body: { n: 4 } },
    ]);
    expect(w.net.stats).toMatchObject({ sent: 4, delivered: 4, duplicated: 0, held: 0 });
    expect(w.net.stats.dropped.size).toBe(0);
  });

  it("lets a receiver reply to where a message came from", () => {
    const w = makeWorld({ links: flatLinks(300) });
    class Echo extends Actor {
      constructor(sim: Sim) {
        super(sim, { cluster: "a", namespace: "test", name: "echo" });
        this.handle<number>("ping", (m) => this.reply(m, "pong", m.body * 2));
      }
    }
    const echo = new Echo(w.sim);
    w.net.bind(echo, w.net.addHost({ name: "echo", node: "a-us-east-1b-0" }), 7);
    const client = spawn(w, "client", "a-us-east-1a-0", { port: 40_000, kinds: ["pong"] });
    client.probe.sendAt(10, address(echo.address!.ip, 7), 21, "ping");
    w.sim.runUntilIdle();
    expect(client.probe.got.map((g) => [g.t, g.kind, g.body])).toEqual([[610, "pong", 42]]);
  });

  it("delivers to itself over the same-node link", () => {
    const w = makeWorld({ links: { ...flatLinks(1_000), "same-node": { latency: constant(17) } } });
    const a = spawn(w, "a", "a-us-east-1a-0");
    a.probe.sendAt(3, a.addr, "me");
    w.sim.runUntilIdle();
    expect(a.probe.got.map((g) => g.t)).toEqual([20]);
  });
});

describe("addresses", () => {
  it("gives pods addresses from their node's /24, from .2 up", () => {
    const w = makeWorld();
    const n0 = w.topology.node("a-us-east-1a-0");
    expect(String(n0.podCidr)).toBe("10.10.0.0/24");
    expect(w.net.addHost({ name: "p1", node: n0 }).ip).toBe("10.10.0.2");
    expect(w.net.addHost({ name: "p2", node: "a-us-east-1a-0" }).ip).toBe("10.10.0.3");
    expect(w.net.addHost({ name: "p3", node: "a-us-east-1a-1" }).ip).toBe("10.10.1.2");
    expect(w.net.addHost({ name: "p4", node: "b-eu-west-1a-0" }).ip).toBe("10.11.0.2");
    expect(w.net.addHost({ name: "p5", node: "a-us-east-1a-0" }).ip).toBe("10.10.0.4");
  });

  it("hands out 253 addresses per node (.2 to .254), then says the range is full; a freed one is reused", () => {
    const w = makeWorld();
    const ips = Array.from({ length: 253 }, (_, i) => w.net.addHost({ name: `p${i}`, node: "b-eu-west-1a-0" }).ip);
    expect(ips[0]).toBe("10.11.0.2");
    expect(ips[252]).toBe("10.11.0.254");
    expect(new Set(ips).size).toBe(253);
    expect(() => w.net.addHost({ name: "one-more", node: "b-eu-west-1a-0" })).toThrow(TopologyError);
    expect(() => w.net.addHost({ name: "one-more", node: "b-eu-west-1a-0" })).toThrow("its pod range 10.11.0.0/24 is full");
    w.net.removeHost(w.net.host("p100")!);
    expect(w.net.addHost({ name: "again", node: "b-eu-west-1a-0" }).ip).toBe("10.11.0.102");
  });

  it("never gives two hosts of one network the same address, and keeps each in its node's range (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ node: fc.integer({ min: 0, max: 4 }), remove: fc.boolean() }), { minLength: 1, maxLength: 120 }),
        (ops) => {
          const w = makeWorld();
          const nodes = [...w.topology.nodes.values()];
          const live = new Map<string, string>();
          ops.forEach((op, i) => {
            const node = nodes[op.node % nodes.length]!;
            const h = w.net.addHost({ name: `h${i}`, node });
            expect(node.podCidr!.contains(h.ip)).toBe(true);
            const last = Number(h.ip.split(".")[3]);
            expect(last).toBeGreaterThanOrEqual(2);
            expect(last).toBeLessThanOrEqual(254);
            expect([...live.values()]).not.toContain(h.ip);
            live.set(h.name, h.ip);
            if (op.remove) {
              w.net.removeHost(h);
              live.delete(h.name);
            }
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("honours an explicit address, refuses it twice on one network, and allows it on another", () => {
    const w = makeWorld({
      clusters: [
        { name: "a", region: "r", zones: ["z"] },
        { name: "b", region: "r", zones: ["z"], network: "other" },
      ],
    });
    const h = w.net.addHost({ name: "fixed", node: "a-z-0", ip: "10.10.0.77" });
    expect(h.ip).toBe("10.10.0.77");
    expect(() => w.net.addHost({ name: "clash", node: "a-z-0", ip: "10.10.0.77" })).toThrow(
      new TopologyError('host clash: address 10.10.0.77 is already used by fixed on network "default"'),
    );
    expect(w.net.host("clash")).toBeUndefined();
    const twin = w.net.addHost({ name: "twin", node: "b-z-0", ip: "10.10.0.77" });
    expect(twin.network).toBe("other");
    // An allocated address skips one taken by hand.
    w.net.addHost({ name: "hand", node: "a-z-0", ip: "10.10.0.2" });
    expect(w.net.addHost({ name: "auto", node: "a-z-0" }).ip).toBe("10.10.0.3");
  });

  it("routes an address on the sender's own network when two networks use it", () => {
    const w = makeWorld({
      links: flatLinks(100),
      clusters: [
        { name: "a", region: "r", zones: ["z"] },
        { name: "b", region: "r", zones: ["z"], network: "other" },
      ],
    });
    const onA = spawn(w, "on-a", "a-z-0", { ip: "10.50.0.1" });
    const onB = spawn(w, "on-b", "b-z-0", { ip: "10.50.0.1" });
    const senderA = spawn(w, "sender-a", "a-z-0");
    const senderB = spawn(w, "sender-b", "b-z-0");
    senderA.probe.sendAt(0, address("10.50.0.1", 80), "from a");
    senderB.probe.sendAt(0, address("10.50.0.1", 80), "from b");
    w.sim.runUntilIdle();
    expect(onA.probe.bodies()).toEqual(["from a"]);
    expect(onB.probe.bodies()).toEqual(["from b"]);
  });

  it("refuses a second host of one name, and finds hosts by name", () => {
    const w = makeWorld();
    const h = w.net.addHost({ name: "x", node: "a-us-east-1a-0" });
    expect(() => w.net.addHost({ name: "x", node: "b-eu-west-1a-0" })).toThrow("there is already a host named x");
    expect(w.net.host("x")).toBe(h);
    expect(w.net.host("y")).toBeUndefined();
    expect(() => w.net.addHost({ name: "y", node: "no-such-node" })).toThrow(TopologyError);
  });

  it("external hosts need an address; pods reach them, they do not reach a pod that has not reached out", () => {
    const w = makeWorld({ links: flatLinks(500) });
    w.topology.addExternalNode({ name: "internet", region: "us-east-1", zone: "us-east-1a" });
    expect(() => w.net.addHost({ name: "noip", node: "internet" })).toThrow("node internet is outside any cluster: give its hosts an ip");
    const ext = spawn(w, "ext", "internet", { ip: "198.51.100.10" });
    const ext2 = spawn(w, "ext2", "internet", { ip: "198.51.100.11" });
    const pod = spawn(w, "pod", "b-eu-west-1a-0");
    expect(ext.host.network).toBe("external");
    ext.probe.sendAt(0, pod.addr, "ext->pod");
    pod.probe.sendAt(0, ext.addr, "pod->ext");
    ext.probe.sendAt(0, ext2.addr, "ext->ext2");
    w.sim.runUntilIdle();
    expect(ext.probe.got.map((g) => [g.body, g.t])).toEqual([["pod->ext", 500]]);
    expect(ext2.probe.bodies()).toEqual(["ext->ext2"]);
    expect(pod.probe.got).toEqual([]);
    expect(drops(w.net)).toEqual({ "no-route": 1 });
  });
});

describe("virtual addresses", () => {
  it("rewrites a message to a virtual address to its backend, and the reply comes from the virtual address (conntrack)", () => {
    const w = makeWorld({ links: flatLinks(100) });
    const server = new Probe(w.sim, "server", ["msg"], (m, self) => self.reply(m, "reply", "pong"));
    const client = new Probe(w.sim, "client", ["reply"]);
    const serverHost = w.net.addHost({ name: "server", node: "a-us-east-1a-0" });
    w.net.bind(server, serverHost, 80);
    w.net.bind(client, w.net.addHost({ name: "client", node: "a-us-east-1b-0" }), 40000);
    w.net.addVirtualAddress("default", "10.100.0.20", () => address(serverHost.ip, 80));
    client.sendAt(0, address("10.100.0.20", 80));
    w.sim.runUntilIdle();
    expect(server.got.map((a) => a.to)).toEqual([`${serverHost.ip}:80`]);
    expect(client.got.map((a) => a.from)).toEqual(["10.100.0.20:80"]);
  });

  it("replies to a message sent straight to a host come from the host", () => {
    const w = makeWorld({ links: flatLinks(100) });
    const server = new Probe(w.sim, "server", ["msg"], (m, self) => self.reply(m, "reply", "pong"));
    const client = new Probe(w.sim, "client", ["reply"]);
    const serverHost = w.net.addHost({ name: "server", node: "a-us-east-1a-0" });
    w.net.bind(server, serverHost, 80);
    w.net.bind(client, w.net.addHost({ name: "client", node: "a-us-east-1b-0" }), 40000);
    client.sendAt(0, address(serverHost.ip, 80));
    w.sim.runUntilIdle();
    expect(client.got.map((a) => a.from)).toEqual([`${serverHost.ip}:80`]);
  });
});

describe("drops", () => {
  it("drops a message to an address nobody has (no-route), at once", () => {
    const w = makeWorld({ links: flatLinks(1_000), traceLevel: "full" });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const seen: [number, string][] = [];
    w.sim.trace.on("drop", (e) => seen.push([e.t, e.reason]));
    a.probe.sendAt(5, address("10.99.0.1", 80), "lost");
    w.sim.runUntilIdle();
    expect(seen).toEqual([[5, "no-route"]]);
    expect(drops(w.net)).toEqual({ "no-route": 1 });
    expect(w.net.stats.delivered).toBe(0);
  });

  it("drops a message to a port nobody listens on (port-closed), on arrival", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "b-eu-west-1a-0");
    a.probe.sendAt(0, address(b.host.ip, 81), "closed");
    a.probe.sendAt(0, b.addr, "open");
    w.sim.runUntilIdle();
    expect(b.probe.bodies()).toEqual(["open"]);
    expect(drops(w.net)).toEqual({ "port-closed": 1 });
  });

  it("drops messages reaching a host that is down (host-down), and delivers again once it is up", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1b-0");
    a.probe.sendAt(0, b.addr, "sent-up-arrives-down");
    w.sim.at(500, () => w.net.setHostUp(b.host, false));
    a.probe.sendAt(600, b.addr, "sent-down-arrives-down");
    a.probe.sendAt(1_200, b.addr, "sent-down-arrives-up");
    w.sim.at(2_000, () => w.net.setHostUp(b.host, true));
    a.probe.sendAt(2_100, b.addr, "sent-up-arrives-up");
    w.sim.runUntilIdle();
    expect(b.host.up).toBe(true);
    expect(b.probe.got.map((g) => [g.body, g.t])).toEqual([
      ["sent-down-arrives-up", 2_200],
      ["sent-up-arrives-up", 3_100],
    ]);
    expect(drops(w.net)).toEqual({ "host-down": 2 });
  });

  it("drops what a down or removed host tries to send (host-down)", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1b-0");
    a.probe.sendAt(0, b.addr, "up");
    w.sim.at(100, () => w.net.setHostUp(a.host, false));
    a.probe.sendAt(200, b.addr, "down");
    w.sim.at(300, () => w.net.setHostUp(a.host, true));
    a.probe.sendAt(400, b.addr, "up-again");
    w.sim.at(500, () => w.net.removeHost(a.host));
    a.probe.sendAt(600, b.addr, "removed");
    w.sim.runUntilIdle();
    expect(b.probe.bodies()).toEqual(["up", "up-again"]);
    expect(drops(w.net)).toEqual({ "host-down": 2 });
  });

  it("refuses a host address that is not an IPv4 address, and lists hosts in the order they were added", () => {
    const w = makeWorld();
    expect(() => w.net.addHost({ name: "x", node: "a-us-east-1a-0", ip: "banana" })).toThrow(TopologyError);
    expect(() => w.net.addHost({ name: "x", node: "a-us-east-1a-0", ip: "10.010.0.1" })).toThrow(/host x: .*"010"/);
    spawn(w, "p", "a-us-east-1a-0");
    spawn(w, "q", "b-eu-west-1a-0");
    expect([...w.net.hosts()].map((h) => h.name)).toEqual(["p", "q"]);
  });

  it("after removeHost, messages to its address are dropped (no-route), in flight ones too", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1b-0");
    a.probe.sendAt(0, b.addr, "in flight");
    w.sim.at(500, () => w.net.removeHost(b.host));
    a.probe.sendAt(600, b.addr, "after");
    w.sim.runUntilIdle();
    expect(b.probe.got).toEqual([]);
    expect(b.host.attached).toBe(false);
    expect(w.net.host("b")).toBeUndefined();
    expect(drops(w.net)).toEqual({ "no-route": 2 });
    // Removing twice is harmless; binding to a removed host is refused.
    w.net.removeHost(b.host);
    expect(() => w.net.bind(new Probe(w.sim, "late"), b.host, 80)).toThrow("the host was removed");
  });

  it("a new host that takes a removed host's address receives what is sent to it", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const old = spawn(w, "old", "a-us-east-1b-0");
    a.probe.sendAt(0, old.addr, "to old");
    w.sim.runUntilIdle();
    w.net.removeHost(old.host);
    const fresh = spawn(w, "fresh", "a-us-east-1b-0", { ip: old.host.ip });
    a.probe.sendAt(w.sim.now, fresh.addr, "to fresh");
    w.sim.runUntilIdle();
    expect(old.probe.bodies()).toEqual(["to old"]);
    expect(fresh.probe.bodies()).toEqual(["to fresh"]);
  });

  it("refuses a second actor on a taken port; unbinding closes the port and stops the actor sending", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1b-0");
    expect(() => w.net.bind(new Probe(w.sim, "squatter"), b.host, 80)).toThrow("test/squatter to b:80: test/b listens there already");
    a.probe.sendAt(0, b.addr, "in flight");
    w.sim.at(10, () => w.net.unbind(b.probe));
    w.sim.runUntilIdle();
    expect(b.probe.got).toEqual([]);
    expect(drops(w.net)).toEqual({ "port-closed": 1 });
    expect(b.probe.address).toBeNull();
    expect(() => b.probe.send(a.addr, "msg", null)).toThrow("not attached to a network");
    // The port is free again.
    const again = new Probe(w.sim, "again");
    w.net.bind(again, b.host, 80);
    a.probe.sendAt(w.sim.now, b.addr, "to again");
    w.sim.runUntilIdle();
    expect(again.bodies()).toEqual(["to again"]);
  });

  it("counts a message its receiver has no handler for (no-handler)", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1b-0");
    a.probe.sendAt(0, b.addr, null, "unknown-kind");
    w.sim.runUntilIdle();
    expect(b.probe.got).toEqual([]);
    expect(w.net.stats.delivered).toBe(1);
    expect(drops(w.net)).toEqual({ "no-handler": 1 });
  });

  it("sent = delivered + dropped, whatever mix of fates (property)", () => {
    type Fate = "ok" | "unknown-ip" | "closed-port" | "down" | "removed" | "no-handler";
    const fates: Fate[] = ["ok", "unknown-ip", "closed-port", "down", "removed", "no-handler"];
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 5_000 }), fate: fc.constantFrom(...fates), dst: fc.integer({ min: 0, max: 2 }) }), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 6_000 }),
        (sends, toggleAt) => {
          const w = makeWorld({ seed: 3 });
          const src = spawn(w, "src", "a-us-east-1a-0");
          const dsts = [spawn(w, "d0", "a-us-east-1a-1"), spawn(w, "d1", "a-us-east-1b-0"), spawn(w, "d2", "b-eu-west-1a-0")];
          const down = spawn(w, "down", "a-us-east-1b-1");
          const removed = spawn(w, "removed", "b-eu-west-1a-0");
          w.sim.at(toggleAt, () => {
            w.net.setHostUp(down.host, false);
            w.net.removeHost(removed.host);
          });
          const expected: Record<string, number> = {};
          for (const s of sends) {
            const d = dsts[s.dst]!;
            const target =
              s.fate === "unknown-ip"
                ? address("10.200.0.9", 80)
                : s.fate === "closed-port"
                  ? address(d.host.ip, 9)
                  : s.fate === "down"
                    ? down.addr
                    : s.fate === "removed"
                      ? removed.addr
                      : d.addr;
            src.probe.sendAt(s.t, target, null, s.fate === "no-handler" ? "nope" : "msg");
          }
          w.sim.runUntilIdle();
          const st = w.net.stats;
          expect(st.sent).toBe(sends.length);
          expect(st.delivered + totalDropped(w.net) - (st.dropped.get("no-handler") ?? 0)).toBe(st.sent);
          const got = dsts.reduce((n, d) => n + d.probe.got.length, 0) + down.probe.got.length + removed.probe.got.length;
          expect(st.delivered - (st.dropped.get("no-handler") ?? 0)).toBe(got);
          expected["no-route"] = sends.filter((s) => s.fate === "unknown-ip").length;
          expected["port-closed"] = sends.filter((s) => s.fate === "closed-port").length;
          expect(st.dropped.get("no-route") ?? 0).toBeGreaterThanOrEqual(expected["no-route"]);
          expect(st.dropped.get("port-closed") ?? 0).toBe(expected["port-closed"]);
          expect(st.dropped.get("no-handler") ?? 0).toBe(sends.filter((s) => s.fate === "no-handler").length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("trace", () => {
  function traced(level: "off" | "summary" | "full") {
    const chunks: string[] = [];
    const w = makeWorld({ links: flatLinks(1_000), traceLevel: level, sinks: [(c) => chunks.push(c)] });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "b-eu-west-1a-0");
    a.probe.sendAt(0, b.addr, "hello");
    a.probe.sendAt(10, address(b.host.ip, 99), "closed");
    w.sim.at(2_000, () => w.net.partition({ clusters: ["a"] }, { clusters: ["b"] }, { direction: "to" }));
    a.probe.sendAt(2_500, b.addr, "blocked");
    w.sim.at(3_000, () => w.net.heal());
    w.sim.at(3_000, () => w.net.hold({ clusters: ["a"] }, { clusters: ["b"] }));
    a.probe.sendAt(3_100, b.addr, "held");
    w.sim.at(9_000, () => w.net.release());
    w.sim.runUntilIdle();
    w.sim.trace.flush();
    return { w, a, b, lines: chunks.join("").split("\n").filter(Boolean), events: parseTrace(chunks) };
  }

  it("at level full records send, deliver and drop with their fields, in a fixed key order", () => {
    const { lines, a, b, w } = traced("full");
    const A = `${a.host.ip}:80`;
    const B = `${b.host.ip}:80`;
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: "header", level: "full", seed: 1 });
    expect(lines.slice(1)).toEqual([
      `{"t":0,"type":"send","id":1,"kind":"msg","from":"${A}","to":"${B}"}`,
      `{"t":10,"type":"send","id":2,"kind":"msg","from":"${A}","to":"${b.host.ip}:99"}`,
      `{"t":1000,"type":"deliver","id":1,"kind":"msg","from":"${A}","to":"${B}","latency":1000}`,
      `{"t":1010,"type":"drop","id":2,"kind":"msg","from":"${A}","to":"${b.host.ip}:99","reason":"port-closed"}`,
      `{"t":2000,"type":"fault","id":1,"action":"partition","a":"clusters=a","b":"clusters=b","direction":"to"}`,
      `{"t":2500,"type":"send","id":3,"kind":"msg","from":"${A}","to":"${B}"}`,
      `{"t":2500,"type":"drop","id":3,"kind":"msg","from":"${A}","to":"${B}","reason":"partition"}`,
      `{"t":3000,"type":"revert","id":1,"action":"partition","released":0}`,
      `{"t":3000,"type":"fault","id":2,"action":"hold","a":"clusters=a","b":"clusters=b","direction":"both"}`,
      `{"t":3100,"type":"send","id":4,"kind":"msg","from":"${A}","to":"${B}"}`,
      `{"t":9000,"type":"revert","id":2,"action":"hold","released":1}`,
      `{"t":9000,"type":"deliver","id":4,"kind":"msg","from":"${A}","to":"${B}","latency":5900}`,
    ]);
    expect(w.sim.trace.count).toBe(lines.length - 1);
    expect(w.net.stats).toMatchObject({ sent: 4, delivered: 2, held: 1 });
  });

  it("at level summary records faults and reverts but no messages", () => {
    const { events, w } = traced("summary");
    expect(events.map((e) => e.type)).toEqual(["header", "fault", "revert", "fault", "revert"]);
    expect(events[1]).toEqual({ t: 2_000, type: "fault", id: 1, action: "partition", a: "clusters=a", b: "clusters=b", direction: "to" });
    expect(events[4]).toEqual({ t: 9_000, type: "revert", id: 2, action: "hold", released: 1 });
    // The counters are kept whatever the level.
    expect(w.net.stats).toMatchObject({ sent: 4, delivered: 2, held: 1 });
    expect(drops(w.net)).toEqual({ "port-closed": 1, partition: 1 });
  });

  it("at level off records nothing but the header", () => {
    const { events, w, b } = traced("off");
    expect(events.map((e) => e.type)).toEqual(["header"]);
    expect(w.sim.trace.count).toBe(0);
    expect(b.probe.bodies()).toEqual(["hello", "held"]);
    expect(drops(w.net)).toEqual({ "port-closed": 1, partition: 1 });
  });

  it("emits deliver events to trace listeners with the measured latency", () => {
    const w = makeWorld({ links: flatLinks(250), traceLevel: "full" });
    const a = spawn(w, "a", "a-us-east-1a-0");
    const b = spawn(w, "b", "a-us-east-1a-1");
    const latencies: number[] = [];
    w.sim.trace.on("deliver", (e) => latencies.push(e.latency));
    a.probe.sendAt(0, b.addr, 1);
    a.probe.sendAt(40, b.addr, 2);
    w.sim.runUntilIdle();
    expect(latencies).toEqual([250, 250]);
    expect(b.probe.times()).toEqual([250, 290]);
  });
});

describe("replies from outside the clusters", () => {
  it("lets a host outside answer a pod that reached it (the node's source NAT), and only then", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const node = w.topology.addExternalNode({ name: "internet", region: "us-east-1", zone: "us-east-1a" });
    const pod = spawn(w, "pod", "a-us-east-1a-0", { kinds: ["msg", "pong"] });
    const outside = spawn(w, "outside", node, { ip: "198.51.100.53", onReceive: (m, probe) => probe.reply(m, "pong", m.body) });
    outside.probe.sendAt(0, pod.addr, "unsolicited");
    pod.probe.sendAt(10_000, outside.addr, "ping");
    w.sim.runUntilIdle();
    expect(pod.probe.got.map((g) => [g.kind, g.body])).toEqual([["pong", "ping"]]);
    expect(drops(w.net)).toEqual({ "no-route": 1 });
  });
});
