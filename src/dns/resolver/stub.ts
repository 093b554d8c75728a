/**
 * `StubLookup`: one address lookup by a pod's stub resolver, as a deterministic state machine with
 * no network of its own.
 *
 * ```ts
 * const settings = resolverSettings("musl", podResolvConf(...).config);
 * const lookup = new StubLookup(settings, "web.prod", { nextId: () => ids.next() });
 * let actions = lookup.start(now);
 * // for each action: send the query (kind "send"), schedule onTimer (kind "setTimer"),
 * // forget a timer ("cancelTimer"); "done" carries the result.
 * actions = lookup.onAnswer(now, tx, { rcode: "NOERROR", answers: [...], truncated: false });
 * actions = lookup.onTimer(now, timer);
 * ```
 *
 * Rules for the caller: `now` never decreases from call to call; `tx` and `timer` numbers are
 * those the lookup gave (they are unique within one lookup only); answers and timers after `done`
 * are ignored. Nothing inside draws random numbers or reads a clock: DNS IDs come from `nextId`.
 */

import type { Micros } from "../../sim/time.js";
import type { ResolverSettings } from "./behaviour.js";
import { glibcLookup } from "./glibc.js";
import { goLookup } from "./go.js";
import { muslLookup } from "./musl.js";
import type { Outcome } from "./outcome.js";
import { Machine, type Co } from "./runtime.js";
import type { LookupFamily, LookupResult, StubAction, StubResponse } from "./types.js";

/** Per-lookup options. */
export interface LookupOptions {
  /** DNS message IDs, supplied by the caller (from the world's seeded RNG). */
  nextId: () => number;
  /** getaddrinfo's `ai_family` (default `unspec`: A and AAAA). */
  family?: LookupFamily;
  /** Go only: `Resolver.StrictErrors`. */
  strictErrors?: boolean;
}

/** One lookup by a stub resolver. */
export class StubLookup {
  /** The result, once the lookup is done. */
  result: LookupResult | undefined;
  private readonly machine: Machine;
  private started = false;
  private startedAt: Micros = 0;

  constructor(
    /** The resolver's settings (from {@link resolverSettings}). */
    readonly settings: ResolverSettings,
    /** The name as the program passes it (`web`, `web.prod.svc.cluster.local.`, an address). */
    readonly name: string,
    private readonly options: LookupOptions,
  ) {
    this.machine = new Machine(options.nextId);
  }

  /** True once the `done` action has been returned. */
  get done(): boolean {
    return this.result !== undefined;
  }

  /** Starts the lookup at `now`: the first queries and timers (or `done` at once). */
  start(now: Micros): StubAction[] {
    if (this.started) throw new Error("StubLookup.start() called twice");
    this.started = true;
    this.startedAt = now;
    this.machine.start(now, this.coroutine());
    return this.settle();
  }

  /** A reply to transmission `tx` reached the pod at `now`. */
  onAnswer(now: Micros, tx: number, response: StubResponse): StubAction[] {
    this.requireStarted();
    this.machine.answer(now, tx, response);
    return this.settle();
  }

  /** Timer `timer` fired at `now`. */
  onTimer(now: Micros, timer: number): StubAction[] {
    this.requireStarted();
    this.machine.timer(now, timer);
    return this.settle();
  }

  /** The actions of a call, and `done` after them in the call in which the coroutine returned. */
  private settle(): StubAction[] {
    if (this.result === undefined && this.machine.isFinished) return this.machine.flush(this.finish(this.machine.value as Outcome));
    return this.machine.flush();
  }

  private requireStarted(): void {
    if (!this.started) throw new Error("StubLookup: call start() first");
  }

  private coroutine(): Co<Outcome> {
    const family = this.options.family ?? "unspec";
    const s = this.settings;
    switch (s.behaviour) {
      case "glibc":
        return glibcLookup(this.machine, s, this.name, family);
      case "musl":
        return muslLookup(this.machine, s, this.name, family);
      case "go":
        return goLookup(this.machine, s, this.name, family, { strictErrors: this.options.strictErrors ?? false });
    }
  }

  private finish(o: Outcome): StubAction {
    // One literal, every field in it (those the outcome lacks as undefined, which JSON leaves out
    // as it does absent ones): fields added one by one would each change the object's shape.
    const result: LookupResult = {
      behaviour: this.settings.behaviour,
      name: this.name,
      ok: o.ok,
      addresses: o.addresses,
      queries: this.machine.records,
      startedAt: this.startedAt,
      finishedAt: this.machine.now,
      error: o.error,
      code: o.code,
      hErrno: o.hErrno,
      message: o.message,
      canonicalName: o.canonicalName,
      answeredName: o.answeredName,
      source: o.source,
    };
    this.result = result;
    return { kind: "done", result };
  }
}
