/**
 * A tiny deterministic coroutine runner for the stub resolvers.
 *
 * Each behaviour is written as a generator that reads like the C or Go code it models: it sends
 * queries, then `yield`s to wait for a reply or a deadline. The {@link Machine} turns that into the
 * explicit interface of `StubLookup`: every call returns the actions to perform (send, set or
 * cancel a timer). Go's parallel A/AAAA goroutines are child tasks whose results the parent
 * receives in completion order. No randomness, no wall clock: the same calls give the same
 * actions.
 *
 * What a coroutine yields (allocation-free, since a lookup costs a few microseconds at most):
 * - a number `until`: wait for a reply to one of this task's transmissions, or until `until`
 *   (which may already have passed: then a timeout at once). It resumes with a {@link WaitEvent}:
 *   `const ev = (yield until) as WaitEvent`.
 * - {@link RECV}: wait for the next result of a child task; it resumes with that result.
 *
 * Lookups run millions of times in a benchmark, so the hot paths here avoid per-call allocation:
 * transmissions and timers are dense numbers indexing arrays (no maps), and a lookup that has a
 * single task (glibc, musl, Go with `single-request`) never allocates a task list.
 */

import type { Micros } from "../../sim/time.js";
import type { AddressQtype, QueryRecord, SendAction, StubAction, StubResponse, StubTransport } from "./types.js";

/** Yielded to receive the next finished child's result. */
export const RECV: unique symbol = Symbol("recv");

/** What a coroutine yields: a deadline to wait for a reply until, or {@link RECV}. */
export type Op = Micros | typeof RECV;

/** What a wait resumes with. */
export type WaitEvent = { readonly kind: "answer"; readonly tx: number; readonly response: StubResponse } | { readonly kind: "timeout" };

/** The (shared) timeout event. */
export const TIMEOUT: WaitEvent = Object.freeze({ kind: "timeout" });

/** A coroutine returning R. */
export type Co<R> = Generator<Op, R, unknown>;

const RUNNING = 0;
const WAITING = 1;
const RECEIVING = 2;
const DONE = 3;

class Task {
  state = RUNNING;
  /** The armed timer, or 0. */
  timer = 0;
  timerAt: Micros = 0;
  /** Results of finished children not yet received (allocated on first use). */
  lane: unknown[] | undefined = undefined;
  constructor(
    readonly gen: Co<unknown>,
    readonly parent: Task | undefined,
  ) {}
}

/** Runs one lookup's coroutines and collects the actions they cause. */
export class Machine {
  /** The current instant (the last `now` given by the caller). */
  now: Micros = 0;
  /** Every transmission, in the order sent: transmission `tx` is `records[tx - 1]`. */
  readonly records: QueryRecord[] = [];
  /** The root coroutine's result, once {@link isFinished}. */
  value: unknown = undefined;
  /** The task that sent each transmission (parallel to `records`). */
  private readonly senders: Task[] = [];
  /** The task that armed each timer: timer `t` is `timers[t - 1]`. */
  private readonly timers: Task[] = [];
  private root: Task | undefined = undefined;
  /** Child tasks, in the order spawned (allocated on the first spawn). */
  private children: Task[] | undefined = undefined;
  private actions: StubAction[] = [];
  private current: Task | undefined = undefined;
  private finished = false;

  constructor(private readonly nextIdFn: () => number) {}

  /** True once the root coroutine has returned. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** A DNS message ID from the caller's generator, as a 16-bit number. */
  nextId(): number {
    const id = this.nextIdFn();
    if (!Number.isInteger(id)) throw new RangeError(`nextId() returned ${String(id)}: DNS message IDs are integers 0-65535`);
    return ((id % 65536) + 65536) % 65536;
  }

  /** Sends a query on behalf of the running task; returns its transmission number. */
  send(id: number, name: string, qtype: AddressQtype, server: string, transport: StubTransport, ednsUdpSize?: number): number {
    const task = this.current;
    if (!task) throw new Error("send() outside a running task");
    const tx = this.records.length + 1;
    this.records.push({ tx, id, name, qtype, server, transport, sentAt: this.now, outcome: "timeout" });
    this.senders.push(task);
    const action: SendAction = { kind: "send", tx, id, name, qtype, server, transport, recursionDesired: true };
    if (ednsUdpSize !== undefined) action.ednsUdpSize = ednsUdpSize;
    this.actions.push(action);
    return tx;
  }

