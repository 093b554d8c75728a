import { Actor, address, type ActorId, type Message } from "../sim/actor.js";
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
import { StubLookup } from "./resolver/stub.js";
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

interface Transmission {
  readonly lookup: StubLookup;
  readonly tx: number;
}

/**
 * A pod's stub resolver on the simulated network: it runs {@link StubLookup}s (glibc, musl or Go,
 * as the pod's image would) and carries their queries to the nameservers of the pod's resolv.conf
 * as DNS messages, their timers as simulation timers, and the replies back. Replies are matched by
 * message id and question, as the libcs match them.
 */
export class PodResolver extends Actor {
  private readonly ids: Rng;
  private readonly inFlight = new Map<string, Transmission[]>();
  /** The in-flight keys each lookup used, so that finishing one touches only its own. */
  private readonly keysOf = new Map<StubLookup, string[]>();
  private readonly timers = new Map<StubLookup, Map<number, Pick<Timer, "cancel">>>();
  private readonly callbacks = new Map<StubLookup, (result: LookupResult) => void>();

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
    const lookup = new StubLookup(this.settings, name, { nextId: () => this.ids.int(65536), ...(options.family ? { family: options.family } : {}) });
    if (callback) this.callbacks.set(lookup, callback);
    this.timers.set(lookup, new Map());
    this.run(lookup, lookup.start(this.sim.now));
    return lookup;
  }

  private run(lookup: StubLookup, actions: readonly StubAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "send": {
          const query = makeQuery(action.name, action.qtype, { id: action.id, ...(action.ednsUdpSize ? { ednsUdpSize: action.ednsUdpSize } : {}) });
          const key = keyOf(action.id, action.name, action.qtype);
          const list = this.inFlight.get(key);
          if (list) list.push({ lookup, tx: action.tx });
          else this.inFlight.set(key, [{ lookup, tx: action.tx }]);
          const keys = this.keysOf.get(lookup);
          if (keys) keys.push(key);
          else this.keysOf.set(lookup, [key]);
          this.send(address(action.server, DNS_PORT), DNS_QUERY, { packet: query, transport: action.transport } satisfies DnsQueryBody);
          break;
        }
        case "setTimer": {
          const timer = this.sim.timer(Math.max(0, action.at - this.sim.now), () => {
            this.timers.get(lookup)?.delete(action.timer);
            this.run(lookup, lookup.onTimer(this.sim.now, action.timer));
          });
          this.timers.get(lookup)?.set(action.timer, timer);
          break;
        }
        case "cancelTimer":
          this.timers.get(lookup)?.get(action.timer)?.cancel();
          this.timers.get(lookup)?.delete(action.timer);
          break;
        case "done":
          this.finish(lookup, action.result);
          break;
      }
    }
  }

  private finish(lookup: StubLookup, result: LookupResult): void {
    for (const t of this.timers.get(lookup)?.values() ?? []) t.cancel();
    this.timers.delete(lookup);
    for (const key of this.keysOf.get(lookup) ?? []) {
      const list = this.inFlight.get(key);
      if (!list) continue;
      const rest = list.filter((t) => t.lookup !== lookup);
      if (rest.length === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, rest);
    }
    this.keysOf.delete(lookup);
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
    const callback = this.callbacks.get(lookup);
    this.callbacks.delete(lookup);
    callback?.(result);
  }

  private onReply(m: Message<DnsResponseBody>): void {
    const packet = m.body.packet;
    const q = packet.questions?.[0];
    if (!q) return;
    const key = keyOf(packet.id ?? 0, q.name, q.type);
    const list = this.inFlight.get(key);
    // The most recent transmission with this id and question: a retry reuses both.
    const t = list?.[list.length - 1];
    if (!t) return;
    this.run(t.lookup, t.lookup.onAnswer(this.sim.now, t.tx, toStubResponse(packet)));
  }
}

const keyOf = (id: number, name: string, qtype: string) => `${id} ${name.toLowerCase()} ${qtype}`;

/** A dns-packet reply reduced to what the stub resolvers read. */
export function toStubResponse(p: Packet): StubResponse {
  const answers: StubRecord[] = [];
  for (const a of p.answers ?? []) {
    if (a.type === "A" || a.type === "AAAA" || a.type === "CNAME") answers.push({ type: a.type, name: a.name, data: String(a.data), ttl: a.ttl ?? 0 });
  }
  return {
    rcode: rcodeOf(p),
    answers,
    truncated: hasFlag(p, FLAGS.TC),
    authoritative: hasFlag(p, FLAGS.AA),
    recursionAvailable: hasFlag(p, FLAGS.RA),
    additionalCount: (p.additionals ?? []).filter((a) => a.type !== "OPT").length,
  };
}
