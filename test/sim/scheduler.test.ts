import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Scheduler, Sim, Timer } from "../../src/index.js";

describe("Scheduler ordering", () => {
  it("runs events in time order, whatever order they were scheduled in", () => {
    const s = new Scheduler();
    const log: [number, string][] = [];
    const note = (name: string) => log.push([s.now, name]);
    s.at(30, note, "c");
    s.at(10, note, "a");
    s.at(20, note, "b");
    s.after(5, note, "first");
    s.runUntilIdle();
    expect(log).toEqual([
      [5, "first"],
      [10, "a"],
      [20, "b"],
      [30, "c"],
    ]);
  });

  it("runs same-instant events in the order they were scheduled", () => {
    const s = new Scheduler();
    const log: number[] = [];
    // Enough events to exercise the heap's tie-breaks, mixed with others at other instants.
    for (let i = 0; i < 200; i++) {
      s.at(100, (n) => log.push(n), i);
      s.at(50 + (i % 3) * 100, () => {});
    }
    s.runUntilIdle();
    expect(log).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("runs events that a handler schedules at the current instant after those already scheduled there", () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(10, () => {
      log.push("a");
      s.after(0, () => log.push("a-child"));
      s.at(10, () => log.push("a-child2"));
    });
    s.at(10, () => log.push("b"));
    s.at(10, () => log.push("c"));
    s.at(11, () => log.push("later"));
    s.runUntilIdle();
    expect(log).toEqual(["a", "b", "c", "a-child", "a-child2", "later"]);
  });

  it("passes the argument to the handler and can schedule with none", () => {
    const s = new Scheduler();
    const got: unknown[] = [];
    s.at(1, (x: { n: number }) => got.push(x.n), { n: 7 });
    s.after(2, (x) => got.push(x));
    s.runUntilIdle();
    expect(got).toEqual([7, undefined]);
  });

  it("property: any mix of schedules and cancels runs exactly the live events, once each, in (time, seq) order", () => {
    type Op =
      | { op: "at"; dt: number; childDt: number | null }
      | { op: "timer"; dt: number }
      | { op: "cancel"; which: number }
      | { op: "run"; dt: number };
    const dt = fc.integer({ min: 0, max: 50 });
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant("at" as const), dt, childDt: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) }),
      fc.record({ op: fc.constant("timer" as const), dt }),
      fc.record({ op: fc.constant("cancel" as const), which: fc.nat() }),
      fc.record({ op: fc.constant("run" as const), dt: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const s = new Scheduler();
        let seq = 0;
        const scheduled: { id: number; time: number; seq: number }[] = [];
        const ran: number[] = [];
        const cancelled = new Set<number>();
        const timers: { id: number; timer: Timer<number> }[] = [];
        const fire = (id: number) => {
          const e = scheduled[id]!;
          expect(s.now).toBe(e.time);
          ran.push(id);
        };
        const scheduleAt = (time: number, childDt: number | null) => {
          const id = scheduled.length;
          scheduled.push({ id, time, seq: seq++ });
          s.at(
            time,
            (n: number) => {
              fire(n);
              if (childDt !== null) scheduleAt(s.now + childDt, null);
            },
            id,
          );
        };
        for (const o of ops) {
          switch (o.op) {
            case "at":
              scheduleAt(s.now + o.dt, o.childDt);
              break;
            case "timer": {
              const id = scheduled.length;
              scheduled.push({ id, time: s.now + o.dt, seq: seq++ });
              const timer = s.timer(o.dt, fire, id);
              expect(timer.at).toBe(s.now + o.dt);
              timers.push({ id, timer });
              break;
            }
            case "cancel": {
              if (timers.length === 0) break;
              const { id, timer } = timers[o.which % timers.length]!;
              const live = !cancelled.has(id) && !ran.includes(id);
              expect(timer.pending).toBe(live);
              expect(timer.cancel()).toBe(live);
              expect(timer.pending).toBe(false);
              if (live) cancelled.add(id);
              break;
            }
            case "run": {
              const before = s.eventsRun;
              const r = s.runFor(o.dt);
              expect(r.events).toBe(s.eventsRun - before);
              expect(r.stoppedBy).toBe("time");
              break;
            }
          }
          const live = scheduled.filter((e) => !cancelled.has(e.id) && !ran.includes(e.id)).length;
          expect(s.pending).toBe(live);
        }
        const r = s.runUntilIdle();
        expect(r.stoppedBy).toBe("idle");
        expect(r.pending).toBe(0);
        expect(s.pending).toBe(0);
        // Exactly the non-cancelled events ran, once each...
        const expected = scheduled.filter((e) => !cancelled.has(e.id)).map((e) => e.id);
        expect([...ran].sort((a, b) => a - b)).toEqual(expected);
        expect(s.eventsRun).toBe(ran.length);
        // ...in (time, seq) order.
        const order = ran.map((id) => scheduled[id]!);
        for (let i = 1; i < order.length; i++) {
          const a = order[i - 1]!;
          const b = order[i]!;
          expect(a.time < b.time || (a.time === b.time && a.seq < b.seq)).toBe(true);
        }
        // The clock ends at the last event that ran (or where the last run left it).
        if (order.length > 0) expect(s.now).toBeGreaterThanOrEqual(order[order.length - 1]!.time);
      }),
      { numRuns: 300 },
    );
  });

  it("property: random times come out sorted, with ties in scheduling order (large heap)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 400 }), (times) => {
        const s = new Scheduler();
        const out: [number, number][] = [];
        times.forEach((t, i) => s.at(t, (n: number) => out.push([s.now, n]), i));
        s.runUntilIdle();
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe("Scheduler run methods", () => {
  it("runUntil runs events up to and including the limit, sets now to it and leaves later events pending", () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (const t of [10, 20, 30, 40]) s.at(t, () => log.push(t));
    const r = s.runUntil(30);
    expect(log).toEqual([10, 20, 30]);
    expect(r).toEqual({ stoppedBy: "time", now: 30, events: 3, pending: 1, message: "ran 3 events to t=30us" });
    expect(s.now).toBe(30);
    expect(s.pending).toBe(1);
    const r2 = s.runUntil(35);
    expect(r2.events).toBe(0);
    expect(s.now).toBe(35);
    expect(s.nextEventTime()).toBe(40);
  });

  it("runUntil moves the clock to the limit even when nothing is pending", () => {
    const s = new Scheduler();
    const r = s.runUntil(5_000);
    expect(r.stoppedBy).toBe("time");
    expect(r.now).toBe(5_000);
    expect(s.now).toBe(5_000);
    expect(r.message).toBe("ran 0 events to t=5ms");
  });

  it("runFor runs for a duration from now", () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (const t of [100, 200, 300]) s.at(t, () => log.push(t));
    s.runUntil(150);
    const r = s.runFor(100);
    expect(r.now).toBe(250);
    expect(r.events).toBe(1);
    expect(log).toEqual([100, 200]);
    expect(s.runFor(0).events).toBe(0);
    expect(s.now).toBe(250);
  });

  it("runUntilIdle runs everything and leaves the clock at the last event", () => {
    const s = new Scheduler();
    s.at(7, () => s.after(1_000, () => {}));
    s.at(3, () => {});
    const r = s.runUntilIdle();
    expect(r.stoppedBy).toBe("idle");
    expect(r.now).toBe(1_007);
    expect(s.now).toBe(1_007);
    expect(r.events).toBe(3);
    expect(r.pending).toBe(0);
    expect(r.message).toBe("ran 3 events; nothing left to run at t=1.007ms");
  });

  it("step runs exactly one live event and returns false when idle", () => {
    const s = new Scheduler();
    const log: number[] = [];
    s.at(1, () => log.push(1));
    s.timer(2, () => log.push(2)).cancel();
    s.at(3, () => log.push(3));
    expect(s.step()).toBe(true);
    expect(log).toEqual([1]);
    expect(s.now).toBe(1);
    expect(s.step()).toBe(true); // skips the cancelled timer
    expect(log).toEqual([1, 3]);
    expect(s.now).toBe(3);
    expect(s.eventsRun).toBe(2);
    expect(s.step()).toBe(false);
    expect(s.now).toBe(3);
  });

  it("step returns false when only cancelled timers remain", () => {
    const s = new Scheduler();
    s.timer(5, () => {}).cancel();
    expect(s.step()).toBe(false);
    expect(s.now).toBe(0);
    expect(s.eventsRun).toBe(0);
  });
});

