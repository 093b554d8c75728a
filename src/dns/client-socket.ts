import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import { Actor, type Address, type Message } from "../sim/actor.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import { DNS_QUERY, DNS_RESPONSE, type DnsQueryBody, type DnsResponseBody, type Packet } from "./message.js";

/**
 * A DNS client's socket inside the simulation, for the clients that stand for something outside
 * the model's own stub resolvers: the `serve-dns` bridge's real clients, and the lab's `dig` and
 * `nslookup`. It sends queries from one port of a host and hands each reply to the exchange it
 * answers, matched as the tools match them: by the server it came from, the message id and the
 * question (name without regard to case, and type). A reply nobody waits for (late, duplicated,
 * from elsewhere) is dropped.
 */

/** The first and last ephemeral ports: Linux's default range, where a client socket's port comes from. */
export const FIRST_EPHEMERAL_PORT = 32_768;
export const LAST_EPHEMERAL_PORT = 60_999;

/** What a reply was: the message as it arrived, and when. */
export interface DnsClientReply {
  readonly packet: Packet;
  readonly at: Micros;
  readonly transport: DnsQueryBody["transport"];
  /** Where it came from (the address the query was sent to, after conntrack undoes the DNAT). */
  readonly from: Address;
}

interface Waiting {
  readonly server: string;
  readonly name: string;
  readonly type: string;
  readonly onReply: (reply: DnsClientReply) => void;
}

/** One socket on a host; see the module comment. */
export class DnsClientSocket extends Actor {
  /** Exchanges waiting for their reply, by message id. */
  private readonly waiting = new Map<number, Waiting[]>();

  constructor(sim: Sim, host: Host, name: string) {
    super(sim, { cluster: host.node.cluster?.name ?? "", namespace: "mcsim", name });
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m) => this.onReply(m));
  }

  /**
   * Sends `query` to `server`; `onReply` gets its reply, once. Sending the same query again (a
   * retry with the same id) while it waits is allowed: the first reply to either answers it.
   * Returns a function that stops waiting.
   */
  ask(server: Address, query: Packet, transport: DnsQueryBody["transport"], onReply: (reply: DnsClientReply) => void): () => void {
    const q = query.questions?.[0];
    const id = query.id ?? 0;
    const waiting: Waiting = { server: server.ip, name: (q?.name ?? "").toLowerCase(), type: q?.type ?? "", onReply };
    const list = this.waiting.get(id);
    if (list) list.push(waiting);
    else this.waiting.set(id, [waiting]);
    this.resend(server, query, transport);
    return () => this.forget(id, waiting);
  }

  /** Sends a query again, as a retry: its reply goes to whoever waits for it. */
  resend(server: Address, query: Packet, transport: DnsQueryBody["transport"]): void {
    this.send(server, DNS_QUERY, { packet: query, transport } satisfies DnsQueryBody);
  }

  private onReply(m: Message<DnsResponseBody>): void {
    const p = m.body.packet;
    const list = this.waiting.get(p.id ?? 0);
    if (!list) return;
    const q = p.questions?.[0];
    const name = q?.name.toLowerCase();
    const match = list.find((w) => w.server === m.from.ip && w.name === name && w.type === q?.type);
    if (!match) return;
    this.forget(p.id ?? 0, match);
    match.onReply({ packet: p, at: this.sim.now, transport: m.body.transport, from: m.from });
  }

  private forget(id: number, waiting: Waiting): void {
    const list = this.waiting.get(id);
    if (!list) return;
    const i = list.indexOf(waiting);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(id);
  }
}

/**
 * Binds a new client socket to the first free ephemeral port of `host` from `from` on (wrapping
 * round the range), as the kernel gives a client socket a port of its own.
 *
 * @throws RangeError when every ephemeral port of the host is taken.
 */
export function openClientSocket(network: Network, sim: Sim, host: Host, name: string, from = FIRST_EPHEMERAL_PORT): { socket: DnsClientSocket; port: number } {
  const size = LAST_EPHEMERAL_PORT - FIRST_EPHEMERAL_PORT + 1;
  for (let i = 0; i < size; i++) {
    const port = FIRST_EPHEMERAL_PORT + ((from - FIRST_EPHEMERAL_PORT + i) % size);
    if (host.listeners.has(port)) continue;
    const socket = new DnsClientSocket(sim, host, `${name}-${port}`);
    network.bind(socket, host, port);
    return { socket, port };
  }
  throw new RangeError(`${host.name}: every ephemeral port (${FIRST_EPHEMERAL_PORT}-${LAST_EPHEMERAL_PORT}) is taken`);
}

/**
 * Runs the clock until `done()` or the deadline, whichever is first, for callers that wait on the
 * simulation from outside it (the bridge, the lab's tools). `done` is checked each time the clock
 * stops, so the handler that may finish the wait calls `sim.stop`; a stop for another reason does
 * not end the wait. Returns early only when the world's event budget runs out.
 */
export function runUntilDone(sim: Sim, done: () => boolean, deadline: Micros): void {
  while (!done() && sim.now < deadline) {
    if (sim.runUntil(deadline).stoppedBy === "budget") return;
  }
}
