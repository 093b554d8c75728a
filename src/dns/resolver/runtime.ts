/**
 * A tiny deterministic coroutine runner for the stub resolvers.
 *
 * Each behaviour is written as a generator that reads like the C or Go code it models: it sends
 * queries, then `yield`s to wait for a reply or a deadline. The {@link Machine} turns that into the
 * explicit interface of `StubLookup`: after every call, {@link Machine.flush} gives the actions to
 * perform (send, set or cancel a timer). Go's parallel A/AAAA goroutines are child tasks whose
 * results the parent receives in completion order. No randomness, no wall clock: the same calls
 * give the same actions.
 *
 * What a coroutine yields (allocation-free, since a lookup costs a few microseconds at most):
 * - a number `until`: wait for a reply to one of this task's transmissions, or until `until`
 *   (which may already have passed: then a timeout at once). It resumes with a {@link WaitEvent}:
 *   `const ev = (yield until) as WaitEvent`.
 * - {@link RECV}: wait for the next result of a child task; it resumes with that result.
 *
 * Lookups run millions of times in a benchmark, so the hot paths here avoid per-call allocation:
 * transmissions and timers are dense numbers indexing arrays (no maps), and a lookup that has a
 * single task (glibc, musl, Go with `single-request`) never allocates a task list, nor lists of
 * which task sent each transmission or armed each timer (it is always the root).
 */

import type { Micros } from "../../sim/time.js";
import { append } from "./lists.js";
import type { AddressQtype, QueryRecord, SendAction, StubAction, StubResponse, StubTransport } from "./types.js";

/** Yielded to receive the next finished child's result. */
export const RECV: unique symbol = Symbol("recv");

/** What a coroutine yields: a deadline to wait for a reply until, or {@link RECV}. */
export type Op = Micros | typeof RECV;

/**
 * What a wait resumes with. An answer event is only valid until the coroutine yields again: the
 * machines refill one object for every reply rather than allocating one each.
 */
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

/**
 * The actions of the call in progress, copied out at their exact size by {@link Machine.flush}.
 * One array serves every machine, as calls never overlap (each ends in its flush): an array per
 * call, or per machine, would grow a backing store far larger than the two or three actions a
 * call causes.
 */
const pending: StubAction[] = [];

/** The answer event handed to waiting tasks (see {@link WaitEvent}): one for every machine, as for {@link pending}. */
const answerEvent: { kind: "answer"; tx: number; response: StubResponse } = { kind: "answer", tx: 0, response: { rcode: "NOERROR", answers: [], truncated: false } };

/** Runs one lookup's coroutines and collects the actions they cause. */
export class Machine {
  /** The current instant (the last `now` given by the caller). */
  now: Micros = 0;
  /** Every transmission, in the order sent: transmission `tx` is `records[tx - 1]`. */
  records: QueryRecord[] = [];
  /** The root coroutine's result, once {@link isFinished}. */
  value: unknown = undefined;
  /**
   * The task that sent each transmission (parallel to `records`); undefined until a task other
   * than the root sends, since until then the root sent them all.
   */
  private senders: Task[] | undefined = undefined;
  /** The task that armed each timer, `timers[t - 1]`; undefined until a task other than the root arms one. */
  private timers: Task[] | undefined = undefined;
  /** Timers armed so far: the last timer's number. */
  private timerCount = 0;
  private root: Task | undefined = undefined;
  /** Child tasks, in the order spawned (allocated on the first spawn). */
  private children: Task[] | undefined = undefined;
  /** The actions of the current call are `pending[0 .. actionCount)`. */
  private actionCount = 0;
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
    if (this.senders === undefined && task !== this.root) this.senders = this.records.map(() => this.root as Task);
    // receivedAt has its place from the start (undefined, which JSON leaves out), as nearly every
    // transmission is answered: a field added later would change the record's shape.
    this.records = append(this.records, { tx, id, name, qtype, server, transport, sentAt: this.now, outcome: "timeout", receivedAt: undefined });
    this.senders?.push(task);
    const action: SendAction = { kind: "send", tx, id, name, qtype, server, transport, recursionDesired: true };
    if (ednsUdpSize !== undefined) action.ednsUdpSize = ednsUdpSize;
    this.emit(action);
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
  start(now: Micros, root: Co<unknown>): void {
    if (this.root) throw new Error("start() called twice");
    this.advance(now);
    this.root = new Task(root, undefined);
    this.run(this.root, undefined);
  }

  /** A reply to transmission `tx`. */
  answer(now: Micros, tx: number, response: StubResponse): void {
    this.advance(now);
    if (this.finished) return;
    const record = this.records[tx - 1];
    if (!record) return;
    if (record.receivedAt === undefined) {
      record.receivedAt = now;
      record.outcome = response.rcode;
      if (response.truncated) record.truncated = true;
    }
    const task = (this.senders === undefined ? this.root : this.senders[tx - 1]) as Task;
    if (task.state === WAITING) {
      answerEvent.tx = tx;
      answerEvent.response = response;
      this.run(task, answerEvent satisfies WaitEvent);
    } else this.discard(tx, "the resolver had stopped listening for it");
  }

  /** A timer fired. */
  timer(now: Micros, timer: number): void {
    this.advance(now);
    if (this.finished) return;
    // A disarmed task's timer is 0: only numbers the machine gave out may name a task.
    if (timer < 1 || timer > this.timerCount) return;
    const task = this.timers === undefined ? this.root : this.timers[timer - 1];
    if (!task || task.timer !== timer) return;
    if (now < task.timerAt) throw new RangeError(`timer ${timer} fired at ${now}us, before its time ${task.timerAt}us`);
    task.timer = 0;
    if (task.state === WAITING) this.run(task, TIMEOUT);
  }

  private advance(now: Micros): void {
    if (!Number.isFinite(now)) throw new RangeError(`now must be a number of microseconds, got ${String(now)}`);
    if (now < this.now) throw new RangeError(`time went backwards: ${now}us after ${this.now}us`);
    this.now = now;
  }

  /**
   * The actions caused since the last flush, then `last` if given (the caller's `done`): added
   * before the copy so that the returned array is made once, at its final size.
   */
  flush(last?: StubAction): StubAction[] {
    if (last !== undefined) this.emit(last);
    const n = this.actionCount;
    this.actionCount = 0;
    // Nearly every call causes one or two actions: a literal makes their array without a call.
    if (n === 1) return [pending[0]!];
    if (n === 2) return [pending[0]!, pending[1]!];
    return pending.slice(0, n);
  }

  private emit(action: StubAction): void {
    pending[this.actionCount++] = action;
  }

  private disarm(task: Task): void {
    if (task.timer !== 0) {
      this.emit({ kind: "cancelTimer", timer: task.timer });
      task.timer = 0;
    }
  }

  private arm(task: Task, at: Micros): void {
    if (task.timer !== 0 && task.timerAt === at) return;
    this.disarm(task);
    if (this.timers === undefined && task !== this.root) this.timers = new Array<Task>(this.timerCount).fill(this.root as Task);
    this.timers?.push(task);
    const timer = ++this.timerCount;
    task.timer = timer;
    task.timerAt = at;
    this.emit({ kind: "setTimer", timer, at });
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
