import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIP, type Server, type Socket as TcpSocket } from "node:net";
import { addBridgeHost, DnsBridge, type WireTransport } from "../dns/bridge.js";
import { buildScenarioWorld } from "../scenario/run.js";
import type { Scenario } from "../scenario/spec.js";
import type { World } from "../scenario/world.js";
import { Fifo } from "../sim/fifo.js";
import { formatDuration, type Micros } from "../sim/time.js";
import { EXIT, UsageError } from "./options.js";
import { checkCluster, readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim serve-dns`. */
export interface ServeDnsFlags {
  cluster: string;
  listen: ListenAddress;
  /** Simulated instant to start serving at; default the end of the scenario's warmup. */
  at?: Micros;
  seed?: number;
  /** Queries per second allowed from one client address. */
  rateLimit: number;
}

/** Where to listen: an IP address and a port, for both UDP and TCP. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** `host:port`, or `[host]:port` for IPv6. */
  readonly text: string;
}

/** The default `--listen`: loopback, so that nothing beyond this machine can reach the server unless asked. */
export const DEFAULT_LISTEN = "127.0.0.1:5353";

/**
 * `--listen HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` on loopback. The host must be an IP
 * address: a name could resolve to several, and the server binds one.
 */
export function listenOption(value: string): ListenAddress {
  const bad = (why: string) => new UsageError(`--listen ${JSON.stringify(value)}: ${why}; expected HOST:PORT with HOST an IP address, e.g. ${DEFAULT_LISTEN} or [::1]:5353`);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  if (!m) throw bad("cannot read it");
  const host = m[1] || m[2] || "127.0.0.1";
  const family = isIP(host);
  if (family === 0) throw bad(`${JSON.stringify(host)} is not an IP address`);
  if (m[1] !== undefined && family !== 6) throw bad("only IPv6 addresses go in brackets");
  const portText = m[3]!;
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65_535) throw bad(`the port must be a number from 1 to 65535, got ${JSON.stringify(portText)}`);
  return { host, port, text: family === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** A scenario's world run to an instant, with a bridge into one cluster's DNS service. */
export interface ClusterDns {
  readonly world: World;
  readonly bridge: DnsBridge;
  readonly cluster: string;
  /** The kube-dns Service's ClusterIP, where the bridge sends queries. */
  readonly server: string;
}

/**
 * Builds the scenario's world (traffic and faults as the scenario schedules them), runs it to
 * `at` (default: the end of warmup, when pods run and caches are warm) and opens a bridge into
 * `cluster`'s DNS service.
 *
 * @throws UsageError for a cluster the scenario does not have (naming the nearest), or one without DNS.
 */
export function openClusterDns(scenario: Scenario, cluster: string, options: { readonly at?: Micros; readonly seed?: number } = {}): ClusterDns {
  checkCluster(scenario, cluster, "--cluster");
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off", ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  world.runUntil(options.at ?? scenario.spec.warmup);
  const kube = world.cluster(cluster);
  const server = kube.api.get("Service", "kube-system", "kube-dns")?.spec.clusterIP;
  if (!server || server === "None") throw new UsageError(`--cluster ${cluster}: the cluster has no kube-dns Service with a ClusterIP to serve`);
  // The bridge's host is a pod-network host on the cluster's first node (see addBridgeHost): a
  // client inside the cluster, whose queries reach kube-dns through kube-proxy as a pod's do.
  const host = addBridgeHost(world.network, kube.topology.nodes[0]!, `${cluster}/mcsim-serve-dns`);
  return { world, cluster, server, bridge: new DnsBridge({ sim: world.sim, network: world.network, host, server }) };
}

/** How much a {@link DnsWireServer} takes on before it sheds load. */
export interface WireServerLimits {
  /** Queries per second from one client address (a token bucket holding one second's worth). */
  readonly rateLimit: number;
  /** Queries waiting for the bridge, over all clients: past it UDP queries are dropped and TCP connections closed. */
  readonly maxQueued?: number;
  /** Queries waiting from one TCP connection: past it the connection is closed. */
  readonly maxPerConnection?: number;
  /** TCP connections open at once: past it new ones are closed at once. */
  readonly maxConnections?: number;
  /** Wall-clock milliseconds a TCP connection may stay silent (CoreDNS's `timeouts` idle default). */
  readonly idleTimeout?: number;
}

/** Counters of a {@link DnsWireServer}. */
export interface WireServerStats {
  queries: number;
  replies: number;
  /** Queries shed: over the rate limit or the queue bound. */
  shed: number;
  /** TCP connections closed for going over a limit. */
  closed: number;
}

/** A query waiting for the bridge, and where its reply goes. */
interface Job {
  readonly bytes: Buffer;
  readonly transport: WireTransport;
  readonly source: string;
  readonly connection: Connection | null;
  readonly rinfo: RemoteInfo | null;
}

/** A TCP connection's state: bytes of a message not yet complete, and how many of its queries wait. */
interface Connection {
  readonly socket: TcpSocket;
  readonly source: string;
  buffered: Buffer;
  queued: number;
}

/** One client address's token bucket. */
interface Bucket {
  tokens: number;
  /** Wall-clock milliseconds of the last refill. */
  at: number;
}

/** The most client addresses whose buckets are remembered; a forgotten one starts full again, as an idle one would be. */
const MAX_BUCKETS = 4096;
/** Queries answered per turn of the event loop, so that sockets and signals are heard between them. */
const BATCH = 64;
/** A TCP connection whose replies pile up unread this far is closed (a client that never reads). */
const MAX_UNREAD = 1 << 20;

/**
 * DNS over UDP and TCP on one address and port, in front of a bridge: RFC 1035 framing over TCP
 * (a 2-byte length before each message, several messages per connection, split anyhow across
 * reads), a per-client rate limit, and a bound on the queries waiting. The bridge runs one query
 * at a time; queries wait in one queue, answered in arrival order a batch per event-loop turn.
 */
export class DnsWireServer {
  /** Counters since the server started. */
  readonly stats: WireServerStats = { queries: 0, replies: 0, shed: 0, closed: 0 };
  /** Made by {@link listen}, for the address's family. */
  private udp: UdpSocket | null = null;
  private readonly tcp: Server;
  private readonly connections = new Set<Connection>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly queue = new Fifo<Job>();
  private drain: NodeJS.Immediate | null = null;
  private readonly maxQueued: number;
  private readonly maxPerConnection: number;
  private readonly maxConnections: number;
  private readonly idleTimeout: number;

  constructor(
    private readonly bridge: Pick<DnsBridge, "answer">,
    private readonly limits: WireServerLimits,
    /** Called when the bridge throws (a bug in the simulation): the server is closed first. */
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.maxQueued = limits.maxQueued ?? 1024;
    this.maxPerConnection = limits.maxPerConnection ?? 64;
    this.maxConnections = limits.maxConnections ?? 128;
    this.idleTimeout = limits.idleTimeout ?? 10_000;
    this.tcp = createServer((socket) => this.accept(socket));
  }

  /**
   * Binds UDP, then TCP, on the address.
   *
   * @throws UsageError (as a rejection) when either cannot bind: the port in use, an address no interface has.
   */
  async listen(at: ListenAddress): Promise<void> {
    const udp = createSocket(isIP(at.host) === 6 ? { type: "udp6", ipv6Only: true } : { type: "udp4" });
    this.udp = udp;
    udp.on("message", (bytes, rinfo) => this.onDatagram(bytes, rinfo));
    try {
      await bindOrExplain(at, "udp", (done) => {
        udp.once("error", done);
        udp.bind({ address: at.host, port: at.port, exclusive: true }, () => {
          udp.off("error", done);
          done(null);
        });
      });
      await bindOrExplain(at, "tcp", (done) => {
        this.tcp.once("error", done);
        this.tcp.listen({ host: at.host, port: at.port, exclusive: true, ipv6Only: isIP(at.host) === 6 }, () => {
          this.tcp.off("error", done);
          done(null);
        });
      });
    } catch (e) {
      this.close();
      throw e;
    }
    // Errors after binding (a reply to a client that went away) concern one client, not the server.
    udp.on("error", () => {});
  }

  /** Stops listening, closes every connection and forgets the queries waiting. */
  close(): void {
    if (this.drain) clearImmediate(this.drain);
    this.drain = null;
    this.queue.drain();
    try {
      this.udp?.close();
    } catch {
      // It never bound, or is closed already.
    }
    this.tcp.close();
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
  }

  private onDatagram(bytes: Buffer, rinfo: RemoteInfo): void {
    this.stats.queries++;
    if (!this.allow(rinfo.address) || this.queue.length >= this.maxQueued) {
      this.stats.shed++;
      return;
    }
    this.enqueue({ bytes, transport: "udp", source: `udp ${rinfo.address}:${rinfo.port}`, connection: null, rinfo });
  }

  private accept(socket: TcpSocket): void {
    if (this.connections.size >= this.maxConnections) {
      this.stats.closed++;
      socket.destroy();
      return;
    }
    const connection: Connection = { socket, source: `tcp ${socket.remoteAddress}:${socket.remotePort}`, buffered: Buffer.alloc(0), queued: 0 };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.setTimeout(this.idleTimeout, () => socket.destroy());
    socket.on("data", (chunk) => this.onBytes(connection, chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.connections.delete(connection));
  }

  /** Cuts a connection's bytes into messages by their 2-byte length prefixes, keeping any incomplete tail. */
  private onBytes(c: Connection, chunk: Buffer): void {
    let buffered = c.buffered.length ? Buffer.concat([c.buffered, chunk]) : chunk;
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const bytes = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      this.stats.queries++;
      if (!this.allow(c.socket.remoteAddress ?? "") || this.queue.length >= this.maxQueued || c.queued >= this.maxPerConnection) {
        this.stats.shed++;
        this.stats.closed++;
        c.socket.destroy();
        return;
      }
      c.queued++;
      this.enqueue({ bytes, transport: "tcp", source: c.source, connection: c, rinfo: null });
    }
    // A copy of the tail, so that the chunk it came from can be let go.
    c.buffered = buffered.length ? Buffer.from(buffered) : Buffer.alloc(0);
  }

  /** True when the client address has a token left; takes it. */
  private allow(client: string): boolean {
    const now = performance.now();
    const rate = this.limits.rateLimit;
    let bucket = this.buckets.get(client);
    if (bucket) {
      this.buckets.delete(client);
      bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
    } else {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: rate, at: now };
    }
    // Most recently used last, so that the one forgotten first is the one idle longest.
    this.buckets.set(client, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.drain ??= setImmediate(this.work);
  }

  /** Answers up to a batch of waiting queries, then yields to the event loop. */
  private readonly work = (): void => {
    this.drain = null;
    for (let n = 0; n < BATCH; n++) {
      const job = this.queue.shift();
      if (!job) return;
      const c = job.connection;
      if (c) {
        c.queued--;
        if (c.socket.destroyed) continue;
      }
      let reply: Uint8Array | null;
      try {
        reply = this.bridge.answer(job.bytes, job.transport, job.source);
      } catch (e) {
        this.close();
        this.onFailure(e);
        return;
      }
      if (!reply) continue;
      this.stats.replies++;
      if (c) this.writeFramed(c, reply);
      else this.udp?.send(reply, job.rinfo!.port, job.rinfo!.address);
    }
    if (this.queue.length > 0) this.drain = setImmediate(this.work);
  };

  private writeFramed(c: Connection, reply: Uint8Array): void {
    if (c.socket.writableLength > MAX_UNREAD) {
      this.stats.closed++;
      c.socket.destroy();
      return;
    }
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    frame.set(reply, 2);
    c.socket.write(frame);
  }
}

/** Runs a bind, turning its error into a UsageError that says what to do. */
function bindOrExplain(at: ListenAddress, transport: WireTransport, bind: (done: (error: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    bind((error) => {
      if (!error) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "EADDRINUSE"
          ? `the port is in use (${transport}); stop what listens there or pick another port`
          : code === "EADDRNOTAVAIL"
            ? "no interface of this machine has that address"
            : code === "EACCES"
              ? `permission denied (${transport}); ports below 1024 need privileges, so pick a higher one`
              : `cannot listen there (${transport}: ${code ?? error.message})`;
      reject(new UsageError(`--listen ${at.text}: ${why}`));
    });
  });
}

/**
 * `mcsim serve-dns SCENARIO --cluster NAME`: builds the world, runs it to `--at`, and answers real
 * DNS queries on `--listen` with the simulated cluster DNS's answers until SIGINT or SIGTERM.
 * Bad input is thrown (UsageError and the scenario's own errors) before anything listens; a bind
 * failure is reported once the sockets have tried, with exit code 2.
 */
export function serveDnsCommand(file: string, flags: ServeDnsFlags): void {
  const { scenario } = readScenarioFile(file);
  const dns = openClusterDns(scenario, flags.cluster, {
    ...(flags.at !== undefined ? { at: flags.at } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  });
  const signals = ["SIGINT", "SIGTERM"] as const;
  const stop = (): void => {
    for (const s of signals) process.off(s, stop);
    server.close();
    process.stderr.write(`mcsim: stopped serving after ${server.stats.replies} replies to ${server.stats.queries} queries; simulated clock at ${formatDuration(dns.world.sim.now)}\n`);
  };
  const server = new DnsWireServer(dns.bridge, { rateLimit: flags.rateLimit }, (e) => {
    for (const s of signals) process.off(s, stop);
    process.stderr.write(`mcsim: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = EXIT.internal;
  });
  server.listen(flags.listen).then(
    () => {
      for (const s of signals) process.on(s, stop);
      process.stdout.write(`serving cluster ${dns.cluster}'s DNS (${dns.server}) on ${flags.listen.text} (udp, tcp) at simulated ${formatDuration(dns.world.sim.now)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`mcsim: ${(e as Error).message}\n`);
      process.exitCode = EXIT.badInput;
    },
  );
}
