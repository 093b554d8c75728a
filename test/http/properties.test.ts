import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RequestResult } from "../../src/http/message.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";
import { httpWorld, webPods } from "./http-world.js";

/**
 * Whatever the app does (reset, hang, abort, delay, in any mix) and whatever the network does
 * (a partition between the client and some pods, loss), every call ends exactly once, with a
 * status or with an error kind and never both, and never later than its timeout.
 */
describe("every HTTP call ends exactly once, in time", () => {
  it("holds for generated faults, partitions, replica counts and timeouts", () => {
    const p = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1000 }),
          replicas: fc.integer({ min: 0, max: 3 }),
          reset: p,
          hang: p,
          abort: p,
          delay: fc.integer({ min: 0, max: 3000 }),
          partitioned: fc.integer({ min: 0, max: 3 }),
          loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
          timeoutMs: fc.integer({ min: 1, max: 4000 }),
          calls: fc.integer({ min: 1, max: 30 }),
        }),
        (c) => {
          const w = httpWorld({ seed: c.seed, replicas: c.replicas });
          const pods = webPods(w);
          for (const pod of pods) {
            for (const s of w.http.serversOf("east", "default", pod)) {
              s.addFault({ reset: c.reset, hang: c.hang, abort: { status: 503, probability: c.abort }, delay: { delay: c.delay * MILLISECOND, probability: 0.5 } });
            }
          }
          const client = { hosts: ["east/default/client"] };
          if (c.partitioned > 0 && pods.length > 0) w.network.partition(client, { hosts: pods.slice(0, c.partitioned).map((p) => `east/default/${p}`) });
          if (c.loss > 0) w.network.loss(client, { clusters: ["east"] }, { loss: c.loss, direction: "both" });
          const timeout = c.timeoutMs * MILLISECOND;
          const ended = new Map<number, RequestResult[]>();
          for (let i = 0; i < c.calls; i++) {
            w.request("east", "default/client", "http://web/", { timeout, onDone: (r) => ended.set(i, [...(ended.get(i) ?? []), r]) });
          }
          w.runFor(timeout + 10 * SECOND);
          expect(ended.size).toBe(c.calls);
          for (const [, results] of ended) {
            expect(results).toHaveLength(1);
            const r = results[0]!;
            expect((r.status === null) !== (r.error === undefined)).toBe(true);
            expect(r.finishedAt - r.startedAt).toBeLessThanOrEqual(timeout);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
