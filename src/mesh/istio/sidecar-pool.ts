/**
 * A sidecar's connection pool for one upstream cluster, with the circuit breakers Istio writes
 * from a DestinationRule's `connectionPool` (Envoy's cluster `circuit_breakers` thresholds; mesh.md
 * §3.4 for the pool's connect timeout): `tcp.maxConnections` connections at most, each carrying
 * one HTTP/1.1 request at a time; further requests wait for a connection, up to
 * `http.http1MaxPendingRequests` of them; `http.http2MaxRequests` requests in flight at most. A
 * request past a limit is refused at once with 503 UO (upstream overflow). Istio's default for
 * each limit is 2^32−1, none in effect.
 */

/** Istio's default for every `connectionPool` limit: 2^32−1. */
export const UNLIMITED = 4_294_967_295;

/** A cluster's circuit breaker thresholds, as Envoy gets them. */
export interface CircuitBreakers {
  /** `tcp.maxConnections`: Envoy's `max_connections`. */
  readonly maxConnections: number;
  /** `http.http1MaxPendingRequests`: Envoy's `max_pending_requests`. */
  readonly maxPendingRequests: number;
  /** `http.http2MaxRequests`: Envoy's `max_requests`, every protocol's requests in flight. */
  readonly maxRequests: number;
  /**
   * `http.maxRequestsPerConnection`: Envoy closes a connection after this many requests. The
   * sidecar opens a connection per request already (what 1 gives), so a larger value changes
   * nothing here; 0 is Istio's unlimited.
   */
  readonly maxRequestsPerConnection: number;
}

/** The requests of one cluster in flight and waiting for a connection, within its breakers. */
export class ConnectionPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limits: CircuitBreakers) {}

  /**
   * Runs `go` now if a connection is free, or queues it until one is; false, running nothing,
   * when a breaker overflows (too many requests in flight, or the queue full): 503 UO. Whoever
   * `go` runs must {@link release} once its request is over.
   */
  acquire(go: () => void): boolean {
    const l = this.limits;
    if (this.active >= l.maxRequests) return false;
    if (this.active < l.maxConnections) {
      this.active++;
      go();
      return true;
    }
    if (this.waiting.length >= l.maxPendingRequests) return false;
    this.waiting.push(go);
    return true;
  }

  /** A request is over: its connection goes to the first waiting request, if any. */
  release(): void {
    this.active--;
    if (this.waiting.length === 0 || this.active >= this.limits.maxConnections) return;
    this.active++;
    this.waiting.shift()!();
  }
}

/** Whether two clusters' breakers are the same, so that a pool can be kept across a CDS push. */
export function sameBreakers(a: CircuitBreakers, b: CircuitBreakers): boolean {
  return a.maxConnections === b.maxConnections && a.maxPendingRequests === b.maxPendingRequests && a.maxRequests === b.maxRequests && a.maxRequestsPerConnection === b.maxRequestsPerConnection;
}
