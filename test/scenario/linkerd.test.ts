import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenario, ScenarioError } from "../../src/scenario/load.js";
import { buildScenarioWorld, runScenario } from "../../src/scenario/run.js";
import { SECOND } from "../../src/sim/time.js";

const FILE = fileURLToPath(new URL("../../scenarios/linkerd-multicluster.yaml", import.meta.url));

const scenario = (linkerd: string) => `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: linkerd}
spec:
  seed: 1
  duration: 30s
  clusters:
    - {name: east, region: us-east-1, zones: [us-east-1a]}
    - {name: west, region: us-west-2, zones: [us-west-2a]}
  patterns:
    linkerd:
${linkerd}
`;

describe("spec.patterns.linkerd (mesh.md §5.1)", () => {
  it("every cluster a member by default; each link writes its Link and credentials Secret and starts a service mirror", () => {
    const s = loadScenario(scenario("      links: [{from: west, to: east}]\n      injection: {namespaces: [default]}"), "linkerd.yaml");
    expect(s.spec.patterns.linkerd).toMatchObject({ version: "edge-24.11.8", clusters: [], links: [{ from: "west", to: "east" }] });
    const { world } = buildScenarioWorld(s);
    world.runFor(5 * SECOND);
    const west = world.cluster("west").api;
    expect(west.get("Link", "linkerd-multicluster", "east")!.spec).toMatchObject({ targetClusterName: "east", gatewayPort: "4143", probeSpec: { port: "4191", path: "/ready", period: "3s" } });
    expect(west.get("Secret", "linkerd-multicluster", "cluster-credentials-east")).toBeDefined();
    expect(west.get("Namespace", "", "default")!.metadata.annotations).toMatchObject({ "linkerd.io/inject": "enabled" });
    expect(world.linkerd!.mirrorsOf("west").map((m) => m.target)).toEqual(["east"]);
    expect(world.linkerd!.mirrorsOf("east")).toEqual([]);
  });

  it("a link to a cluster outside the members is an error naming the field", () => {
    const text = scenario("      clusters: [{name: west}]\n      links: [{from: west, to: east}]");
    expect(() => loadScenario(text, "linkerd.yaml")).toThrow(ScenarioError);
    expect(() => loadScenario(text, "linkerd.yaml")).toThrow(/links\[0\]\.to.*not a Linkerd member/);
  });
});

describe("scenarios/linkerd-multicluster.yaml (mesh.md §5.3, §5.4)", () => {
  const text = readFileSync(FILE, "utf8");
  it("meets its expectations: 504s while the black-holed gateway is undetected, failover to central within 95s, back after the heal; the same seed gives the same digest", () => {
    const first = runScenario(loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") }));
    expect(first.expectations.map((e) => [e.description, e.pass])).toEqual(first.expectations.map((e) => [e.description, true]));
    expect(runScenario(loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") })).digest).toBe(first.digest);
  });

  it("the gateway is declared dead between 90s and 94s after the black hole, and the split then moves to web-central", () => {
    const { world } = buildScenarioWorld(loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") }));
    const mirror = () => world.linkerd!.mirrorsOf("west").find((m) => m.target === "east")!;
    world.runUntil(30 * SECOND);
    while (mirror().gatewayAlive) world.runFor(SECOND / 100);
    const detected = world.sim.now - 30 * SECOND;
    expect(detected).toBeGreaterThanOrEqual(90 * SECOND);
    expect(detected).toBeLessThanOrEqual(94 * SECOND);
    world.runFor(SECOND);
    expect(world.cluster("west").api.get("TrafficSplit", "shop", "web")!.spec.backends).toEqual([
      { service: "web-east", weight: 0 },
      { service: "web-central", weight: 1 },
    ]);
  });
});
