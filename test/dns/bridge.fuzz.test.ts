/**
 * Fuzzing the wire bridge: random, mutated and well-formed packets (bridge-world.ts's anyPacket)
 * sent to a DnsWireServer over real UDP and TCP sockets on loopback, then checks that the server
 * still answers correctly and that nothing grew without bound (the bridge's simulated sockets and
 * the bridge host's listeners within their limit, the server's queue drained, TCP connections
 * closed, heap growth modest). And a property of DnsBridge.answer itself: it never throws, and a
 * reply echoes the id and decodes (RFC 1035 §4.1.1).
 */

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect } from "node:net";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsWireServer } from "../../src/cli/serve-dns.js";
import { addBridgeHost, DnsBridge } from "../../src/dns/bridge.js";
import type { Host } from "../../src/net/host.js";
import { rcodeOf } from "../../src/dns/message.js";
import { anyPacket, clusterDns, queryBytes } from "./bridge-world.js";
import { freePort } from "../cli/free-port.js";

const PACKETS = 10_000;
const TCP_PACKETS = 1_000;
const MAX_SOCKETS = 16;
const CLIENTS = 40;

const dns = clusterDns();
const webIp = dns.world.cluster("east").api.get("Service", "shop", "web")!.spec.clusterIP!;
let host: Host;
let bridge: DnsBridge;
let server: DnsWireServer;
let port = 0;
const failures: unknown[] = [];

/** The server's private state, read for the bounds. */
const internals = (s: DnsWireServer) => s as unknown as { queue: { length: number }; connections: Set<unknown>; buckets: Map<string, unknown> };

async function until(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Asks web A over UDP from a fresh socket and returns the decoded reply. */
async function askUdp(id: number): Promise<dnsPacket.Packet> {
  const s = createSocket("udp4");
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no reply")), 5_000);
      s.on("message", (m) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(m));
      });
      s.send(queryBytes({ name: "web.shop.svc.cluster.local", type: "A", id }), port, "127.0.0.1");
    });
  } finally {
    s.close();
  }
}

beforeAll(async () => {
  // A bridge of its own, with few sockets, so that the fuzz's many sources go past the limit.
  host = addBridgeHost(dns.world.network, dns.world.cluster("east").topology.nodes[1]!, "east/fuzz-bridge");
  bridge = new DnsBridge({ sim: dns.world.sim, network: dns.world.network, host, server: dns.server, maxSockets: MAX_SOCKETS });
  server = new DnsWireServer(bridge, { rateLimit: 1e9, maxQueued: 4096 }, (e) => failures.push(e));
  port = await freePort();
  await server.listen({ host: "127.0.0.1", port, text: `127.0.0.1:${port}` });
});

afterAll(() => server?.close());

