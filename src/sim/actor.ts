import { checkDistribution, sample, type Distribution } from "./distribution.js";
import { Fifo } from "./fifo.js";
import type { Rng } from "./rng.js";
import type { Sim } from "./sim.js";
import type { Micros } from "./time.js";

/**
 * Where a message goes: an IP address and a port. The kernel treats it as an opaque name; the
 * network layer gives it meaning. `text` is `ip:port` (`[ip]:port` for IPv6), computed once.
 */
export interface Address {
  readonly ip: string;
  readonly port: number;
  readonly text: string;
}

/** Makes an {@link Address}. Make one per destination and keep it: sending allocates none. */
export function address(ip: string, port: number): Address {
  return { ip, port, text: ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}` };
}

/** A message between actors. Its body is plain data owned by the message: never mutate it after sending. */
export interface Message<B = unknown> {
  /** Unique within a world, in send order. Copies made by duplication share it. */
  readonly id: number;
  /** What the message is (`dns.query`, `ping`): selects the receiver's handler. */
  readonly kind: string;
  readonly from: Address;
  readonly to: Address;
  readonly body: B;
  /** When it was sent. */
  readonly sentAt: Micros;
  /**
   * The address the sender used when the network rewrote it (a Service's cluster IP, DNATed to a
   * backend): replies come from it, as conntrack reverses the translation. Undefined otherwise.
   */
  readonly via?: Address | undefined;
}

/** Carries messages between actors; the network layer implements it. */
export interface Transport {
  /** `source`, when given, is the address the message appears to come from (a reply through a NAT). */
  send(from: Actor, to: Address, kind: string, body: unknown, source?: Address): void;
  /** Counts and traces a message that an actor dropped after it arrived (a full queue, no handler). */
  dropped(message: Message, reason: string): void;
}

/** Who an actor is: the Kubernetes-style identity it is reported under. */
export interface ActorId {
  /** The cluster it runs in; `""` for actors outside any cluster. */
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * How an actor serves what it receives, so that latency grows with load as in real servers:
 * `workers` messages are served at once, each for a time drawn from `serviceTime`; the rest wait
 * in a queue, and beyond `queueLimit` waiting messages new ones are dropped (`queue-full`).
 */
export interface ServiceModel {
  readonly workers: number;
  readonly serviceTime: Distribution;
  readonly queueLimit: number;
}

/** Receives messages of one kind. */
export type MessageHandler<B> = (message: Message<B>) => void;

interface ServiceState {
  readonly model: ServiceModel;
  readonly rng: Rng;
  readonly queue: Fifo<Message>;
  busy: number;
}

/**
 * The base of every actor: an identity, an address once the network binds it, handlers by
 * message kind, and an optional {@link ServiceModel}. Actors exchange data only by messages
 * through their transport, never by calling each other (DESIGN.md, 'Actors and messages').
 */
export abstract class Actor {
  /** `cluster/namespace/name`, or `namespace/name` outside a cluster. */
  readonly label: string;
  /** Set by the network when it binds the actor to a host and port. */
  address: Address | null = null;
  /** Set by the network when it binds the actor. */
  transport: Transport | null = null;

  private readonly handlers = new Map<string, MessageHandler<never>>();
  private readonly service: ServiceState | null;

  constructor(
    readonly sim: Sim,
    readonly id: ActorId,
    options: { readonly service?: ServiceModel } = {},
  ) {
    this.label = id.cluster ? `${id.cluster}/${id.namespace}/${id.name}` : `${id.namespace}/${id.name}`;
    const model = options.service;
    if (model) {
      if (!(Number.isInteger(model.workers) && model.workers >= 1)) {
        throw new RangeError(`${this.label}: a service model needs at least 1 worker, got ${model.workers}`);
      }
      if (!(model.queueLimit >= 0)) {
        throw new RangeError(`${this.label}: queueLimit must be 0 or more, got ${model.queueLimit}`);
      }
      checkDistribution(model.serviceTime);
      this.service = { model, rng: sim.rng.stream(`actor/${this.label}/service`), queue: new Fifo(), busy: 0 };
    } else {
      this.service = null;
    }
  }

  /** Messages waiting for a worker (0 without a service model). */
  get queued(): number {
    return this.service ? this.service.queue.length : 0;
  }

  /** Registers the handler for one kind of message. */
  protected handle<B>(kind: string, handler: MessageHandler<B>): void {
    this.handlers.set(kind, handler as MessageHandler<never>);
  }

  /** Sends a message from this actor's address. */
  send(to: Address, kind: string, body: unknown): void {
    if (!this.transport) throw new Error(`${this.label} is not attached to a network, so it cannot send`);
    this.transport.send(this, to, kind, body);
  }

  /** Sends a message back to where `message` came from, from the address it was sent to. */
  reply(message: Message, kind: string, body: unknown): void {
    if (!this.transport) throw new Error(`${this.label} is not attached to a network, so it cannot send`);
    this.transport.send(this, message.from, kind, body, message.via);
  }

  /**
   * Where the transport hands each arriving message. With a service model the message waits for
   * a worker and is handled when its service time ends; without one it is handled at once.
   */
  receive(message: Message): void {
    const s = this.service;
    if (!s) {
      this.dispatch(message);
      return;
    }
    if (s.busy < s.model.workers) {
      this.startService(message);
    } else if (s.queue.length < s.model.queueLimit) {
      s.queue.push(message);
    } else {
      this.drop(message, "queue-full");
    }
  }

  /** Runs the handler for the message's kind; a kind with no handler goes to {@link unhandled}. */
  protected dispatch(message: Message): void {
    const handler = this.handlers.get(message.kind);
    if (handler) (handler as MessageHandler<unknown>)(message);
    else this.unhandled(message);
  }

  /** What happens to a message nobody handles: by default it is dropped (`no-handler`). */
  protected unhandled(message: Message): void {
    this.drop(message, "no-handler");
  }

  /** Drops a message that arrived, saying why; the transport counts and traces it. */
  protected drop(message: Message, reason: string): void {
    this.transport?.dropped(message, reason);
  }

  private startService(message: Message): void {
    const s = this.service!;
    s.busy++;
    this.sim.after(sample(s.model.serviceTime, s.rng), this.finishService, message);
  }

  private readonly finishService = (message: Message): void => {
    const s = this.service!;
    s.busy--;
    const next = s.queue.shift();
    if (next) this.startService(next);
    this.dispatch(message);
  };
}
