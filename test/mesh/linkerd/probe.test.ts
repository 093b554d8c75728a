import { describe, expect, it } from "vitest";
import type { World } from "../../../src/scenario/world.js";
import { MILLISECOND, SECOND, type Micros } from "../../../src/sim/time.js";
import { linkerdWorld, westCall } from "./linkerd-world.js";

/** Runs until west's service mirror for east thinks the gateway is `alive`; how long that took. */
function until(w: World, alive: boolean, limit: Micros = 200 * SECOND): Micros {
  const mirror = w.linkerd!.mirrorsOf("west")[0]!;
  const start = w.sim.now;
  while (mirror.gatewayAlive !== alive) {
    if (w.sim.now - start > limit) throw new Error(`the gateway was not ${alive ? "alive" : "dead"} within ${limit}us`);
    w.runFor(10 * MILLISECOND);
  }
  return w.sim.now - start;
}

const GATEWAY_HOST = "east/linkerd-multicluster/linkerd-gateway";

describe("Gateway probing (mesh.md §5.3)", () => {
  it("probes every 3s plus up to 10% jitter, the first after one full period", () => {
    const w = linkerdWorld({ warm: 0 });
    // From the instant the service mirror starts (its Link seen through the API server's watch).
    while (w.linkerd!.mirrorsOf("west").length === 0) w.runFor(MILLISECOND);
    const probe = w.linkerd!.mirrorsOf("west")[0]!.probe!;
    w.runFor(3 * SECOND - 2 * MILLISECOND);
    expect(probe.probes).toBe(0);
    w.runFor(300 * MILLISECOND + 2 * MILLISECOND);
    expect(probe.probes).toBe(1);
    w.runFor(30 * SECOND);
    // Ten more ticks in 30s, each 3s to 3.3s apart.
    expect(probe.probes).toBeGreaterThanOrEqual(10);
    expect(probe.probes).toBeLessThanOrEqual(11);
    expect(probe.metricAlive).toBe(true);
    expect(probe.latency).toBeGreaterThan(50 * MILLISECOND);
  });

  for (const seed of [1, 2, 3]) {
    it(`a refusing gateway is declared dead in 6–10s, the mirror's endpoint then not-ready and calls fail fast; one success recovers (seed ${seed})`, () => {
      const w = linkerdWorld({ seed });
      const lb = w.network.host(GATEWAY_HOST)!;
      const listeners = [4143, 4191].map((port) => lb.listeners.get(port)!);
      for (const l of listeners) w.network.unbind(l);
      const took = until(w, false);
      expect(took).toBeGreaterThanOrEqual(6 * SECOND);
      expect(took).toBeLessThanOrEqual(10 * SECOND);
      w.runFor(1 * SECOND);
      expect(w.cluster("west").api.get("EndpointSlice", "default", "web-east")!.endpoints[0]!.conditions).toEqual({ ready: false });
      const failed = westCall(w);
      expect([failed.status, failed.error]).toEqual([503, "no-healthy-upstream"]);
      // At once: only the name lookup before it, no connection attempted.
      expect(failed.finishedAt - failed.startedAt).toBeLessThan(5 * MILLISECOND);
      w.network.bind(listeners[0]!, lb, 4143);
      w.network.bind(listeners[1]!, lb, 4191);
      expect(until(w, true)).toBeLessThanOrEqual(3300 * MILLISECOND + 200 * MILLISECOND);
      w.runFor(1 * SECOND);
      expect(westCall(w).status).toBe(200);
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`a black-holed gateway is declared dead after about 90s: three 30s probe timeouts back to back, missed ticks dropped (seed ${seed})`, () => {
      const w = linkerdWorld({ seed });
      const probe = w.linkerd!.mirrorsOf("west")[0]!.probe!;
      const fault = w.network.partition({ clusters: ["west"] }, { hosts: [GATEWAY_HOST] });
      const sent = probe.probes;
      const took = until(w, false);
      expect(took).toBeGreaterThanOrEqual(90 * SECOND);
      expect(took).toBeLessThanOrEqual(94 * SECOND);
      // One probe per timeout, each started by the tick that waited in the ticker's one slot (the
      // rest dropped): three timed out, and the fourth began the instant the third failed.
      expect(probe.probes - sent).toBe(4);
      w.network.revert(fault);
      expect(until(w, true)).toBeLessThanOrEqual(31 * SECOND);
    });
  }

  it("a gateway dead from the start never makes the watcher declare it dead (the worker starts not alive, linkerd/linkerd2#8590)", () => {
    const w = linkerdWorld({ warm: 0 });
    w.network.partition({ clusters: ["west"] }, { hosts: [GATEWAY_HOST] });
    w.runFor(200 * SECOND);
    const mirror = w.linkerd!.mirrorsOf("west")[0]!;
    expect([mirror.gatewayAlive, mirror.probe!.alive, mirror.probe!.metricAlive]).toEqual([true, false, false]);
  });
});
