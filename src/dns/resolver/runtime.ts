/**
 * A tiny deterministic coroutine runner for the stub resolvers.
 *
 * Each behaviour is written as a generator that reads like the C or Go code it models: it sends
 * queries, then `yield`s to wait for a reply or a deadline. The {@link Machine} turns that into the
 * explicit interface of `StubLookup`: every call returns the actions to perform (send, set or
 * cancel a timer, done). Go's parallel A/AAAA goroutines are child tasks whose results the parent
 * receives in completion order. No randomness, no wall clock: the same calls give the same
 * actions.
 */

import type { Micros } from "../../sim/time.js";
import type { AddressQtype, QueryRecord, StubAction, StubResponse, StubTransport } from "./types.js";

/** What a coroutine yields. */
export type Op =
  /** Wait for a reply to one of this task's transmissions, or until `until`. */
  | { op: "wait"; until: Micros }
  /** Wait for the next result of a child task. */
  | { op: "recv" };

/** What a `wait` resumes with. */
export type WaitEvent = { kind: "answer"; tx: number; response: StubResponse } | { kind: "timeout" };

/** A coroutine returning R. */
export type Co<R> = Generator<Op, R, unknown>;

/** Wait for a reply or until `until` (which may already have passed: then a timeout at once). */
export function* wait(until: Micros): Co<WaitEvent> {
  return (yield { op: "wait", until }) as WaitEvent;
}

/** Receive the next finished child's result. */
export function* recv<T>(): Co<T> {
  return (yield { op: "recv" }) as T;
}

/** What to send. */
export interface SendSpec {
  id: number;
  name: string;
  qtype: AddressQtype;
  server: string;
  transport: StubTransport;
  ednsUdpSize?: number | undefined;
}

interface Task {
  readonly num: number;
  readonly gen: Co<unknown>;
  readonly parent: Task | undefined;
  state: "running" | "wait" | "recv" | "done";
  until: Micros;
  timer: number | undefined;
  timerAt: Micros;
  readonly lane: unknown[];
}

/** Runs one lookup's coroutines and collects the actions they cause. */
export class Machine {
  /** The current instant (the last `now` given by the caller). */
  now: Micros = 0;
  /** Every transmission, in the order sent. */
  readonly records: QueryRecord[] = [];
  private readonly byTx = new Map<number, { record: QueryRecord; task: Task }>();
  private readonly byTimer = new Map<number, Task>();
  private readonly tasks: Task[] = [];
  private actions: StubAction[] = [];
  private current: Task | undefined;
  private txCounter = 0;
  private timerCounter = 0;
  private taskCounter = 0;
  private finished = false;
  private onFinish: ((value: unknown) => StubAction) | undefined;

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

  /** Sends a query on behalf of the running task. */
  send(spec: SendSpec): number {
    const task = this.current;
    if (!task) throw new Error("send() outside a running task");
    const tx = ++this.txCounter;
    const record: QueryRecord = {
      tx,
      id: spec.id,
      name: spec.name,
      qtype: spec.qtype,
      server: spec.server,
      transport: spec.transport,
      sentAt: this.now,
      outcome: "timeout",
    };
    this.records.push(record);
    this.byTx.set(tx, { record, task });
    const action: StubAction = {
      kind: "send",
      tx,
      id: spec.id,
      name: spec.name,
      qtype: spec.qtype,
      server: spec.server,
      transport: spec.transport,
      recursionDesired: true,
    };
    if (spec.ednsUdpSize !== undefined) action.ednsUdpSize = spec.ednsUdpSize;
    this.actions.push(action);
    return tx;
  }

  /** The record of a transmission. */
  record(tx: number): QueryRecord {
    const r = this.byTx.get(tx);
    if (!r) throw new Error(`unknown transmission ${tx}`);
    return r.record;
  }

  /** Notes that the reply to `tx` reached the stub but was not used, and why. */
  discard(tx: number, reason: string): void {
    const r = this.byTx.get(tx);
    if (r && r.record.discarded === undefined) r.record.discarded = reason;
  }