describe("Timer", () => {
  it("fires when not cancelled, and cannot be cancelled after firing", () => {
    const s = new Scheduler();
    const log: string[] = [];
    const t = s.timer(10, (x: string) => log.push(x), "fired");
    expect(t.at).toBe(10);
    expect(t.pending).toBe(true);
    s.runUntilIdle();
    expect(log).toEqual(["fired"]);
    expect(t.pending).toBe(false);
    expect(t.cancel()).toBe(false);
  });

  it("cancel returns true once, then false", () => {
    const s = new Scheduler();
    const t = s.timer(10, () => {
      throw new Error("a cancelled timer fired");
    });
    expect(t.cancel()).toBe(true);
    expect(t.cancel()).toBe(false);
    expect(s.pending).toBe(0);
    s.runUntilIdle();
  });

  it("cancelled timers neither advance the clock nor count as events", () => {
    const s = new Scheduler();
    s.at(50, () => {});
    s.timer(100, () => {}).cancel();
    s.timer(200, () => {}).cancel();
    expect(s.pending).toBe(1);
    const r = s.runUntilIdle();
    expect(r.now).toBe(50);
    expect(r.events).toBe(1);
    expect(s.eventsRun).toBe(1);
    expect(r.pending).toBe(0);
  });

  it("a timer cancelled by an earlier handler does not fire", () => {
    const s = new Scheduler();
    const log: string[] = [];
    const victim = s.timer(20, () => log.push("victim"));
    s.at(10, () => log.push(`cancel:${victim.cancel()}`));
    s.at(10, () => log.push(`again:${victim.cancel()}`));
    s.runUntilIdle();
    expect(log).toEqual(["cancel:true", "again:false"]);
    expect(s.now).toBe(10);
  });

  it("a timer can cancel a same-instant timer scheduled after it", () => {
    const s = new Scheduler();
    const log: string[] = [];
    let second: Timer<undefined> | null = null;
    s.timer(5, () => {
      log.push("first");
      second?.cancel();
    });
    second = s.timer(5, () => log.push("second"));
    s.runUntilIdle();
    expect(log).toEqual(["first"]);
  });
});

