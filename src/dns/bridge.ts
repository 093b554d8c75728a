import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import type { Node } from "../net/topology.js";
import { address, type Address } from "../sim/actor.js";
import type { Sim } from "../sim/sim.js";
import { SECOND, type Micros } from "../sim/time.js";
import { DnsClientSocket, FIRST_EPHEMERAL_PORT, LAST_EPHEMERAL_PORT, openClientSocket, runUntilDone } from "./client-socket.js";
import { DNS_PORT } from "./coredns.js";
import { RCODE, type Packet, type Question } from "./message.js";

/**
 * The wire bridge: DNS messages as bytes from outside the simulation (a real `dig`) in, the
 * simulation's answer as bytes out. It is pure and synchronous: no sockets and no clock of its
 * own. Each query is sent into the world from a simulated client host and the world's clock is
 * run until the simulated reply comes back, so what the client gets is what a pod in the
 * cluster would get at that simulated instant.
 *
 * Bytes that are not a query are handled as CoreDNS's server library (miekg/dns) handles them:
 * fewer than 12 bytes, or a response, is dropped without a word (any reply to garbage can be used
 * to amplify an attack); a header that parses over a body that does not is FORMERR.
 */

/** How a query reached the bridge; the simulated query travels the same way. */
export type WireTransport = "udp" | "tcp";

/** How long the simulation may take to answer a query before the bridge gives up on it. */
export const DEFAULT_BRIDGE_DEADLINE: Micros = 5 * SECOND;

/** The most query sources that keep a simulated socket of their own. */
export const DEFAULT_BRIDGE_SOCKETS = 256;

/** Options of a {@link DnsBridge}. */
export interface DnsBridgeOptions {
  readonly sim: Sim;
  readonly network: Network;
  /** The simulated host queries are sent from: one inside the cluster, so that kube-proxy routes its traffic (see {@link addBridgeHost}). */
  readonly host: Host;
  /** The DNS service's address, port 53: the cluster's kube-dns ClusterIP. */
  readonly server: string;
  /**
   * Simulated time a query may take; default {@link DEFAULT_BRIDGE_DEADLINE}, glibc's and dig's
   * timeout. Past it the bridge answers nothing: the simulated reply was lost (no endpoints, a
   * partition, a full queue) and a client in the cluster would have heard nothing either, so the
   * real client times out and retries, as it would there.
   */
  readonly deadline?: Micros;
  /** See {@link DEFAULT_BRIDGE_SOCKETS}. */
  readonly maxSockets?: number;
}

/** What a bridge has done, by outcome. */
export interface DnsBridgeStats {
  /** Queries the simulation answered. */
  answered: number;
  /** Messages answered FORMERR or NOTIMP without entering the simulation. */
  rejected: number;
  /** Garbage and responses, dropped. */
  dropped: number;
  /** Queries the simulation did not answer before the deadline. */
  timedOut: number;
}

const HEADER_SIZE = 12;
const QR = 0x8000;
const OPCODE_MASK = 0x7800;
const AA = 0x0400;
const Z = 0x0040;
const RCODE_MASK = 0x000f;
const OPCODE_QUERY = 0;

/** The fixed header of a message, read without dns-packet so that short garbage costs nothing. */
interface Header {
  readonly id: number;
  readonly flags: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/**
 * Answers DNS queries given as bytes with what the simulated cluster's DNS answers; see the
 * module comment. One query at a time, synchronously: {@link answer} runs the world's clock, so
 * nothing else may run it meanwhile.
 */
export class DnsBridge {
  /** Counters by outcome. */
  readonly stats: DnsBridgeStats = { answered: 0, rejected: 0, dropped: 0, timedOut: 0 };
  private readonly sim: Sim;
  private readonly network: Network;
  private readonly host: Host;
  private readonly server: Address;
  private readonly deadline: Micros;
  private readonly maxSockets: number;
  /** Sockets by source, least recently used first. */
  private readonly sockets = new Map<string, DnsClientSocket>();
  /** Where the search for the next socket's port starts: each new socket takes the next free one, round the range. */
  private nextPort = FIRST_EPHEMERAL_PORT;
  /** Simulated query ids, one counter across sockets so that a late reply never matches a newer query. */
  private nextId = 0;

