/**
 * One upstream of a `forward` (CoreDNS's pkg/proxy Proxy) with its in-band health check, and the
 * three selection policies (policy.go). dns.md §4.1.
 */
import type { Address } from "../../../sim/actor.js";
import type { Rng } from "../../../sim/rng.js";
import type { Micros } from "../../../sim/time.js";
import { makeQuery } from "../../message.js";
import type { DnsServer } from "../../plugin.js";
import { HEALTH_CHECK_TIMEOUT } from "./config.js";

/** How health checks are sent. */
export interface HealthCheckOptions {
  readonly interval: Micros;
  readonly recursionDesired: boolean;
  readonly domain: string;
  readonly transport: "udp" | "tcp";
}

/**
 * An upstream. `fails` counts consecutive failed health checks (not failed queries); the upstream
 * is down when `fails > max_fails`. A failed exchange starts the health check, which probes at
 * once and, while probes fail, again `interval` after each failed probe finished (probe.Do:
 * check, sleep, check), until one gets any reply, which sets `fails` back to 0.
 */
export class Upstream {
  /** Consecutive failed health checks. */
  fails = 0;
  /** True while the health check loop runs. */
  probing = false;
  /** Health check probes sent, for tests and reports. */
  probes = 0;

  constructor(
    readonly address: Address,
    private readonly server: DnsServer,
    private readonly ids: Rng,
    private readonly health: HealthCheckOptions,
  ) {}

  /** Proxy.Down. */
  down(maxFails: number): boolean {
    return maxFails !== 0 && this.fails > maxFails;
  }

  /** Proxy.Healthcheck: starts the probe loop unless it runs already. */
  healthcheck(): void {
    if (this.probing) return;
    this.probing = true;
    this.probe();
  }

  private probe(): void {
    const h = this.health;
    const ping = makeQuery(h.domain, "NS", { id: this.ids.int(65536), rd: h.recursionDesired });
    this.probes++;
    this.server.exchange(this.address, ping, h.transport, HEALTH_CHECK_TIMEOUT, (reply) => {
      if (reply) {
        // Any reply, SERVFAIL and REFUSED included, is healthy.
        this.fails = 0;
        this.probing = false;
        return;
      }
      if (this.fails < 0xffffffff) this.fails++;
      this.server.sim.after(h.interval, () => this.probe());
    });
  }
}

/** random.List: the list as is (one), a coin flip (two), else a permutation (Go's rand.Perm). */
export function randomOrder<T>(list: readonly T[], rng: Rng): T[] {
  if (list.length === 1) return [...list];
  if (list.length === 2) return rng.int(2) === 0 ? [list[1]!, list[0]!] : [...list];
  const perm: number[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const j = rng.int(i + 1);
    perm[i] = perm[j]!;
    perm[j] = i;
  }
  return perm.map((p) => list[p]!);
}

/** roundRobin.List: the counter goes up by one per query; that upstream first, then the others in order. */
export function roundRobinOrder<T>(list: readonly T[], robin: number): T[] {
  const i = robin % list.length;
  return [list[i]!, ...list.slice(0, i), ...list.slice(i + 1)];
}
