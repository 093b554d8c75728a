/**
 * The balancer of a Linkerd proxy (the client's outbound proxy, and the gateway's): peak-EWMA
 * costs per endpoint and the power of two choices over them (mesh.md §5; linkerd2-proxy's
 * `balance` stack, tower p2c), each request sent on a connection of its own through an
 * {@link HttpClient}, its failure turned into the status the proxy answers with.
 */
import type { HttpClient } from "../../http/client.js";
import type { ErrorKind } from "../../http/message.js";
import type { Rng } from "../../sim/rng.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";
import { PeakEwma, powerOfTwo } from "../balance.js";
import type { Target } from "./destinations.js";

/**
 * The outbound connect timeout of linkerd2-proxy (`LINKERD2_PROXY_OUTBOUND_CONNECT_TIMEOUT`, 1s):
 * much shorter than Envoy's 10s, so a black-holed endpoint costs a second, not ten.
 */
export const LINKERD_CONNECT_TIMEOUT: Micros = SECOND;

/**
 * Statuses the proxy answers with when it got no response (linkerd2-proxy's `l5d-proxy-error`
 * mapping): 502 for a refused, reset or failed (TLS) connection, 504 for a connect timeout.
 */
export function proxyStatus(error: ErrorKind): number | null {
  switch (error) {
    case "connect-refused":
    case "reset":
    case "tls":
      return 502;
    case "connect-timeout":
      return 504;
    default:
      return null;
  }
}

/** What a forwarded request ends with: the status the proxy answers with, and why when it made it. */
export type Forwarded = (status: number | null, error: ErrorKind | undefined, upstream: string) => void;

/** One request to send. */
export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeout: Micros;
}

/** A proxy's balancer over whatever endpoints it is handed each time. */
export class EwmaBalancer {
  private readonly loads = new Map<string, PeakEwma>();

  constructor(
    private readonly sim: Sim,
    private readonly rng: Rng,
    private readonly client: HttpClient,
  ) {}

  /** The endpoint p2c over peak-EWMA picks among `targets`; undefined for none. */
  pick(targets: readonly Target[]): Target | undefined {
    const now = this.sim.now;
    return powerOfTwo(targets, this.rng, (t) => this.load(t).cost(now), true);
  }

  /** Sends `request` to `target`, recording its latency in the target's estimate. */
  forward(target: Target, request: ForwardRequest, done: Forwarded): void {
    const key = `${target.address}:${target.port}`;
    const load = this.load(target);
    load.start();
    const started = this.sim.now;
    this.client.request(
      `http://${key}${request.path}`,
      { method: request.method, timeout: request.timeout, connectTimeout: LINKERD_CONNECT_TIMEOUT, ...(request.headers ? { headers: request.headers } : {}) },
      (r) => {
        load.observe(this.sim.now, this.sim.now - started);
        if (r.error === undefined) done(r.status, undefined, key);
        else done(proxyStatus(r.error), r.error, key);
      },
    );
  }

  private load(t: Target): PeakEwma {
    const key = `${t.address}:${t.port}`;
    let load = this.loads.get(key);
    if (!load) this.loads.set(key, (load = new PeakEwma(this.sim.now)));
    return load;
  }
}
