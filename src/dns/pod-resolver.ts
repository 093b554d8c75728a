import { Actor, address, type ActorId, type Address, type Message } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Timer } from "../sim/scheduler.js";
import {
  DNS_QUERY,
  DNS_RESPONSE,
  FLAGS,
  hasFlag,
  makeQuery,
  rcodeOf,
  type DnsQueryBody,
  type DnsResponseBody,
  type Packet,
} from "./message.js";
import type { ResolverSettings } from "./resolver/behaviour.js";
import { append, EMPTY, setAt } from "./resolver/lists.js";
import { StubLookup, type LookupOptions } from "./resolver/stub.js";
import type { LookupFamily, LookupResult, StubAction, StubRecord, StubResponse } from "./resolver/types.js";
import { DNS_PORT } from "./coredns.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** A pod's lookup finished (summary level). */
    "dns.lookup": { pod: string; name: string; behaviour: string; ok: boolean; error: string; queries: number; latency: number };
  }
}


/** A lookup in progress or done. */
export interface PodLookup {
  /** The lookup's outcome once it is done. */
  readonly result: LookupResult | undefined;
}

/** A lookup in flight, with everything the resolver keeps for it. */
interface Active {
  readonly lookup: StubLookup;
  readonly callback: ((result: LookupResult) => void) | undefined;
  /** Its timers by the stub's (small, dense, from 1) timer number: timer `n` is `timers[n - 1]`. */
  timers: (Pick<Timer, "cancel"> | undefined)[];
}

/** What a lookup's timer fires with. */
interface TimerArg {
  readonly active: Active;
  readonly timer: number;
}

/** One query on the wire: matched to its reply by message id, then question, as the libcs do. */
interface Transmission {
  readonly active: Active;
  readonly tx: number;
  readonly id: number;
  /** The question's name as sent (compared without regard to case). */
  readonly name: string;
  readonly qtype: string;
}

/**
 * A pod's stub resolver on the simulated network: it runs {@link StubLookup}s (glibc, musl or Go,
 * as the pod's image would) and carries their queries to the nameservers of the pod's resolv.conf
 * as DNS messages, their timers as simulation timers, and the replies back. Replies are matched by
 * message id and question, as the libcs match them.
 */
export class PodResolver extends Actor {
  private readonly ids: Rng;
  /** Transmissions waiting for a reply, by message id. */
  private readonly byId = new Map<number, Transmission[]>();
  /** The nameservers' addresses, made once each. */
  private readonly servers = new Map<string, Address>();
  /** The options of each lookup by family, made once each (a lookup never changes them). */
  private readonly lookupOptions = new Map<LookupFamily | undefined, LookupOptions>();
  private readonly nextId = (): number => this.ids.int(65536);

