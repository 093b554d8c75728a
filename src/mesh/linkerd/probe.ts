/**
 * The service mirror's probe worker (mesh.md §5.3; linkerd/linkerd2 multicluster/service-mirror
 * probe_worker.go, jittered_ticker.go): `GET http://<gateway>:<port><path>` on a jittered ticker,
 * each tick `period + rand[0, period/10)` after the last, the first one full period after the
 * start. A probe blocks the worker until it ends (up to its timeout); a tick that comes meanwhile
 * waits in the ticker's one-slot channel and more are dropped, so a black-holed gateway is probed
 * back to back, once per timeout. `failureThreshold` failures in a row set `gateway_alive` to 0
 * and, if the worker had been alive, send liveness false; one success resets the count, sets
 * `gateway_alive` 1 and the latency, and sends liveness true if it had not been alive.
 */
import type { HttpClient } from "../../http/client.js";
import type { Rng } from "../../sim/rng.js";
import type { Timer } from "../../sim/scheduler.js";
import type { Sim } from "../../sim/sim.js";
import type { Micros } from "../../sim/time.js";

/** How a gateway is probed (a Link's `probeSpec`, read). */
export interface ProbeSettings {
  readonly address: string;
  readonly port: number;
  readonly path: string;
  readonly period: Micros;
  readonly timeout: Micros;
  readonly failureThreshold: number;
}

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** A gateway probe ended (summary level): `ok` for HTTP 200, the latency in microseconds. */
    "linkerd.probe": { link: string; ok: boolean; code: string; latency: number; failures: number };
  }
}

/** A probe worker. */
export class ProbeWorker {
  /** The worker's own liveness: false until a probe first succeeds. */
  alive = false;
  failures = 0;
  /** The `gateway_alive` metric: undefined until a probe ended. */
  metricAlive: boolean | undefined = undefined;
  /** The `gateway_latency` metric of the last successful probe, in microseconds. */
  latency: Micros | undefined = undefined;
  /** Probes sent, for tests. */
  probes = 0;
  private inFlight = false;
  /** A tick that came while a probe was in flight (the ticker channel's one slot). */
  private queued = false;
  private ticker: Timer<undefined> | undefined = undefined;
  private stopped = false;

  constructor(
    private readonly sim: Sim,
    private readonly rng: Rng,
    private readonly client: HttpClient,
    private readonly link: string,
    private readonly settings: ProbeSettings,
    private readonly onLiveness: (alive: boolean) => void,
  ) {}

  /** Starts the ticker. */
  start(): void {
    this.schedule();
  }

  /** Stops the ticker; a probe in flight is ignored when it ends. */
  stop(): void {
    this.stopped = true;
    this.ticker?.cancel();
  }

  private schedule(): void {
    const period = this.settings.period;
    this.ticker = this.sim.timer(period + this.rng.int(Math.max(1, Math.floor(period / 10))), () => {
      if (this.inFlight) this.queued = true;
      else this.probe();
      this.schedule();
    });
  }

  private probe(): void {
    const s = this.settings;
    this.inFlight = true;
    this.probes++;
    const started = this.sim.now;
    this.client.request(`http://${s.address}:${s.port}${s.path}`, { timeout: s.timeout, connectTimeout: s.timeout }, (r) => {
      this.inFlight = false;
      if (this.stopped) return;
      const ok = r.status === 200;
      if (ok) this.succeeded(this.sim.now - started);
      else this.failed();
      if (this.sim.trace.summary) {
        this.sim.trace.record("linkerd.probe", { link: this.link, ok, code: r.status === null ? (r.error ?? "error") : String(r.status), latency: this.sim.now - started, failures: this.failures });
      }
      if (this.queued) {
        this.queued = false;
        this.probe();
      }
    });
  }

  private succeeded(latency: Micros): void {
    this.failures = 0;
    this.metricAlive = true;
    this.latency = latency;
    if (!this.alive) {
      this.alive = true;
      this.onLiveness(true);
    }
  }

  private failed(): void {
    this.failures++;
    if (this.failures < this.settings.failureThreshold) return;
    this.metricAlive = false;
    if (this.alive) {
      this.alive = false;
      this.onLiveness(false);
    }
  }
}
