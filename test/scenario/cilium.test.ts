import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld, runScenario } from "../../src/scenario/run.js";
import type { Scenario } from "../../src/scenario/spec.js";
import { SECOND } from "../../src/sim/time.js";

/** spec.patterns.cilium (mesh.md §6): its defaults, its errors, and scenarios/cilium-clustermesh.yaml. */

const SHIPPED = fileURLToPath(new URL("../../scenarios/cilium-clustermesh.yaml", import.meta.url));

function meshed(cilium: string, clusters = "    - {name: east, region: us-east-1, zones: [us-east-1a]}\n    - {name: west, region: us-west-2, zones: [us-west-2a]}"): Scenario {
  return loadScenario(
    `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: cilium-test}
spec:
  duration: 30s
  clusters:
${clusters}
  patterns:
    cilium: ${cilium}
`,
    "cilium-test.yaml",
  );
}

function loadError(cilium: string, clusters?: string): ScenarioError {
  try {
    meshed(cilium, clusters);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("the scenario loaded");
}

const shipped = (): Scenario => loadScenario(readFileSync(SHIPPED, "utf8"), SHIPPED, { readFile: (p) => readFileSync(p, "utf8") });

describe("spec.patterns.cilium (mesh.md §6)", () => {
  it("§6: every cluster a member by default, with cluster IDs 1, 2, … in order; each agent connects to the others", () => {
    const { world } = buildScenarioWorld(meshed("{}"));
    world.runFor(10 * SECOND);
    expect(world.cilium!.options.clusters).toEqual([
      { name: "east", id: 1 },
      { name: "west", id: 2 },
    ]);
    expect(world.cilium!.agents.get("east")!.remoteClusters()).toEqual([{ name: "west", id: 2, state: "ready", globalServices: 0 }]);
  });

  it("§6: the cache TTL, sync delay and keepalive reach the mesh", () => {
    const s = meshed("{clusters: [{name: west, id: 7}, {name: east}], cacheTTL: 15m, syncDelay: {constant: 1s}, keepaliveInterval: 5s, keepaliveTimeout: 10s}");
    const { world } = buildScenarioWorld(s);
    expect(world.cilium!.options).toEqual({
      clusters: [
        { name: "west", id: 7 },
        { name: "east", id: 2 },
      ],
      cacheTtl: 15 * 60 * SECOND,
      syncDelay: { kind: "constant", value: SECOND },
      keepaliveInterval: 5 * SECOND,
      keepaliveTimeout: 10 * SECOND,
    });
  });

  it("§6: bad meshes are errors with their place: one member, a shared cluster ID, two networks, an ID out of range, an unknown field", () => {
    expect(loadError("{clusters: [{name: east}]}").message).toMatch(/cilium-test\.yaml:\d+:\d+: .*needs two clusters or more/);
    expect(loadError("{clusters: [{name: east, id: 2}, {name: west}]}").message).toMatch(/clusters\[1\]\.id: cluster ID 2 is east's already/);
    const apart = "    - {name: east, region: us-east-1, zones: [us-east-1a], network: a}\n    - {name: west, region: us-west-2, zones: [us-west-2a], network: b}";
    expect(loadError("{}", apart).message).toMatch(/must share one network/);
    expect(loadError("{clusters: [{name: east, id: 256}, {name: west}]}").message).toMatch(/id/);
    expect(loadError("{cacheTtl: 1m}").message).toMatch(/cacheTtl/);
  });

  it("cilium-clustermesh.yaml: affinity local serves east from east, from west while east's pods are down, and from east again", () => {
    const report = runScenario(shipped(), { traceLevel: "summary" });
    expect(report.expectations.every((e) => e.pass)).toBe(true);
    const web = report.streams[0]!;
    const pair = (to: string) => web.byPair.find((p) => p.to === to)!;
    const during = web.byPhase.find((p) => p.phase === "during")!;
    // Every call served from west was made while east's pods were down.
    expect(pair("west").count).toBeLessThanOrEqual(during.count);
    expect(pair("west").count).toBeGreaterThan(0.95 * during.count);
    expect(pair("east").count).toBeGreaterThan(web.byPhase.find((p) => p.phase === "before")!.count);
  });

  it("cilium-clustermesh.yaml: the same seed gives the same trace digest, another seed another", () => {
    const a = runScenario(shipped(), { traceLevel: "summary" });
    const b = runScenario(shipped(), { traceLevel: "summary" });
    const c = runScenario(shipped(), { traceLevel: "summary", seed: 2 });
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
  });
});
