/**
 * Runs a {@link StubLookup} to completion against a function that plays the network and the
 * nameservers: a small deterministic event loop (time, then order of scheduling). Meant for tests,
 * for the lab shell's one-off lookups, and as an example of wiring a lookup to a network.
 */

import type { Micros } from "../../sim/time.js";
import type { StubLookup } from "./stub.js";
import type { LookupResult, SendAction, StubResponse } from "./types.js";

/** How the network answers one query: a reply after `delay` microseconds, or nothing. */
export type Reaction = { response: StubResponse; delay: Micros } | "drop";

/** Decides the fate of each query the stub sends; may return several reactions (duplicates). */
export type Responder = (query: SendAction, now: Micros) => Reaction | readonly Reaction[];

/** A lookup that did not finish within the step budget (a bug in the model). */
export class DriveError extends Error {
  override readonly name = "DriveError";
}

interface Pending {
  at: Micros;
  seq: number;
  run: () => void;
}

/**
 * Starts `lookup` at `start` and feeds it replies and timer events until it is done.
 * @throws DriveError when it does not finish within `maxSteps` events.
 */
export function driveLookup(lookup: StubLookup, responder: Responder, options: { start?: Micros; maxSteps?: number } = {}): LookupResult {
  const queue: Pending[] = [];
  let seq = 0;
  let now = options.start ?? 0;
  const timers = new Map<number, Pending>();
  const push = (p: Pending): void => {
    let i = queue.length;
    while (i > 0 && ((queue[i - 1] as Pending).at > p.at || ((queue[i - 1] as Pending).at === p.at && (queue[i - 1] as Pending).seq > p.seq))) i--;
    queue.splice(i, 0, p);
  };
  const handle = (actions: ReturnType<StubLookup["start"]>): void => {
    for (const a of actions) {
      if (a.kind === "send") {
        const r = responder(a, now);
        const list: readonly Reaction[] = Array.isArray(r) ? (r as readonly Reaction[]) : [r as Reaction];
        for (const reaction of list) {
          if (reaction === "drop") continue;
          const tx = a.tx;
          const response = reaction.response;
          push({ at: now + reaction.delay, seq: seq++, run: () => handle(lookup.onAnswer(now, tx, response)) });
        }
      } else if (a.kind === "setTimer") {
        const timer = a.timer;
        const p: Pending = { at: a.at, seq: seq++, run: () => handle(lookup.onTimer(now, timer)) };
        timers.set(timer, p);
        push(p);
      } else if (a.kind === "cancelTimer") {
        const p = timers.get(a.timer);
        if (p) {
          const i = queue.indexOf(p);
          if (i >= 0) queue.splice(i, 1);
          timers.delete(a.timer);
        }
      }
    }
  };
  handle(lookup.start(now));
  const max = options.maxSteps ?? 100_000;
  for (let steps = 0; !lookup.done; steps++) {
    const next = queue.shift();
    if (!next || steps >= max) throw new DriveError(`lookup of ${JSON.stringify(lookup.name)} did not finish (${steps} events, queue ${queue.length})`);
    now = next.at;
    next.run();
  }
  return lookup.result as LookupResult;
}
