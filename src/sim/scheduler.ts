import { formatDuration, type Micros } from "./time.js";

/** What an event runs: a function and the one argument it was scheduled with. */
export type EventHandler<A> = (arg: A) => void;

/** Why a run stopped. */
export type StopReason =
  /** The requested instant was reached. */
  | "time"
  /** No event is pending. */
  | "idle"
  /** The event budget ran out: the run is partial. */
  | "budget"
  /** A handler called {@link Scheduler.stop}. */
  | "stop";

/** The outcome of {@link Scheduler.runUntil} and its siblings. */
export interface RunResult {
  /** Why the run returned. */
  readonly stoppedBy: StopReason;
  /** The clock when it returned. */
  readonly now: Micros;
  /** Events run by this call. */
  readonly events: number;
  /** Events still pending. */
  readonly pending: number;
  /** One sentence a person can read: what happened and, for a partial run, why and what to do. */
  readonly message: string;
}

const PENDING = 0;
const FIRED = 1;
const CANCELLED = 2;

/** The fewest cancelled timers worth a compaction of the heap. */
const MIN_COMPACTION = 32;

/**
 * A cancellable event, from {@link Scheduler.timer}. Plain events from {@link Scheduler.at} cost
 * no object; a timer costs one, so that it can be cancelled.
 */
export class Timer<A = unknown> {
  /** @internal */
  state: 0 | 1 | 2 = PENDING;
  /** @internal */
  constructor(
    /** When it fires. */
    readonly at: Micros,
    /** @internal Dropped on cancel: a cancelled timer waits in the queue until its time, and must not keep what it would have run alive. */
    public fn: EventHandler<A> | null,
    /** @internal */
    public arg: A | undefined,
    private readonly owner: Scheduler,
  ) {}

  /** True until it fires or is cancelled. */
  get pending(): boolean {
    return this.state === PENDING;
  }

  /** Stops it from firing. Returns false when it had already fired or been cancelled. */
  cancel(): boolean {
    if (this.state !== PENDING) return false;
    this.state = CANCELLED;
    this.fn = null;
    this.arg = undefined;
    this.owner.noteCancelled();
    return true;
  }
}

function fireTimer(t: Timer): void {
  t.state = FIRED;
  const fn = t.fn!;
  const arg = t.arg;
  t.fn = null;
  t.arg = undefined;
  fn(arg);
}

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  /**
   * The most events a world may run in its lifetime. When it runs out, the run stops cleanly
   * with a partial result and a message, instead of spinning forever. Default: no limit.
   */
  readonly maxEvents?: number;
}

/**
 * The event loop: a clock in integer microseconds and a priority queue of events keyed by
 * (time, sequence number). Events at the same instant run in the order they were scheduled
 * (DESIGN.md, 'Rules that keep it deterministic').
 *
 * The queue is a binary heap over flat arrays, as flatqueue is: the heap holds each event's time,
 * sequence number and slot number side by side, and the slot holds the handler and its argument.
 * Scheduling allocates nothing but a slot, which is reused.
 */
export class Scheduler {
  /** The current instant. Advances only inside the run methods. */
  now: Micros = 0;
  /** Events run since the world was made. */
  eventsRun = 0;
  /** See {@link SchedulerOptions.maxEvents}. */
  maxEvents: number;

  private heapSlots: number[] = [];
  private heapTimes: number[] = [];
  /** Each heap entry's sequence number, beside its time: ties are common and compared in place. */
  private heapSeqs: number[] = [];
  private size = 0;
  private slotFn: (EventHandler<never> | undefined)[] = [];
  private slotArg: unknown[] = [];
  private freeSlots: number[] = [];
  private nextSeq = 0;
  private cancelledPending = 0;
  private stopMessage: string | null = null;

  constructor(options: SchedulerOptions = {}) {
    this.maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  }

  /** Events waiting to run (cancelled timers not counted). */
  get pending(): number {
    return this.size - this.cancelledPending;
  }

  /** Runs `fn(arg)` at instant `time`, which must not be in the past. */
  at<A>(time: Micros, fn: EventHandler<A>, arg: A): void;
  at(time: Micros, fn: EventHandler<undefined>): void;
  at<A>(time: Micros, fn: EventHandler<A>, arg?: A): void {
    if (!(time >= this.now) || !Number.isSafeInteger(time)) this.badTime(time);
    this.push(time, fn as EventHandler<never>, arg);
  }

