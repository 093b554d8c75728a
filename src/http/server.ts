import { Actor, type ActorId, type Message, type ServiceModel } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import { MILLISECOND, type Micros } from "../sim/time.js";
import { HTTP_REQUEST, HTTP_RESPONSE, TCP_RST, TCP_SYN, TCP_SYNACK, type RequestBody, type ResetBody, type ResponseBody, type SegmentBody, type SynAckBody } from "./message.js";

/**
 * What a plaintext server's bytes make of a client's TLS handshake: BoringSSL's reason when the
 * answer to its ClientHello is not TLS (a DestinationRule's ISTIO_MUTUAL to a pod without a
 * sidecar, or to one whose PeerAuthentication is DISABLE).
 */
export const TLS_WRONG_VERSION = "268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER";

/**
 * What an application can be told to do wrong, each with a probability per request (0 to 1),
 * drawn independently in this order: `reset` the connection (Toxiproxy's reset_peer), `hang`
 * (never answer: Toxiproxy's timeout toxic), `abort` with a status (Istio's fault abort, Chaos
 * Mesh HTTPChaos `replace.code`), and `delay` the response (Istio's fault delay). A reset or a
 * hang ends the request there; otherwise the answer carries the status of the last abort that
 * fired, after the sum of the delays that fired.
 */
export interface HttpFault {
  readonly reset?: number;
  readonly hang?: number;
  readonly abort?: { readonly status: number; readonly probability: number };
  readonly delay?: { readonly delay: Micros; readonly probability: number };
}

/** How an {@link HttpServer} serves: its workers, service time and queue, and the status it answers with. */
export interface HttpServerOptions {
  readonly service: ServiceModel;
  /** The status of a normal answer (default 200). */
  readonly status?: number;
}

/**
 * The default service model of an app that gives none: 8 workers, a log-normal service time with
 * median 1ms and p99 5ms, and room for 1,000 waiting requests.
 */
export const DEFAULT_APP_SERVICE: ServiceModel = { workers: 8, serviceTime: { kind: "lognormal", median: MILLISECOND, p99: 5 * MILLISECOND }, queueLimit: 1000 };

/**
 * An application's HTTP server on one port of a pod. Its kernel accepts connections at once (the
 * SYN is answered with a SYN-ACK before any worker sees it, as the listen backlog does); each
 * request then waits for one of the {@link ServiceModel}'s workers and is answered when its
 * service time ends, so that latency grows with load. A request beyond the queue is dropped, and
 * its client times out. Faults added with {@link addFault} apply until removed.
 */
export class HttpServer extends Actor {
  private readonly faults: HttpFault[] = [];
  private readonly rng: Rng;
  private readonly status: number;
  /** Requests answered, by status, and connections reset or left hanging, for tests and reports. */
  readonly served = { responses: 0, resets: 0, hangs: 0 };

  constructor(sim: Sim, id: ActorId, options: HttpServerOptions) {
    super(sim, id, { service: options.service });
    this.status = options.status ?? 200;
    this.rng = sim.rng.stream(`http/${this.label}/faults`);
    this.handle<RequestBody>(HTTP_REQUEST, (m) => this.serve(m));
  }

  /** Makes the server misbehave as `fault` says until the returned function is called. */
  addFault(fault: HttpFault): () => void {
    this.faults.push(fault);
    return () => {
      const i = this.faults.indexOf(fault);
      if (i >= 0) this.faults.splice(i, 1);
    };
  }

  /** A SYN is the kernel's to answer, not a worker's: it skips the service model. */
  override receive(message: Message): void {
    if (message.kind === TCP_SYN) {
      const body = message.body as SegmentBody;
      this.reply(message, TCP_SYNACK, { conn: body.conn, server: this.address! } satisfies SynAckBody);
      return;
    }
    // A plaintext app reads a ClientHello as a bad request and closes: the client's TLS fails.
    if (message.kind === HTTP_REQUEST && (message.body as RequestBody).tls) {
      this.reply(message, TCP_RST, { conn: (message.body as RequestBody).conn, tls: TLS_WRONG_VERSION } satisfies ResetBody);
      return;
    }
    super.receive(message);
  }

  private serve(m: Message<RequestBody>): void {
    let delay = 0;
    let status = this.status;
    for (const f of this.faults) {
      if (f.reset !== undefined && this.rng.bernoulli(f.reset)) {
        this.served.resets++;
        this.reply(m, TCP_RST, { conn: m.body.conn } satisfies SegmentBody);
        return;
      }
      if (f.hang !== undefined && this.rng.bernoulli(f.hang)) {
        this.served.hangs++;
        return;
      }
      if (f.abort && this.rng.bernoulli(f.abort.probability)) status = f.abort.status;
      if (f.delay && this.rng.bernoulli(f.delay.probability)) delay += f.delay.delay;
    }
    this.served.responses++;
    const body: ResponseBody = { conn: m.body.conn, status };
    if (delay === 0) this.reply(m, HTTP_RESPONSE, body);
    // A pod stopped meanwhile (killed while the answer was delayed) answers nothing.
    else this.sim.after(delay, () => this.transport && this.reply(m, HTTP_RESPONSE, body));
  }
}