  constructor(options: DnsBridgeOptions) {
    this.sim = options.sim;
    this.network = options.network;
    this.host = options.host;
    this.server = address(options.server, DNS_PORT);
    this.deadline = options.deadline ?? DEFAULT_BRIDGE_DEADLINE;
    this.maxSockets = options.maxSockets ?? DEFAULT_BRIDGE_SOCKETS;
    if (!(Number.isSafeInteger(this.deadline) && this.deadline > 0)) throw new RangeError(`the bridge's deadline must be a positive number of microseconds, got ${this.deadline}`);
    if (!(Number.isInteger(this.maxSockets) && this.maxSockets >= 1)) throw new RangeError(`the bridge needs at least 1 socket, got ${this.maxSockets}`);
  }

  /** Simulated sockets open now: at most `maxSockets`. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /**
   * The reply to one message from a client, or null for none (garbage, a response, or a query the
   * simulation did not answer in time). `source` names the client (`ip:port`, or a TCP
   * connection): each source has its own simulated socket. Never throws on any bytes.
   */
  answer(message: Uint8Array, transport: WireTransport, source: string): Uint8Array | null {
    const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    const header = readHeader(bytes);
    if (!header || header.flags & QR) {
      this.stats.dropped++;
      return null;
    }
    // miekg/dns's default accept function: only queries, with one question and little else.
    if ((header.flags & OPCODE_MASK) >> 11 !== OPCODE_QUERY) return this.reject(header, "NOTIMP");
    if (header.qdcount !== 1 || header.ancount > 1 || header.nscount > 1 || header.arcount > 2) return this.reject(header, "FORMERR");
    let query: Packet;
    try {
      query = dnsPacket.decode(bytes);
    } catch {
      return this.reject(header, "FORMERR", questionOf(bytes));
    }
    const question = query.questions?.[0];
    // A name the simulation's strings cannot hold as sent (a dot or bytes that are not UTF-8
    // inside a label) would be answered for another name: refuse it as malformed instead.
    if (!question || !questionRoundTrips(question, bytes)) return this.reject(header, "FORMERR");
    const reply = this.exchange(query, transport, source);
    if (!reply) {
      this.stats.timedOut++;
      return null;
    }
    const out = decodableOrNull(encodeOrNull({ ...reply, id: header.id }));
    if (out) this.stats.answered++;
    else this.stats.dropped++;
    return out;
  }

  /** Sends the query into the world and runs the clock until its reply arrives or the deadline passes. */
  private exchange(query: Packet, transport: WireTransport, source: string): Packet | null {
    const socket = this.socketFor(source);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    let reply: Packet | null = null;
    const stopWaiting = socket.ask(this.server, { ...query, id }, transport, (r) => {
      reply = r.packet;
      this.sim.stop("the bridge's reply arrived");
    });
    runUntilDone(this.sim, () => reply !== null, this.sim.now + this.deadline);
    stopWaiting();
    return reply;
  }

  /** The source's socket, made (and the least recently used one closed, past the limit) if it has none. */
  private socketFor(source: string): DnsClientSocket {
    let socket = this.sockets.get(source);
    if (socket) {
      this.sockets.delete(source);
      this.sockets.set(source, socket);
      return socket;
    }
    if (this.sockets.size >= this.maxSockets) {
      const [oldest, closed] = this.sockets.entries().next().value as [string, DnsClientSocket];
      this.sockets.delete(oldest);
      this.network.unbind(closed);
    }
    const opened = openClientSocket(this.network, this.sim, this.host, "serve-dns", this.nextPort);
    this.nextPort = opened.port === LAST_EPHEMERAL_PORT ? FIRST_EPHEMERAL_PORT : opened.port + 1;
    this.sockets.set(source, opened.socket);
    return opened.socket;
  }

