/**
 * Properties of the stub resolvers over generated names, resolv.conf files and network behaviour
 * (dns.md §5.2–5.4): queries stay within the candidate list and walk it forward, a trailing-dot name
 * queries only itself, every lookup ends, and time only moves forward.
 */

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MILLISECOND, type Micros } from "../../../src/sim/time.js";
import {
  DriveError,
  StubLookup,
  candidateNames,
  driveLookup,
  resolverSettings,
  type BehaviourName,
  type LookupResult,
  type Reaction,
  type StubAction,
  type StubResponse,
} from "../../../src/dns/resolver/index.js";

const label = fc.constantFrom("a", "b", "web", "svc", "x1", "api", "default");
const nameArb = fc.tuple(fc.array(label, { minLength: 1, maxLength: 7 }), fc.boolean()).map(([ls, dot]) => ls.join(".") + (dot ? "." : ""));
const domainArb = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ls, dot]) => ls.join(".") + (dot ? "." : ""));
const searchArb = fc.uniqueArray(domainArb, { maxLength: 4, selector: (d) => (d.endsWith(".") ? d.slice(0, -1) : d) });
const serversArb = fc.uniqueArray(fc.constantFrom("10.96.0.10", "10.0.0.2", "10.0.0.3", "fd00::53"), { minLength: 1, maxLength: 3 });
const flagsArb = fc.subarray(["single-request", "single-request-reopen", "use-vc", "no-tld-query", "rotate", "edns0"]);

const confArb = fc
  .record({
    search: searchArb,
    servers: serversArb,
    ndots: fc.integer({ min: 0, max: 6 }),
    timeout: fc.integer({ min: 1, max: 5 }),
    attempts: fc.integer({ min: 1, max: 3 }),
    flags: flagsArb,
  })
  .map(({ search, servers, ndots, timeout, attempts, flags }) => {
    let text = "";
    if (search.length > 0) text += `search ${search.join(" ")}\n`;
    for (const s of servers) text += `nameserver ${s}\n`;
    text += `options ndots:${ndots} timeout:${timeout} attempts:${attempts}${flags.map((f) => ` ${f}`).join("")}\n`;
    return text;
  });

type Kind = "addr" | "nodata" | "cname" | "nxdomain" | "servfail" | "refused" | "formerr";
const reactionArb = fc.oneof(
  fc.constant("drop" as const),
  fc.record({
    kind: fc.constantFrom<Kind>("addr", "nodata", "cname", "nxdomain", "servfail", "refused", "formerr"),
    truncated: fc.boolean(),
    delayMs: fc.integer({ min: 0, max: 7000 }),
    duplicate: fc.boolean(),
  }),
);

function response(kind: Kind, truncated: boolean, name: string, qtype: string): StubResponse {
  const rcode = kind === "nxdomain" ? "NXDOMAIN" : kind === "servfail" ? "SERVFAIL" : kind === "refused" ? "REFUSED" : kind === "formerr" ? "FORMERR" : "NOERROR";
  const answers =
    kind === "addr"
      ? [{ type: qtype, name, data: qtype === "A" ? "10.1.2.3" : "fd00::1", ttl: 5 }]
      : kind === "cname"
        ? [{ type: "CNAME", name, data: "elsewhere.example", ttl: 5 }]
        : [];
  return { rcode, answers, truncated };
}

/** A StubLookup that checks the interface's rules on every call. */
class CheckedLookup extends StubLookup {
  readonly problems: string[] = [];
  private lastNow = -1;
  private readonly live = new Set<number>();
  private doneCount = 0;

  private check(now: Micros, actions: StubAction[]): StubAction[] {
    if (now < this.lastNow) this.problems.push(`now went backwards: ${now} < ${this.lastNow}`);
    this.lastNow = now;
    if (this.doneCount > 0 && actions.length > 0) this.problems.push("actions after done");
    actions.forEach((a, i) => {
      if (a.kind === "setTimer") {
        if (a.at <= now) this.problems.push(`timer set in the past or present: ${a.at} at ${now}`);
        this.live.add(a.timer);
      } else if (a.kind === "cancelTimer") {
        if (!this.live.delete(a.timer)) this.problems.push(`cancel of unknown timer ${a.timer}`);
      } else if (a.kind === "done") {
        this.doneCount++;
        if (i !== actions.length - 1) this.problems.push("done is not the last action");
        if (this.live.size > 0) this.problems.push(`timers left set after done: ${[...this.live].join(",")}`);
      }
    });
    return actions;
  }