  /** Runs `fn(arg)` after `delay` microseconds. */
  after<A>(delay: Micros, fn: EventHandler<A>, arg: A): void;
  after(delay: Micros, fn: EventHandler<undefined>): void;
  after<A>(delay: Micros, fn: EventHandler<A>, arg?: A): void {
    const time = this.now + delay;
    if (!(delay >= 0) || !Number.isSafeInteger(time)) this.badTime(time);
    this.push(time, fn as EventHandler<never>, arg);
  }

  /** Like {@link after}, but returns a {@link Timer} that can be cancelled. */
  timer<A>(delay: Micros, fn: EventHandler<A>, arg: A): Timer<A>;
  timer(delay: Micros, fn: EventHandler<undefined>): Timer<undefined>;
  timer<A>(delay: Micros, fn: EventHandler<A>, arg?: A): Timer<A> {
    const t = new Timer<A>(this.now + delay, fn, arg as A, this);
    this.after(delay, fireTimer as EventHandler<Timer<A>>, t);
    return t;
  }

  /**
   * Asks the loop to return after the event now running. Call it from a handler; the run
   * returns with `stoppedBy: "stop"` and this message.
   */
  stop(message = "stopped by a handler"): void {
    this.stopMessage = message;
  }

  /** Runs the next event, if any. Returns false when nothing ran (idle, or out of budget). */
  step(): boolean {
    return this.run(Number.POSITIVE_INFINITY, 1).events === 1;
  }

  /** Runs every event up to and including instant `time`, then sets the clock to `time`. */
  runUntil(time: Micros): RunResult {
    if (!(time >= this.now) || !(Number.isSafeInteger(time) || time === Number.POSITIVE_INFINITY)) {
      throw new RangeError(`cannot run until ${time}us: the limit must be a whole number of microseconds, not before now (${this.now}us)`);
    }
    return this.run(time, Number.POSITIVE_INFINITY);
  }

  /** Runs for `duration` of simulated time from now. */
  runFor(duration: Micros): RunResult {
    return this.runUntil(this.now + duration);
  }