describe("nextEventTime", () => {
  it("is undefined when idle and skips cancelled heads", () => {
    const s = new Scheduler();
    expect(s.nextEventTime()).toBeUndefined();
    const a = s.timer(5, () => {});
    const b = s.timer(6, () => {});
    s.at(9, () => {});
    expect(s.nextEventTime()).toBe(5);
    a.cancel();
    expect(s.nextEventTime()).toBe(6);
    b.cancel();
    expect(s.nextEventTime()).toBe(9);
    expect(s.pending).toBe(1);
    s.runUntilIdle();
    expect(s.nextEventTime()).toBeUndefined();
  });

  it("is undefined when only cancelled timers remain, and pending stays consistent", () => {
    const s = new Scheduler();
    s.timer(5, () => {}).cancel();
    expect(s.nextEventTime()).toBeUndefined();
    expect(s.pending).toBe(0);
    s.at(1, () => {});
    expect(s.pending).toBe(1);
    expect(s.nextEventTime()).toBe(1);
  });
});

describe("bad times", () => {
  it("rejects scheduling in the past or at a non-integer time with a RangeError", () => {
    const s = new Scheduler();
    s.runUntil(100);
    const nop = () => {};
    expect(() => s.at(99, nop)).toThrow(RangeError);
    expect(() => s.at(99, nop)).toThrow(/not before now \(100us\)/);
    expect(() => s.at(100.5, nop)).toThrow(RangeError);
    expect(() => s.at(Number.NaN, nop)).toThrow(RangeError);
    expect(() => s.at(Number.POSITIVE_INFINITY, nop)).toThrow(RangeError);
    expect(() => s.after(-1, nop)).toThrow(RangeError);
    expect(() => s.after(0.5, nop)).toThrow(RangeError);
    expect(() => s.after(Number.NaN, nop)).toThrow(RangeError);
    expect(() => s.timer(-1, nop)).toThrow(RangeError);
    expect(() => s.timer(1.5, nop)).toThrow(RangeError);
    expect(() => s.runUntil(50)).toThrow(RangeError);
    expect(() => s.runFor(-1)).toThrow(RangeError);
    // Nothing was scheduled by the failed calls.
    expect(s.pending).toBe(0);
    expect(s.runUntilIdle().events).toBe(0);
    expect(s.now).toBe(100);
    // The present is allowed.
    s.at(100, nop);
    s.after(0, nop);
    expect(s.runUntilIdle().events).toBe(2);
  });

  it("runUntil rejects a non-integer limit and accepts Infinity (same as runUntilIdle)", () => {
    const s = new Scheduler();
    s.at(10, () => {});
    expect(() => s.runUntil(1.5)).toThrow(RangeError);
    expect(s.now).toBe(0);
    const r = s.runUntil(Number.POSITIVE_INFINITY);
    expect(r.stoppedBy).toBe("idle");
    expect(s.now).toBe(10);
  });

  it("property: the clock stays a whole number of microseconds, whatever runUntil is given", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1_000, noNaN: true }), { maxLength: 10 }), (limits) => {
        const s = new Scheduler();
        for (const l of limits) {
          try {
            s.runUntil(s.now + l);
          } catch (e) {
            expect(e).toBeInstanceOf(RangeError);
          }
          expect(Number.isSafeInteger(s.now)).toBe(true);
          s.after(0, () => {}); // the present must stay schedulable
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("event budget", () => {
  it("stops a runaway self-rescheduling actor with a partial result", () => {
    const s = new Scheduler({ maxEvents: 100 });
    const tick = () => s.after(10, tick);
    s.at(0, tick);
    const r = s.runUntilIdle();
    expect(r.stoppedBy).toBe("budget");
    expect(r.events).toBe(100);
    expect(r.pending).toBeGreaterThan(0);
    expect(r.now).toBe(990);
    expect(r.message).toMatch(/partial/);
    expect(r.message).toContain("budget of 100 events");
    expect(r.message).toContain("t=990us");
    expect(s.eventsRun).toBe(100);
    // The budget is for the world's lifetime: later runs do nothing.
    const again = s.runUntil(5_000);
    expect(again.stoppedBy).toBe("budget");
    expect(again.events).toBe(0);
    expect(again.now).toBe(990);
    expect(s.step()).toBe(false);
  });

  it("counts across run calls", () => {
    const s = new Scheduler({ maxEvents: 5 });
    for (let t = 1; t <= 10; t++) s.at(t, () => {});
    expect(s.runUntil(3).events).toBe(3);
    const r = s.runUntilIdle();
    expect(r.events).toBe(2);
    expect(r.stoppedBy).toBe("budget");
    expect(r.pending).toBe(5);
  });

  it("is not reported as spent when only cancelled timers remain", () => {
    const s = new Scheduler({ maxEvents: 2 });
    s.at(1, () => {});
    s.at(2, () => {});
    s.timer(3, () => {}).cancel();
    const r = s.runUntilIdle();
    expect(r.stoppedBy).toBe("idle");
    expect(r.events).toBe(2);
    expect(r.pending).toBe(0);
  });

  it("can be raised to continue a partial run", () => {
    const s = new Scheduler({ maxEvents: 3 });
    for (let t = 1; t <= 5; t++) s.at(t, () => {});
    expect(s.runUntilIdle().stoppedBy).toBe("budget");
    s.maxEvents = 10;
    const r = s.runUntilIdle();
    expect(r.stoppedBy).toBe("idle");
    expect(r.events).toBe(2);
  });

  it("Sim passes maxEvents through", () => {
    const sim = new Sim({ seed: 1, maxEvents: 7 });
    const tick = () => sim.after(1, tick);
    sim.at(0, tick);
    const r = sim.runUntilIdle();
    expect(r.stoppedBy).toBe("budget");
    expect(r.events).toBe(7);
  });
});

describe("stop", () => {
  it("returns after the handler that calls it, with its message, leaving the rest pending", () => {
    const s = new Scheduler();
    const log: number[] = [];
    s.at(10, () => log.push(10));
    s.at(20, () => {
      log.push(20);
      s.stop("found what we wanted");
    });
    s.at(20, () => log.push(21));
    s.at(30, () => log.push(30));
    const r = s.runUntil(1_000);
    expect(r.stoppedBy).toBe("stop");
    expect(r.message).toBe("found what we wanted");
    expect(r.now).toBe(20);
    expect(s.now).toBe(20);
    expect(r.events).toBe(2);
    expect(r.pending).toBe(2);
    expect(log).toEqual([10, 20]);
    const rest = s.runUntilIdle();
    expect(rest.stoppedBy).toBe("idle");
    expect(log).toEqual([10, 20, 21, 30]);
  });

  it("has a default message", () => {
    const s = new Scheduler();
    s.at(1, () => s.stop());
    const r = s.runUntilIdle();
    expect(r.stoppedBy).toBe("stop");
    expect(r.message).toBe("stopped by a handler");
  });
});

describe("Scheduler compaction of cancelled timers", () => {
  it("runs exactly the live events, in (time, seq) order, when most timers are cancelled and the heap is compacted (property)", () => {
    fc.assert(
      fc.property(
        // Mostly timers, mostly cancelled: enough for the heap to compact (over half the heap cancelled).
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 9 }).map((x) => x < 8), fc.boolean()), { minLength: 2_500, maxLength: 4_000 }),
        fc.integer({ min: 0, max: 1000 }),
        (plan, seed) => {
          const sim = new Scheduler();
          const ran: number[] = [];
          const expected: { t: number; i: number }[] = [];
          const timers: { cancel(): boolean }[] = [];
          plan.forEach(([t, asTimer, cancel], i) => {
            if (asTimer) {
              const timer = sim.timer(t, () => ran.push(i));
              if (cancel || (i + seed) % 5 !== 0) timers.push(timer);
              else expected.push({ t, i });
            } else {
              sim.at(t, () => ran.push(i));
              expected.push({ t, i });
            }
          });
          for (const timer of timers) timer.cancel();
          expect(sim.pending).toBe(expected.length);
          sim.runUntilIdle();
          expected.sort((a, b) => a.t - b.t || a.i - b.i);
          expect(ran).toEqual(expected.map((e) => e.i));
          expect(sim.pending).toBe(0);
        },
      ),
      { numRuns: 15 },
    );
  });
});