  constructor(
    sim: Sim,
    id: ActorId,
    /** How the pod's libc reads its resolv.conf. */
    readonly settings: ResolverSettings,
  ) {
    super(sim, id);
    this.ids = sim.rng.stream(`resolver/${this.label}/ids`);
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m) => this.onReply(m));
  }

  /** Starts a lookup of `name` now (getaddrinfo with the given family); `callback` runs when it is done. */
  lookup(name: string, options: { readonly family?: LookupFamily } = {}, callback?: (result: LookupResult) => void): PodLookup {
    const family = options.family || undefined;
    let stubOptions = this.lookupOptions.get(family);
    if (!stubOptions) {
      stubOptions = { nextId: this.nextId, ...(family ? { family } : {}) };
      this.lookupOptions.set(family, stubOptions);
    }
    const lookup = new StubLookup(this.settings, name, stubOptions);
    const active: Active = { lookup, callback, timers: EMPTY };
    this.run(active, lookup.start(this.sim.now));
    return lookup;
  }

  private run(active: Active, actions: readonly StubAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "send": {
          const query = makeQuery(action.name, action.qtype, action.ednsUdpSize ? { id: action.id, ednsUdpSize: action.ednsUdpSize } : { id: action.id });
          const t: Transmission = { active, tx: action.tx, id: action.id, name: action.name, qtype: action.qtype };
          const list = this.byId.get(action.id);
          if (list) list.push(t);
          else this.byId.set(action.id, [t]);
          this.send(this.serverAddress(action.server), DNS_QUERY, { packet: query, transport: action.transport } satisfies DnsQueryBody);
          break;
        }
        case "setTimer": {
          const timer = this.sim.timer(Math.max(0, action.at - this.sim.now), this.timerFired, { active, timer: action.timer } satisfies TimerArg);
          active.timers = setAt(active.timers, action.timer - 1, timer);
          break;
        }
        case "cancelTimer": {
          const timer = active.timers[action.timer - 1];
          if (timer) {
            timer.cancel();
            active.timers[action.timer - 1] = undefined;
          }
          break;
        }
        case "done":
          this.finish(active, action.result);
          break;
      }
    }
  }

  /** A lookup's timer fired: a handler scheduled with its argument, rather than a closure per timer. */
  private readonly timerFired = ({ active, timer }: TimerArg): void => {
    active.timers[timer - 1] = undefined;
    this.run(active, active.lookup.onTimer(this.sim.now, timer));
  };

  private serverAddress(ip: string): Address {
    let a = this.servers.get(ip);
    if (!a) {
      a = address(ip, DNS_PORT);
      this.servers.set(ip, a);
    }
    return a;
  }

  private finish(active: Active, result: LookupResult): void {
    const timers = active.timers;
    for (let i = 0; i < timers.length; i++) timers[i]?.cancel();
    // Its transmissions (one per query the stub recorded) are no longer waited for.
    for (const q of result.queries) {
      const list = this.byId.get(q.id);
      if (!list) continue;
      let i = list.length - 1;
      while (i >= 0 && !(list[i]!.active === active && list[i]!.tx === q.tx)) i--;
      if (i < 0) continue;
      if (list.length === 1) {
        this.byId.delete(q.id);
        continue;
      }
      // Keep the others in send order: a reply goes to the most recent match.
      for (let j = i; j < list.length - 1; j++) list[j] = list[j + 1]!;
      list.pop();
    }
    if (this.sim.trace.summary) {
      this.sim.trace.record("dns.lookup", {
        pod: this.label,
        name: result.name,
        behaviour: result.behaviour,
        ok: result.ok,
        error: result.error ?? "",
        queries: result.queries.length,
        latency: result.finishedAt - result.startedAt,
      });
    }
    active.callback?.(result);
  }

  private onReply(m: Message<DnsResponseBody>): void {
    const packet = m.body.packet;
    const q = packet.questions?.[0];
    const list = q ? this.byId.get(packet.id ?? 0) : undefined;
    if (!q || !list) return;
    const name = q.name;
    // The most recent transmission with this id and question: a retry reuses both.
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.qtype !== q.type || !sameName(t.name, name)) continue;
      this.run(t.active, t.active.lookup.onAnswer(this.sim.now, t.tx, toStubResponse(packet)));
      return;
    }
  }
}


/** Names equal but for case; the reply usually carries the very string the query was sent with. */
function sameName(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** A dns-packet reply reduced to what the stub resolvers read. */
export function toStubResponse(p: Packet): StubResponse {
  let answers: StubRecord[] = EMPTY;
  for (const a of p.answers ?? []) {
    // Their data is a string already: converting it would read a string the reply only points to.
    if (a.type === "A" || a.type === "AAAA" || a.type === "CNAME") answers = append(answers, { type: a.type, name: a.name, data: a.data, ttl: a.ttl ?? 0 });
  }
  let additionalCount = 0;
  for (const a of p.additionals ?? []) if (a.type !== "OPT") additionalCount++;
  return {
    rcode: rcodeOf(p),
    answers,
    truncated: hasFlag(p, FLAGS.TC),
    authoritative: hasFlag(p, FLAGS.AA),
    recursionAvailable: hasFlag(p, FLAGS.RA),
    additionalCount,
  };
}