  /** Starts a child task of the running task; its result goes to the parent's `recv`. */
  spawn(co: Co<unknown>): void {
    const parent = this.current;
    const task = this.newTask(co, parent);
    this.run(task, undefined);
    this.current = parent;
  }

  /** Starts the root coroutine. `finish` turns its result into the final action. */
  start(now: Micros, root: Co<unknown>, finish: (value: unknown) => StubAction): StubAction[] {
    if (this.tasks.length > 0) throw new Error("start() called twice");
    this.advance(now);
    this.onFinish = finish;
    this.run(this.newTask(root, undefined), undefined);
    return this.flush();
  }

  /** A reply to transmission `tx`. */
  answer(now: Micros, tx: number, response: StubResponse): StubAction[] {
    this.advance(now);
    if (this.finished) return this.flush();
    const entry = this.byTx.get(tx);
    if (!entry) return this.flush();
    if (entry.record.receivedAt === undefined) {
      entry.record.receivedAt = now;
      entry.record.outcome = response.rcode;
      if (response.truncated) entry.record.truncated = true;
    }
    const task = entry.task;
    if (task.state === "wait") this.run(task, { kind: "answer", tx, response } satisfies WaitEvent);
    else this.discard(tx, "the resolver had stopped listening for it");
    return this.flush();
  }

  /** A timer fired. */
  timer(now: Micros, timer: number): StubAction[] {
    this.advance(now);
    if (this.finished) return this.flush();
    const task = this.byTimer.get(timer);
    if (!task || task.timer !== timer) return this.flush();
    if (now < task.timerAt) throw new RangeError(`timer ${timer} fired at ${now}us, before its time ${task.timerAt}us`);
    this.byTimer.delete(timer);
    task.timer = undefined;
    if (task.state === "wait") this.run(task, { kind: "timeout" } satisfies WaitEvent);
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

  private newTask(gen: Co<unknown>, parent: Task | undefined): Task {
    const task: Task = { num: ++this.taskCounter, gen, parent, state: "running", until: 0, timer: undefined, timerAt: 0, lane: [] };
    this.tasks.push(task);
    return task;
  }

  private disarm(task: Task): void {
    if (task.timer !== undefined) {
      this.actions.push({ kind: "cancelTimer", timer: task.timer });
      this.byTimer.delete(task.timer);
      task.timer = undefined;
    }
  }

  private arm(task: Task, at: Micros): void {
    if (task.timer !== undefined && task.timerAt === at) return;
    this.disarm(task);
    const timer = ++this.timerCounter;
    task.timer = timer;
    task.timerAt = at;
    this.byTimer.set(timer, task);
    this.actions.push({ kind: "setTimer", timer, at });
  }

  private run(task: Task, input: unknown): void {
    let value = input;
    task.state = "running";
    for (;;) {
      this.current = task;
      const step = task.gen.next(value);
      this.current = undefined;
      if (step.done) {
        this.complete(task, step.value);
        return;
      }
      const op = step.value;
      if (op.op === "wait") {
        if (op.until <= this.now) {
          value = { kind: "timeout" } satisfies WaitEvent;
          continue;
        }
        task.state = "wait";
        task.until = op.until;
        this.arm(task, op.until);
        return;
      }
      this.disarm(task);
      if (task.lane.length > 0) {
        value = task.lane.shift();
        continue;
      }
      task.state = "recv";
      return;
    }
  }

  private complete(task: Task, value: unknown): void {
    this.disarm(task);
    task.state = "done";
    const parent = task.parent;
    if (parent) {
      parent.lane.push(value);
      if (parent.state === "recv") this.run(parent, parent.lane.shift());
      return;
    }
    // The root returned: the lookup is over. Abandon any task still waiting.
    for (const t of this.tasks) {
      if (t.state !== "done") {
        this.disarm(t);
        t.state = "done";
      }
    }
    this.finished = true;
    this.actions.push((this.onFinish as (value: unknown) => StubAction)(value));
  }
}