describe("DnsWireServer under fuzzing over real sockets (RFC 1035 §4.2; miekg/dns's accept rules)", () => {
  it(`takes ${PACKETS.toLocaleString("en-US")} random and mutated UDP packets from ${CLIENTS} clients, then still answers; memory stays bounded`, async () => {
    const packets = fc.sample(anyPacket, { numRuns: PACKETS, seed: 20_261_207 });
    const clients: UdpSocket[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const s = createSocket("udp4");
      s.on("message", () => {});
      await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
      clients.push(s);
    }
    const heapBefore = process.memoryUsage().heapUsed;
    let sent = 0;
    const before = server.stats.queries;
    // Batches small enough for the loopback receive buffer: the count received is then exact.
    for (let at = 0; at < packets.length; at += 100) {
      const batch = packets.slice(at, at + 100);
      await Promise.all(batch.map((p, i) => new Promise<void>((r, j) => clients[(at + i) % CLIENTS]!.send(p, port, "127.0.0.1", (e) => (e ? j(e) : r())))));
      sent += batch.length;
      await until("the batch to be answered", () => server.stats.queries - before === sent && internals(server).queue.length === 0);
      expect(bridge.openSockets).toBeLessThanOrEqual(MAX_SOCKETS);
      expect(host.listeners.size).toBeLessThanOrEqual(MAX_SOCKETS);
    }
    for (const s of clients) s.close();
    expect(failures).toEqual([]);
    expect(server.stats.queries - before).toBe(PACKETS);
    expect(server.stats.shed).toBe(0);
    // Every kind of outcome happened: answered, rejected (FORMERR/NOTIMP) and dropped.
    expect(bridge.stats.answered).toBeGreaterThan(PACKETS / 10);
    expect(bridge.stats.rejected).toBeGreaterThan(PACKETS / 20);
    expect(bridge.stats.dropped).toBeGreaterThan(PACKETS / 20);
    expect(bridge.openSockets).toBe(MAX_SOCKETS);
    expect(internals(server).queue.length).toBe(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);

    const reply = await askUdp(31_337);
    expect(reply.id).toBe(31_337);
    expect(rcodeOf(reply)).toBe("NOERROR");
    expect(reply.answers?.map((a) => (a as { data: unknown }).data)).toEqual([webIp]);
  }, 60_000);

  it(`takes ${TCP_PACKETS.toLocaleString("en-US")} fuzzed messages over TCP, framed and split anyhow (RFC 7766 §8), closes every connection, then still answers over TCP`, async () => {
    const packets = fc.sample(anyPacket, { numRuns: TCP_PACKETS, seed: 7 });
    const splits = fc.sample(fc.integer({ min: 1, max: 40 }), { numRuns: TCP_PACKETS, seed: 8 });
    const connections = 10;
    await Promise.all(
      Array.from({ length: connections }, (_, c) =>
        new Promise<void>((resolve) => {
          const socket = connect(port, "127.0.0.1");
          socket.on("data", () => {});
          socket.on("error", () => {});
          socket.on("close", () => resolve());
          socket.on("connect", async () => {
            for (let i = c; i < packets.length; i += connections) {
              const p = packets[i]!;
              const frame = Buffer.alloc(2 + p.length);
              frame.writeUInt16BE(p.length, 0);
              p.copy(frame, 2);
              // Written in pieces, as a network may deliver it.
              for (let o = 0; o < frame.length; o += splits[i]!) socket.write(frame.subarray(o, o + splits[i]!));
              if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
            }
            // One connection ends with half a frame and a length prefix promising more.
            if (c === 0) socket.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
            setTimeout(() => socket.end(), 200);
          });
        }),
      ),
    );
    await until("the connections to close", () => internals(server).connections.size === 0 && internals(server).queue.length === 0);
    expect(failures).toEqual([]);
    expect(bridge.openSockets).toBeLessThanOrEqual(MAX_SOCKETS);
    expect(host.listeners.size).toBeLessThanOrEqual(MAX_SOCKETS);

    const reply = await new Promise<dnsPacket.Packet>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let got = Buffer.alloc(0);
      socket.on("error", reject);
      socket.on("data", (d) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
          socket.destroy();
          resolve(dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0))));
        }
      });
      const q = queryBytes({ name: "web.shop.svc.cluster.local", type: "A", id: 4711 });
      const frame = Buffer.alloc(2 + q.length);
      frame.writeUInt16BE(q.length, 0);
      q.copy(frame, 2);
      socket.write(frame);
    });
    expect(reply.id).toBe(4711);
    expect(reply.answers?.map((a) => (a as { data: unknown }).data)).toEqual([webIp]);
  }, 60_000);
});

describe("DnsBridge.answer on any bytes (RFC 1035 §4.1.1)", () => {
  it("answers `. A` with the root's SOA, a reply every client can decode (the upstream once wrote the name `ns1..`)", () => {
    const direct = clusterDns();
    const bytes = Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]);
    const reply = dnsPacket.decode(Buffer.from(direct.bridge.answer(bytes, "udp", "root")!));
    const soa = reply.authorities?.find((a) => a.type === "SOA");
    expect(soa?.name).toBe(".");
    expect((soa as { data: { mname: string; rname: string } }).data).toMatchObject({ mname: "a.root-servers.net", rname: "nstld.verisign-grs.com" });
    expect(direct.bridge.answer(queryBytes({ name: "web.shop.svc.cluster.local", type: "A" }), "udp", "root")).not.toBeNull();
  });

  it("never throws; a reply echoes the message's id, is a response and decodes", () => {
    const direct = clusterDns();
    fc.assert(
      fc.property(anyPacket, fc.constantFrom("udp" as const, "tcp" as const), fc.integer({ min: 0, max: 5 }), (bytes, transport, source) => {
        const reply = direct.bridge.answer(bytes, transport, `src-${source}`);
        if (reply === null) return;
        expect(reply.length).toBeGreaterThanOrEqual(12);
        const decoded = dnsPacket.decode(Buffer.from(reply));
        expect(decoded.id).toBe(bytes.readUInt16BE(0));
        expect(decoded.type).toBe("response");
        // The largest EDNS size anyPacket advertises is 4096 (RFC 6891 §6.2.5: the reply fits it).
        if (transport === "udp") expect(reply.length).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 3_000, seed: 42 },
    );
    expect(direct.bridge.openSockets).toBeLessThanOrEqual(6);
  });
});
