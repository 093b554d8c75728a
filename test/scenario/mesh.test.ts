import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { apiServerUrl } from "../../src/mesh/istio/mesh.js";
import { remoteSecret } from "../../src/mesh/istio/secrets.js";
import { loadScenario, ScenarioError } from "../../src/scenario/load.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import { remoteClusters } from "../../src/shell/istioctl.js";
import { SECOND } from "../../src/sim/time.js";

const scenario = (mesh: string) => `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: mesh}
spec:
  seed: 1
  duration: 30s
  clusters:
    - {name: east, region: us-east-1, zones: [us-east-1a]}
    - {name: west, region: us-west-2, zones: [us-west-2a]}
  patterns:
    mesh:
${mesh}
`;

describe("spec.patterns.mesh (mesh.md §1.1)", () => {
  it("§1.1: every cluster a primary by default; injected namespaces labelled; each istiod watches the other", () => {
    const s = loadScenario(scenario("      injection: {namespaces: [default]}"), "mesh.yaml");
    expect(s.spec.patterns.mesh).toMatchObject({ version: "1.24.0", model: "multi-primary", clusters: [], injection: { namespaces: ["default"] } });
    const { world } = buildScenarioWorld(s);
    world.runFor(5 * SECOND);
    expect([...world.mesh!.istiods.keys()]).toEqual(["east", "west"]);
    expect(world.cluster("west").api.get("Namespace", "", "default")!.metadata.labels).toMatchObject({ "istio-injection": "enabled" });
    expect(world.mesh!.istiods.get("east")!.clusterInfo().map((c) => `${c.id}:${c.syncStatus}`)).toEqual(["east:synced", "west:synced"]);
  });

  it("§1.1: primary-remote gives the remote no istiod and its primary watches it", () => {
    const s = loadScenario(scenario("      model: primary-remote\n      clusters: [{name: east}, {name: west, primary: east}]"), "mesh.yaml");
    const { world } = buildScenarioWorld(s);
    world.runFor(5 * SECOND);
    expect([...world.mesh!.istiods.keys()]).toEqual(["east"]);
    expect(world.mesh!.istiodFor("west")).toBe(world.mesh!.istiods.get("east"));
    expect(world.cluster("west").api.get("Namespace", "", "istio-system")!.metadata.annotations).toEqual({ "topology.istio.io/controlPlaneClusters": "east" });
  });

  it("§1.2: a delete fault and an apply fault of the remote secret remove and bring back a remote cluster, as istioctl remote-clusters shows", () => {
    const secret = stringify(remoteSecret("west", apiServerUrl("west"), "istio-system")).replace(/^/gm, "          ");
    const faults = `      {}
  faults:
    - at: 10s
      delete: {cluster: east, kind: Secret, namespace: istio-system, name: istio-remote-secret-west}
    - at: 20s
      apply:
        cluster: east
        inline: |
${secret}`;
    const { world } = buildScenarioWorld(loadScenario(scenario(faults), "mesh.yaml"));
    const rows = () => remoteClusters([world.mesh!.istiods.get("east")!.debug()], "1.24.0").split("\n").slice(1, -1).map((r) => r.replace(/\s+istiod-\S+$/, "").replace(/\s+/g, " "));
    world.runUntil(9 * SECOND);
    expect(rows()).toEqual(["east synced", "west istio-system/istio-remote-secret-west synced"]);
    world.runUntil(15 * SECOND);
    expect(rows()).toEqual(["east synced"]);
    world.runUntil(25 * SECOND);
    expect(rows()).toEqual(["east synced", "west istio-system/istio-remote-secret-west synced"]);
  });

  it("reports a misspelt cluster and an unknown model with file, line and column", () => {
    expect(() => loadScenario(scenario("      clusters: [{name: eats}]"), "mesh.yaml")).toThrow(ScenarioError);
    expect(() => loadScenario(scenario("      clusters: [{name: eats}]"), "mesh.yaml")).toThrow(/^mesh\.yaml:12:\d+: .*eats/);
    expect(() => loadScenario(scenario("      model: primary-primary"), "mesh.yaml")).toThrow(/^mesh\.yaml:12:\d+: spec\.patterns\.mesh\.model/);
  });
});