  /** Runs until no event is pending. The clock stays at the last event's instant. */
  runUntilIdle(): RunResult {
    return this.run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  /** The instant of the next event to run, or undefined when idle. */
  nextEventTime(): Micros | undefined {
    this.dropCancelledHead();
    return this.size > 0 ? this.heapTimes[0] : undefined;
  }

  /** @internal Called by a {@link Timer} when it is cancelled while pending. */
  noteCancelled(): void {
    this.cancelledPending++;
    // Cancelled timers wait in the heap until their instant. When they are most of it (timeouts
    // that were answered in time, the usual case), drop them all at once, so that the heap stays
    // within twice the size of what will really run: every pop sifts through its depth. A
    // compaction costs O(size) and follows at least size / 2 cancellations, so it is O(1) a
    // cancellation; the floor only spares tiny heaps a pass every other cancellation.
    if (this.cancelledPending >= MIN_COMPACTION && this.cancelledPending * 2 > this.size) this.compact();
  }

  /** Removes every cancelled timer from the heap and restores heap order, in O(size). */
  private compact(): void {
    const slots = this.heapSlots;
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    let kept = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = slots[i]!;
      const arg = this.slotArg[slot];
      if (this.slotFn[slot] === (fireTimer as unknown) && (arg as Timer).state === CANCELLED) {
        this.slotFn[slot] = undefined;
        this.slotArg[slot] = undefined;
        this.freeSlots.push(slot);
        continue;
      }
      slots[kept] = slot;
      times[kept] = times[i]!;
      seqs[kept] = seqs[i]!;
      kept++;
    }
    this.size = kept;
    this.cancelledPending = 0;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private run(limit: Micros, maxSteps: number): RunResult {
    const startEvents = this.eventsRun;
    const times = this.heapTimes;
    this.stopMessage = null;
    let stoppedBy: StopReason = "idle";
    // One comparison per event covers both the step count and the world's budget.
    const eventLimit = Math.min(startEvents + maxSteps, this.maxEvents);
    while (this.size > 0) {
      if (times[0]! > limit) {
        stoppedBy = "time";
        break;
      }
      if (this.eventsRun >= eventLimit) {
        if (this.eventsRun - startEvents >= maxSteps) {
          stoppedBy = "stop";
          break;
        }
        this.dropCancelledHead();
        if (this.size === 0) break;
        stoppedBy = "budget";
        break;
      }
      const time = times[0]!;
      const slot = this.pop();
      const fn = this.slotFn[slot]!;
      const arg = this.slotArg[slot];
      // The slot forgets its handler and argument: a free slot may wait long for reuse (when the
      // queue was once far longer than it is now), and must not keep what the event carried (a
      // closure, an old object version) alive till then.
      this.slotFn[slot] = undefined;
      this.slotArg[slot] = undefined;
      this.freeSlots.push(slot);
      if (fn === (fireTimer as unknown) && (arg as Timer).state === CANCELLED) {
        this.cancelledPending--;
        continue;
      }
      this.now = time;
      this.eventsRun++;
      (fn as EventHandler<unknown>)(arg);
      if (this.stopMessage !== null) {
        stoppedBy = "stop";
        break;
      }
    }
    if (stoppedBy === "idle" && limit !== Number.POSITIVE_INFINITY) stoppedBy = "time";
    if (stoppedBy === "time" && limit !== Number.POSITIVE_INFINITY) this.now = limit;
    const events = this.eventsRun - startEvents;
    return { stoppedBy, now: this.now, events, pending: this.pending, message: this.describe(stoppedBy, events) };
  }

  private describe(stoppedBy: StopReason, events: number): string {
    const at = `t=${formatDuration(this.now)}`;
    switch (stoppedBy) {
      case "time":
        return `ran ${events} events to ${at}`;
      case "idle":
        return `ran ${events} events; nothing left to run at ${at}`;
      case "stop":
        return this.stopMessage ?? `ran ${events} events to ${at}`;
      case "budget":
        return (
          `stopped at ${at} after the event budget of ${this.maxEvents} events ran out, with ` +
          `${this.pending} events still pending: the result is partial. Raise the budget if the run ` +
          `is meant to be this long, or look for an actor that keeps scheduling without end.`
        );
    }
  }

  private dropCancelledHead(): void {
    while (this.size > 0) {
      const slot = this.heapSlots[0]!;
      const arg = this.slotArg[slot];
      if (this.slotFn[slot] !== (fireTimer as unknown) || (arg as Timer).state !== CANCELLED) return;
      this.pop();
      this.slotFn[slot] = undefined;
      this.slotArg[slot] = undefined;
      this.freeSlots.push(slot);
      this.cancelledPending--;
    }
  }

  private badTime(time: Micros): never {
    throw new RangeError(
      `cannot schedule an event at ${time}us: events must be at whole microseconds, not before now (${this.now}us)`,
    );
  }

  private push(time: Micros, fn: EventHandler<never>, arg: unknown): void {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slotFn.length;
    const seq = this.nextSeq++;
    this.slotFn[slot] = fn;
    this.slotArg[slot] = arg;
    const slots = this.heapSlots;
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    let pos = this.size++;
    // The new event has the largest sequence number yet, so among equal times it sorts last:
    // sifting up needs no tie-break.
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const parentTime = times[parent]!;
      if (time >= parentTime) break;
      slots[pos] = slots[parent]!;
      times[pos] = parentTime;
      seqs[pos] = seqs[parent]!;
      pos = parent;
    }
    slots[pos] = slot;
    times[pos] = time;
    seqs[pos] = seq;
  }

  /** Removes the earliest event from the heap and returns its slot. */
  private pop(): number {
    const slots = this.heapSlots;
    const top = slots[0]!;
    const size = --this.size;
    if (size > 0) {
      slots[0] = slots[size]!;
      this.heapTimes[0] = this.heapTimes[size]!;
      this.heapSeqs[0] = this.heapSeqs[size]!;
      this.siftDown(0);
    }
    return top;
  }

  /** Moves the entry at `pos` down until both children sort after it by (time, seq). */
  private siftDown(start: number): void {
    const slots = this.heapSlots;
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const size = this.size;
    const slot = slots[start]!;
    const time = times[start]!;
    const seq = seqs[start]!;
    const half = size >> 1;
    let pos = start;
    while (pos < half) {
      let child = 2 * pos + 1;
      let childTime = times[child]!;
      let childSeq = seqs[child]!;
      const right = child + 1;
      if (right < size) {
        const rightTime = times[right]!;
        if (rightTime < childTime || (rightTime === childTime && seqs[right]! < childSeq)) {
          child = right;
          childTime = rightTime;
          childSeq = seqs[right]!;
        }
      }
      if (childTime > time || (childTime === time && childSeq > seq)) break;
      slots[pos] = slots[child]!;
      times[pos] = childTime;
      seqs[pos] = childSeq;
      pos = child;
    }
    slots[pos] = slot;
    times[pos] = time;
    seqs[pos] = seq;
  }
}
