import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld, runScenario } from "../../src/scenario/run.js";
import { proxyConfigEndpoints } from "../../src/shell/istioctl.js";
import { SECOND } from "../../src/sim/time.js";

const FILE = "scenarios/mesh-multinetwork.yaml";
const scenario = () => loadScenario(readFileSync(FILE, "utf8"), FILE, { readFile: (p) => readFileSync(p, "utf8") });

describe("scenarios/mesh-multinetwork.yaml (mesh.md §1.3, §1.4)", () => {
  it("§1.4: east's client sidecar has west's endpoints as west's gateway:15443, weighted by the three pods behind it", () => {
    const { world } = buildScenarioWorld(scenario(), { traceLevel: "off" });
    world.runFor(15 * SECOND);
    const gateway = world.cluster("west").api.get("Service", "istio-system", "istio-eastwestgateway")!.status!.loadBalancer!.ingress![0]!.ip!;
    const view = world.mesh!.sidecarOf("east", "shop", "client")!.view();
    const web = "outbound|80||web.shop.svc.cluster.local";
    expect(view.endpoints.get(web)!.map((e) => [e.address, e.port, e.weight])).toEqual([[gateway, 15443, 3]]);
    const rows = proxyConfigEndpoints(view, { cluster: web }).trimEnd().split("\n");
    expect(rows).toHaveLength(2);
    expect(rows[1]!.split(/\s+/)).toEqual([`${gateway}:15443`, "HEALTHY", "OK", web]);
  });

  it("§1.3: calls cross through the gateway, fail with 503 UF while it is down, and recover; the same seed gives the same digest", () => {
    const s = scenario();
    const r = runScenario(s, { traceLevel: "summary" });
    expect(r.expectations.every((e) => e.pass)).toBe(true);
    const web = r.streams.find((x) => x.name === "web")!;
    const down = web.byPhase.find((p) => p.fault === "gateway-down" && p.phase === "during")!;
    expect(down.statuses).toEqual({ "503 UF,URX": down.count });
    expect(web.byPhase.find((p) => p.fault === "gateway-killed" && p.phase === "before")!.statuses!["200"]).toBeGreaterThan(90);
    expect(web.byPair.find((p) => p.to === "external")!.count).toBeGreaterThan(400);
    expect(runScenario(s, { traceLevel: "summary" }).digest).toBe(r.digest);
    expect(runScenario(s, { traceLevel: "summary", seed: 2 }).digest).not.toBe(r.digest);
  });
});
