import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fifo } from "../../src/index.js";

describe("Fifo", () => {
  it("is empty when new", () => {
    const q = new Fifo<number>();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.drain()).toEqual([]);
  });

  it("gives items back oldest first and tracks its length", () => {
    const q = new Fifo<string>();
    q.push("a");
    q.push("b");
    q.push("c");
    expect(q.length).toBe(3);
    expect(q.shift()).toBe("a");
    expect(q.length).toBe(2);
    q.push("d");
    expect(q.shift()).toBe("b");
    expect(q.shift()).toBe("c");
    expect(q.shift()).toBe("d");
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it("drain returns what is left, oldest first, and empties it", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    q.shift();
    expect(q.drain()).toEqual([1, 2, 3, 4]);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    q.push(9);
    expect(q.length).toBe(1);
    expect(q.shift()).toBe(9);
  });

  it("keeps order across compaction: push 5000, shift 5000", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5_000; i++) q.push(i);
    const out: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      expect(q.length).toBe(5_000 - i);
      out.push(q.shift()!);
    }
    expect(out).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it("keeps order across compaction with pushes and shifts interleaved", () => {
    const q = new Fifo<number>();
    let pushed = 0;
    let expected = 0;
    for (let round = 0; round < 5_000; round++) {
      q.push(pushed++);
      q.push(pushed++);
      expect(q.shift()).toBe(expected++);
    }
    expect(q.length).toBe(5_000);
    const rest = q.drain();
    expect(rest).toEqual(Array.from({ length: 5_000 }, (_, i) => 5_000 + i));
  });

  it("property: behaves like an array used as a queue", () => {
    const op = fc.constantFrom("push", "shift", "drain");
    fc.assert(
      fc.property(
        // Runs of pushes and shifts long enough to pass the compaction threshold (1024).
        fc.array(fc.tuple(op, fc.integer({ min: 1, max: 600 })), { maxLength: 30 }),
        (ops) => {
          const q = new Fifo<number>();
          let model: number[] = [];
          let n = 0;
          for (const [o, times] of ops) {
            if (o === "drain") {
              expect(q.drain()).toEqual(model);
              model = [];
              continue;
            }
            for (let i = 0; i < times; i++) {
              if (o === "push") {
                q.push(n);
                model.push(n++);
              } else {
                expect(q.shift()).toBe(model.shift());
              }
            }
            expect(q.length).toBe(model.length);
          }
          expect(q.drain()).toEqual(model);
        },
      ),
      { numRuns: 100 },
    );
  });
});
