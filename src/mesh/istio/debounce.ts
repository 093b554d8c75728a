/**
 * istiod's push debouncer, exactly as `pilot/pkg/xds/discovery.go` `debounce()` (mesh.md §1.6):
 * a push waits for `after` of quiet since the last event, but never longer than `max` from the
 * first event of its batch; only one push runs at a time, and events that arrive meanwhile are
 * merged and looked at as soon as it finishes.
 */
import type { Timer } from "../../sim/scheduler.js";
import type { Sim } from "../../sim/sim.js";
import { MILLISECOND, SECOND, type Micros } from "../../sim/time.js";

/** `PILOT_DEBOUNCE_AFTER`: the quiet time before a push (mesh.md §1.6). */
export const DEBOUNCE_AFTER: Micros = 100 * MILLISECOND;
/** `PILOT_DEBOUNCE_MAX`: the longest a batch waits from its first event (mesh.md §1.6). */
export const DEBOUNCE_MAX: Micros = 10 * SECOND;

/**
 * What a push has to do: everything (`full`), or only EDS for some services. Requests merge as
 * Istio's `PushRequest.Merge`: full if either is, the services of both, the reasons of both.
 */
export interface PushRequest {
  readonly full: boolean;
  /** Hostnames whose endpoints changed (what an EDS-only push sends). */
  readonly services: ReadonlySet<string>;
  /** Why, as Istio's trigger reasons (`endpoint`, `service`, `cluster`, `proxyrequest`…), in order first seen. */
  readonly reasons: readonly string[];
}

/** Merges two push requests (Istio's `PushRequest.Merge`). */
export function mergePush(a: PushRequest | undefined, b: PushRequest): PushRequest {
  if (!a) return b;
  return {
    full: a.full || b.full,
    services: a.services.size === 0 ? b.services : b.services.size === 0 ? a.services : new Set([...a.services, ...b.services]),
    reasons: b.reasons.every((r) => a.reasons.includes(r)) ? a.reasons : [...a.reasons, ...b.reasons.filter((r) => !a.reasons.includes(r))],
  };
}

/** Options of a {@link Debouncer}. */
export interface DebounceOptions {
  readonly after?: Micros;
  readonly max?: Micros;
  /**
   * `PILOT_ENABLE_EDS_DEBOUNCE` (default true). When false, an EDS-only request is pushed at once,
   * without waiting, as the debouncer lets them through.
   */
  readonly edsDebounce?: boolean;
}

/**
 * The debouncer. `push` starts a push of the merged request and calls `done` when the push has
 * been handed on (Istio frees the debouncer once `Push` returns, after the push context is built
 * and the connections are queued, not once every proxy has its config).
 */
export class Debouncer {
  private readonly after: Micros;
  private readonly max: Micros;
  private readonly edsDebounce: boolean;
  private req: PushRequest | undefined = undefined;
  private events = 0;
  private startDebounce: Micros = 0;
  private lastEvent: Micros = 0;
  private timer: Timer<undefined> | undefined = undefined;
  private free = true;
  /** Debounced pushes started, for tests and `istiod` metrics. */
  pushes = 0;

  constructor(
    private readonly sim: Sim,
    private readonly push: (request: PushRequest, done: () => void) => void,
    options: DebounceOptions = {},
  ) {
    this.after = options.after ?? DEBOUNCE_AFTER;
    this.max = options.max ?? DEBOUNCE_MAX;
    this.edsDebounce = options.edsDebounce ?? true;
  }

  /** True while a batch waits or a push runs. */
  get busy(): boolean {
    return this.req !== undefined || !this.free;
  }

  /** A config or endpoint change (Istio's `ConfigUpdate`). */
  update(request: PushRequest): void {
    if (!this.edsDebounce && !request.full) {
      this.push(request, () => {});
      return;
    }
    this.lastEvent = this.sim.now;
    if (this.events === 0) {
      this.timer?.cancel();
      this.timer = this.sim.timer(this.after, this.onTimer);
      this.startDebounce = this.sim.now;
    }
    this.events++;
    this.req = mergePush(this.req, request);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.free) this.worker();
  };

  private worker(): void {
    const now = this.sim.now;
    const quiet = now - this.lastEvent;
    if (now - this.startDebounce >= this.max || quiet >= this.after) {
      if (this.req) {
        const req = this.req;
        this.free = false;
        this.req = undefined;
        this.events = 0;
        this.pushes++;
        this.push(req, this.pushDone);
      }
    } else {
      this.timer = this.sim.timer(this.after - quiet, this.onTimer);
    }
  }

  private readonly pushDone = (): void => {
    this.free = true;
    this.worker();
  };
}