  override start(now: Micros): StubAction[] {
    return this.check(now, super.start(now));
  }
  override onAnswer(now: Micros, tx: number, r: StubResponse): StubAction[] {
    return this.check(now, super.onAnswer(now, tx, r));
  }
  override onTimer(now: Micros, timer: number): StubAction[] {
    this.live.delete(timer);
    return this.check(now, super.onTimer(now, timer));
  }
}

interface Case {
  behaviour: BehaviourName;
  muslVersion: string;
  text: string;
  name: string;
  reactions: (Reaction | { kind: Kind; truncated: boolean; delayMs: number; duplicate: boolean } | "drop")[];
}

const caseArb = fc.record({
  behaviour: fc.constantFrom<BehaviourName>("glibc", "musl", "go"),
  muslVersion: fc.constantFrom("1.2.1", "1.2.3", "1.2.5"),
  text: confArb,
  name: nameArb,
  reactions: fc.array(reactionArb, { minLength: 1, maxLength: 24 }),
});

function play(c: Case): { lookup: CheckedLookup; result: LookupResult; sentNames: string[] } {
  const settings = resolverSettings(c.behaviour, c.text, { muslVersion: c.muslVersion });
  let id = 7;
  const lookup = new CheckedLookup(settings, c.name, { nextId: () => (id = (id * 75 + 74) % 65537) });
  const sentNames: string[] = [];
  let i = 0;
  const result = driveLookup(
    lookup,
    (q) => {
      sentNames.push(q.name);
      const r = c.reactions[i++ % c.reactions.length] as Case["reactions"][number];
      if (r === "drop" || !("kind" in r)) return "drop";
      const one: Reaction = { response: response(r.kind, r.truncated, q.name, q.qtype), delay: r.delayMs * MILLISECOND };
      return r.duplicate ? [one, { ...one, delay: one.delay + MILLISECOND }] : one;
    },
    { maxSteps: 20_000 },
  );
  return { lookup, result, sentNames };
}

describe("stub resolver properties (§5.2–5.4)", () => {
  it("every query is for a candidate name, candidates are walked forward and never repeat", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const settings = resolverSettings(c.behaviour, c.text, { muslVersion: c.muslVersion });
        const cands = candidateNames(settings, c.name);
        expect(new Set(cands).size).toBe(cands.length);
        const { sentNames } = play(c);
        let last = -1;
        for (const n of sentNames) {
          const at = cands.indexOf(n);
          expect(at, `${n} is not a candidate of ${c.name}: ${cands.join(", ")}`).toBeGreaterThanOrEqual(0);
          expect(at, `went back to ${n}`).toBeGreaterThanOrEqual(last);
          last = at;
        }
      }),
      { numRuns: 250 },
    );
  });

  it("a trailing-dot name queries only itself", () => {
    fc.assert(
      fc.property(caseArb, (c0) => {
        const c = { ...c0, name: c0.name.endsWith(".") ? c0.name : `${c0.name}.` };
        const settings = resolverSettings(c.behaviour, c.text, { muslVersion: c.muslVersion });
        expect(candidateNames(settings, c.name)).toEqual([c.name.slice(0, -1)]);
        const { sentNames } = play(c);
        expect(sentNames.every((n) => n === c.name.slice(0, -1))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("every lookup ends with done within a bounded number of steps; time only moves forward; the interface rules hold", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        let out: ReturnType<typeof play>;
        try {
          out = play(c);
        } catch (e) {
          if (e instanceof DriveError) throw new Error(`did not finish: ${e.message}`);
          throw e;
        }
        const { lookup, result } = out;
        expect(lookup.problems).toEqual([]);
        expect(lookup.done).toBe(true);
        expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt);
        for (let k = 1; k < result.queries.length; k++) {
          expect((result.queries[k] as { sentAt: number }).sentAt).toBeGreaterThanOrEqual((result.queries[k - 1] as { sentAt: number }).sentAt);
        }
        for (const q of result.queries) {
          if (q.receivedAt !== undefined) expect(q.receivedAt).toBeGreaterThanOrEqual(q.sentAt);
          expect(q.sentAt).toBeLessThanOrEqual(result.finishedAt);
        }
        if (result.ok) expect(result.addresses.length).toBeGreaterThan(0);
        else expect(result.error).toBeDefined();
      }),
      { numRuns: 250 },
    );
  });

  it("the same inputs give the same result (no hidden randomness)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(JSON.stringify(play(c).result)).toBe(JSON.stringify(play(c).result));
      }),
      { numRuns: 60 },
    );
  });
});