  /** The record of a transmission. */
  record(tx: number): QueryRecord {
    const r = this.records[tx - 1];
    if (!r) throw new Error(`unknown transmission ${tx}`);
    return r;
  }

  /** Notes that the reply to `tx` reached the stub but was not used, and why. */
  discard(tx: number, reason: string): void {
    const r = this.records[tx - 1];
    if (r && r.discarded === undefined) r.discarded = reason;
  }

  /** Starts a child task of the running task; its result goes to the parent's `yield RECV`. */
  spawn(co: Co<unknown>): void {
    const parent = this.current;
    const task = new Task(co, parent);
    (this.children ??= []).push(task);
    this.run(task, undefined);
    this.current = parent;
  }

  /** Starts the root coroutine; when it returns, {@link isFinished} and {@link value} tell. */
  start(now: Micros, root: Co<unknown>): StubAction[] {
    if (this.root) throw new Error("start() called twice");
    this.advance(now);
    this.root = new Task(root, undefined);
    this.run(this.root, undefined);
    return this.flush();
  }

  /** A reply to transmission `tx`. */
  answer(now: Micros, tx: number, response: StubResponse): StubAction[] {
    this.advance(now);
    if (this.finished) return this.flush();
    const record = this.records[tx - 1];
    if (!record) return this.flush();
    if (record.receivedAt === undefined) {
      record.receivedAt = now;
      record.outcome = response.rcode;
      if (response.truncated) record.truncated = true;
    }
    const task = this.senders[tx - 1] as Task;
    if (task.state === WAITING) this.run(task, { kind: "answer", tx, response } satisfies WaitEvent);
    else this.discard(tx, "the resolver had stopped listening for it");
    return this.flush();
  }

  /** A timer fired. */
  timer(now: Micros, timer: number): StubAction[] {
    this.advance(now);
    if (this.finished) return this.flush();
    const task = this.timers[timer - 1];
    if (!task || task.timer !== timer) return this.flush();
    if (now < task.timerAt) throw new RangeError(`timer ${timer} fired at ${now}us, before its time ${task.timerAt}us`);
    task.timer = 0;
    if (task.state === WAITING) this.run(task, TIMEOUT);
    return this.flush();
  }

  private advance(now: Micros): void {
    if (!Number.isFinite(now)) throw new RangeError(`now must be a number of microseconds, got ${String(now)}`);
    if (now < this.now) throw new RangeError(`time went backwards: ${now}us after ${this.now}us`);
    this.now = now;
  }

  private flush(): StubAction[] {
    const out = this.actions;
    this.actions = [];
    return out;
  }

  private disarm(task: Task): void {
    if (task.timer !== 0) {
      this.actions.push({ kind: "cancelTimer", timer: task.timer });
      task.timer = 0;
    }
  }

  private arm(task: Task, at: Micros): void {
    if (task.timer !== 0 && task.timerAt === at) return;
    this.disarm(task);
    this.timers.push(task);
    const timer = this.timers.length;
    task.timer = timer;
    task.timerAt = at;
    this.actions.push({ kind: "setTimer", timer, at });
  }

  private run(task: Task, input: unknown): void {
    let value = input;
    task.state = RUNNING;
    for (;;) {
      this.current = task;
      const step = task.gen.next(value);
      this.current = undefined;
      if (step.done === true) {
        this.complete(task, step.value);
        return;
      }
      const op = step.value;
      if (op !== RECV) {
        if (op <= this.now) {
          value = TIMEOUT;
          continue;
        }
        task.state = WAITING;
        this.arm(task, op);
        return;
      }
      this.disarm(task);
      if (task.lane !== undefined && task.lane.length > 0) {
        value = task.lane.shift();
        continue;
      }
      task.state = RECEIVING;
      return;
    }
  }

  private complete(task: Task, value: unknown): void {
    this.disarm(task);
    task.state = DONE;
    const parent = task.parent;
    if (parent) {
      (parent.lane ??= []).push(value);
      if (parent.state === RECEIVING) this.run(parent, parent.lane.shift());
      return;
    }
    // The root returned: the lookup is over. Abandon any task still waiting.
    if (this.children) {
      for (const t of this.children) {
        if (t.state !== DONE) {
          this.disarm(t);
          t.state = DONE;
        }
      }
    }
    this.finished = true;
    this.value = value;
  }
}