  /**
   * What miekg/dns writes for a message it will not serve: the query's header with QR set, AA and
   * Z cleared and the rcode given (opcode QUERY for FORMERR, the query's own for NOTIMP), the
   * question when it could be read, and no records.
   */
  private reject(header: Header, rcode: "FORMERR" | "NOTIMP", question?: Buffer): Uint8Array {
    this.stats.rejected++;
    const opcode = rcode === "NOTIMP" ? header.flags & OPCODE_MASK : 0;
    const flags = ((header.flags & ~(OPCODE_MASK | AA | Z | RCODE_MASK)) | QR | opcode | RCODE[rcode]) & 0xffff;
    const out = Buffer.alloc(HEADER_SIZE + (question?.length ?? 0));
    out.writeUInt16BE(header.id, 0);
    out.writeUInt16BE(flags, 2);
    out.writeUInt16BE(question ? 1 : 0, 4);
    question?.copy(out, HEADER_SIZE);
    return out;
  }
}

function readHeader(bytes: Buffer): Header | null {
  if (bytes.length < HEADER_SIZE) return null;
  return {
    id: bytes.readUInt16BE(0),
    flags: bytes.readUInt16BE(2),
    qdcount: bytes.readUInt16BE(4),
    ancount: bytes.readUInt16BE(6),
    nscount: bytes.readUInt16BE(8),
    arcount: bytes.readUInt16BE(10),
  };
}

/**
 * The question's bytes of a message whose later sections do not parse, if the question itself
 * does (miekg/dns unpacks sections in order, so its FORMERR carries the question it had read).
 */
function questionOf(bytes: Buffer): Buffer | undefined {
  const headOnly = Buffer.from(bytes);
  headOnly.fill(0, 6, HEADER_SIZE);
  try {
    const p = dnsPacket.decode(headOnly);
    const q = p.questions?.[0];
    if (!q || !questionRoundTrips(q, bytes)) return undefined;
    return bytes.subarray(HEADER_SIZE, dnsPacket.decode.bytes);
  } catch {
    return undefined;
  }
}

/** True when the question, encoded again, is the bytes it was read from: no name lost in the reading. */
function questionRoundTrips(question: Question, bytes: Buffer): boolean {
  const again = encodeOrNull({ id: 0, flags: 0, questions: [question] });
  return again !== null && bytes.length >= again.length && bytes.compare(again, HEADER_SIZE, again.length, HEADER_SIZE, again.length) === 0;
}

/**
 * The bytes if they decode again, else null. dns-packet writes some names it cannot read back (a
 * name with an empty label, such as `ns1..` — found by fuzzing): such a reply would be garbage to
 * the client, so it is dropped as one dns-packet cannot write at all (and counted as dropped).
 */
function decodableOrNull(bytes: Buffer | null): Buffer | null {
  if (!bytes) return null;
  try {
    dnsPacket.decode(bytes);
    return bytes;
  } catch {
    return null;
  }
}

/** The message in wire format, or null when dns-packet cannot write it. */
function encodeOrNull(p: Packet): Buffer | null {
  try {
    return dnsPacket.encode(p);
  } catch {
    return null;
  }
}

/**
 * Adds the host a {@link DnsBridge} sends from: a bare pod-network host on `node`, like a debug
 * pod (`kubectl run dig`) but with no Pod object, so that the cluster's DNS serves exactly what it
 * would without it. It takes the highest free address of the node's pod range, where the kubelet
 * (which counts up from .2) looks last, so pods started later get the addresses they would get
 * without it.
 *
 * @throws TopologyError when the node is outside the clusters or its range is full.
 */
export function addBridgeHost(network: Network, node: Node, name: string): Host {
  const range = node.podCidr;
  if (range) {
    const taken = new Set<string>();
    for (const h of network.hosts()) if (h.network === node.network) taken.add(h.ip);
    for (let i = range.size - 2; i >= 2; i--) {
      const ip = range.nth(i);
      if (!taken.has(ip)) return network.addHost({ name, node, ip });
    }
  }
  // No range, or a full one: addHost says which, in its own words.
  return network.addHost({ name, node });
}
