/**
 * A sidecar's outlier detection for one upstream cluster, as Envoy runs it with the settings
 * Istio gives it (mesh.md §3.3): consecutive 5xx and consecutive gateway errors counted per host
 * and ejecting it inline, at the failing response; ejections lasting `baseEjectionTime` times the
 * host's ejection count, capped; `maxEjectionPercent` of the cluster's hosts at most, but always
 * at least one; and the `interval` sweep, which returns hosts whose time is up and lowers the
 * count of hosts that stayed healthy. Sweeps are caught up lazily when the detector is consulted,
 * which gives the same answers as a timer at every interval without an event per sidecar.
 */
import { SECOND, type Micros } from "../../sim/time.js";

/** Outlier detection as a cluster carries it: Istio's DestinationRule fields with their defaults filled in. */
export interface OutlierPolicy {
  /** Ejects after this many 5xx (or locally originated errors) in a row; 0 disables (mesh.md §3.3). */
  readonly consecutive5xxErrors: number;
  /** Ejects after this many 502, 503, 504 (or connect failures) in a row; 0 disables. */
  readonly consecutiveGatewayErrors: number;
  readonly interval: Micros;
  readonly baseEjectionTime: Micros;
  /** Envoy's `max_ejection_time`: 300s, or the base ejection time when that is larger (mesh.md §3.3). */
  readonly maxEjectionTime: Micros;
  readonly maxEjectionPercent: number;
}

/** Envoy's default `max_ejection_time`, which Istio does not set (mesh.md §3.3). */
export const MAX_EJECTION_TIME: Micros = 300 * SECOND;

/**
 * What one attempt's outcome was, as outlier detection counts it: a response's status, or a
 * locally originated error, which without `splitExternalLocalOriginErrors` Envoy counts as a 503
 * (connect failure, reset) or a 504 (timeout), so as both a 5xx and a gateway error.
 */
export type AttemptOutcome = { readonly status: number } | { readonly localError: "connect" | "reset" | "timeout" };

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejected: boolean;
  ejectedAt: Micros;
  /** Envoy's ejection time backoff: raised by each ejection, lowered by each sweep the host is in service. */
  backoff: number;
}

/** The outlier detector of one cluster in one sidecar. */
export class OutlierDetector {
  private readonly hosts = new Map<string, HostState>();
  private nextSweep: Micros;
  /** Ejections so far, for tests and reports. */
  ejections = 0;

  constructor(
    readonly policy: OutlierPolicy,
    /** When the cluster was added: the interval timer starts then. */
    start: Micros,
  ) {
    this.nextSweep = start + policy.interval;
  }

  /** Whether a host (`ip:port`) is ejected at `now`. */
  ejected(host: string, now: Micros): boolean {
    this.sweep(now);
    return this.hosts.get(host)?.ejected === true;
  }

  /**
   * Counts an attempt's outcome for a host and ejects it when a detector's count reaches its
   * threshold, unless `maxEjectionPercent` of the cluster's `hostCount` hosts are ejected already
   * (one host is always ejectable, mesh.md §3.3). Returns true when it ejected the host.
   */
  record(host: string, outcome: AttemptOutcome, now: Micros, hostCount: number): boolean {
    this.sweep(now);
    let s = this.hosts.get(host);
    if (!s) this.hosts.set(host, (s = { consecutive5xx: 0, consecutiveGateway: 0, ejected: false, ejectedAt: 0, backoff: 0 }));
    const status = "status" in outcome ? outcome.status : outcome.localError === "timeout" ? 504 : 503;
    if (status < 500) {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return false;
    }
    if (s.ejected) return false;
    const p = this.policy;
    // Envoy fires each detector when its count reaches the threshold exactly: a host that could
    // not be ejected then (maxEjectionPercent) is not tried again until a success resets it.
    const by5xx = ++s.consecutive5xx === p.consecutive5xxErrors && p.consecutive5xxErrors > 0;
    const gateway = status >= 502 && status <= 504;
    const byGateway = gateway && ++s.consecutiveGateway === p.consecutiveGatewayErrors && p.consecutiveGatewayErrors > 0;
    if (!by5xx && !byGateway) return false;
    const active = this.activeEjections();
    if (active > 0 && ((active + 1) * 100) / hostCount > p.maxEjectionPercent) return false;
    s.ejected = true;
    s.ejectedAt = now;
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    // The backoff grows only while the ejection time it gives stays within the cap.
    if ((s.backoff + 1) * p.baseEjectionTime <= p.maxEjectionTime) s.backoff++;
    this.ejections++;
    return true;
  }

  /** Forgets hosts no longer in the cluster's endpoints (`keep` has the `ip:port` of those that are). */
  retain(keep: ReadonlySet<string>): void {
    for (const host of [...this.hosts.keys()]) if (!keep.has(host)) this.hosts.delete(host);
  }

  /** How long a host's current ejection lasts: base × backoff, at most the cap (mesh.md §3.3). */
  private duration(s: HostState): Micros {
    return Math.min(this.policy.baseEjectionTime * s.backoff, this.policy.maxEjectionTime);
  }

  private activeEjections(): number {
    let n = 0;
    for (const s of this.hosts.values()) if (s.ejected) n++;
    return n;
  }

  /** Runs the interval sweeps due by `now`, in order (Envoy's `onIntervalTimer`, `checkHostForUneject`). */
  private sweep(now: Micros): void {
    while (this.nextSweep <= now) {
      const at = this.nextSweep;
      let pending = false;
      for (const s of this.hosts.values()) {
        if (s.ejected) {
          if (at - s.ejectedAt >= this.duration(s)) {
            s.ejected = false;
            s.consecutive5xx = 0;
            s.consecutiveGateway = 0;
          }
        } else if (s.backoff > 0) s.backoff--;
        if (s.ejected || s.backoff > 0) pending = true;
      }
      // With nothing left to return or lower, the sweeps up to now change nothing: skip them.
      const interval = this.policy.interval;
      this.nextSweep = pending ? at + interval : at + (Math.floor((now - at) / interval) + 1) * interval;
    }
  }
}
