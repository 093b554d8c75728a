import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEBOUNCE_AFTER, DEBOUNCE_MAX, Debouncer, type PushRequest } from "../../src/mesh/istio/debounce.js";
import { REMOTE_CLUSTER_TIMEOUT } from "../../src/mesh/istio/istiod.js";
import { compactPriorities, localityPriority, OVERPROVISIONING_FACTOR, priorityLoad } from "../../src/mesh/istio/locality.js";
import { Sim } from "../../src/sim/sim.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";
import { World } from "../../src/scenario/world.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../http/http-world.js";
import { FAILOVER_OUTLIER, meshCall, meshOptions, meshWorld, upstreamCluster, webRule } from "./mesh-world.js";

const eds = (host = "web"): PushRequest => ({ full: false, services: new Set([host]), reasons: ["endpoint"] });
const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";

/** A debouncer on a bare clock whose pushes take `pushTime`, recording when each started. */
function debouncer(pushTime = 0) {
  const sim = new Sim({ seed: 1 });
  const pushes: { at: number; request: PushRequest }[] = [];
  let running = 0;
  const d = new Debouncer(sim, (request, done) => {
    running++;
    // mesh.md §1.6: "The fake push asserts that no two full pushes ever overlap".
    expect(running).toBe(1);
    pushes.push({ at: sim.now, request });
    sim.after(pushTime, () => {
      running--;
      done();
    });
  });
  return { sim, d, pushes };
}

describe("push debouncing (mesh.md §1.6)", () => {
  it("§1.6: a burst of endpoint changes within 100ms gives one push, 100ms after the last", () => {
    const { sim, d, pushes } = debouncer();
    for (let i = 0; i < 5; i++) sim.at(i * 20 * MILLISECOND, () => d.update(eds(`svc${i}`)));
    sim.runFor(5 * SECOND);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.at).toBe(80 * MILLISECOND + DEBOUNCE_AFTER);
    expect([...pushes[0]!.request.services]).toEqual(["svc0", "svc1", "svc2", "svc3", "svc4"]);
    expect(pushes[0]!.request.full).toBe(false);
  });

  it("§1.6: changes with gaps under 100ms defer the push to 10s after the first (DebounceMax)", () => {
    const { sim, d, pushes } = debouncer();
    for (let t = 0; t < 15 * SECOND; t += 50 * MILLISECOND) sim.at(t, () => d.update(eds()));
    sim.runFor(10 * SECOND + 100 * MILLISECOND);
    expect(pushes.map((p) => p.at)).toEqual([DEBOUNCE_MAX]);
  });

  it("§1.6: an event, a pause longer than 100ms and another give two pushes; a full request makes the batch full", () => {
    const { sim, d, pushes } = debouncer();
    sim.at(0, () => d.update(eds()));
    sim.at(DEBOUNCE_AFTER + 10 * MILLISECOND, () => d.update({ full: true, services: new Set(), reasons: ["service"] }));
    sim.at(DEBOUNCE_AFTER + 20 * MILLISECOND, () => d.update(eds("other")));
    sim.runFor(SECOND);
    expect(pushes.map((p) => [p.at, p.request.full])).toEqual([
      [DEBOUNCE_AFTER, false],
      [2 * DEBOUNCE_AFTER + 20 * MILLISECOND, true],
    ]);
  });

  it("§1.6: only one push runs at a time; events during it are pushed as soon as it finishes", () => {
    const { sim, d, pushes } = debouncer(SECOND);
    sim.at(0, () => d.update(eds()));
    sim.at(300 * MILLISECOND, () => d.update(eds("b")));
    sim.runFor(5 * SECOND);
    expect(pushes.map((p) => p.at)).toEqual([DEBOUNCE_AFTER, DEBOUNCE_AFTER + SECOND]);
  });
});

describe("locality priorities and Envoy's priority load (mesh.md §3.1, §3.2)", () => {
  it("§3.1: same zone 0, same region 1 after compaction, other region last", () => {
    const proxy = { region: "r1", zone: "z1", subzone: "" };
    const raw = [
      { region: "r1", zone: "z1", subzone: "" },
      { region: "r1", zone: "z2", subzone: "" },
      { region: "r2", zone: "z3", subzone: "" },
    ].map((l) => localityPriority(proxy, l));
    expect(raw).toEqual([0, 2, 3]);
    expect(compactPriorities(raw)).toEqual([0, 1, 2]);
  });

  it("§3.2: the documented splits of two and three priorities", () => {
    const split = (...healthy: number[]) => priorityLoad(healthy.map((h) => ({ healthy: h, total: 100 })));
    expect(split(72, 100)).toEqual([100, 0]);
    expect(split(71, 100)).toEqual([99, 1]);
    expect(split(50, 100)).toEqual([70, 30]);
    expect(split(25, 100)).toEqual([35, 65]);
    expect(split(0, 100)).toEqual([0, 100]);
    expect(split(25, 25)).toEqual([50, 50]);
    expect(split(25, 25, 100)).toEqual([35, 35, 30]);
    expect(split(0, 0)).toEqual([0, 0]);
  });

  it("§3.2 property: no traffic goes below a priority whose healthy share × 1.4 covers it, and loads sum to 100", () => {
    const level = fc.integer({ min: 1, max: 20 }).chain((total) => fc.record({ total: fc.constant(total), healthy: fc.integer({ min: 0, max: total }) }));
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 5 }), (levels) => {
        const load = priorityLoad(levels);
        const anyHealthy = levels.some((l) => l.healthy > 0);
        expect(load.reduce((a, b) => a + b, 0)).toBe(anyHealthy ? 100 : 0);
        const covering = levels.findIndex((l) => OVERPROVISIONING_FACTOR * l.healthy >= 100 * l.total);
        if (covering >= 0) for (let i = covering + 1; i < load.length; i++) expect(load[i]).toBe(0);
        // A level with no healthy host takes nothing.
        levels.forEach((l, i) => l.healthy === 0 && expect(load[i]).toBe(0));
      }),
      { numRuns: 500 },
    );
  });
});

describe("istiod and sidecars over two clusters (mesh.md §1.2, §1.5, §1.7)", () => {
  it("§1.2: istiod reports its own cluster and the remote synced, and every sidecar SYNCED", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!;
    expect(east.clusterInfo()).toEqual([
      { id: "east", secretName: "", syncStatus: "synced" },
      { id: "west", secretName: "istio-system/istio-remote-secret-west", syncStatus: "synced" },
    ]);
    for (const p of east.proxyInfo()) for (const t of ["CDS", "EDS", "LDS", "RDS"] as const) expect(p.types.get(t)!.nonceAcked).toBe(p.types.get(t)!.nonceSent);
  });

  it("§1.5: an endpoint change in a remote cluster is pushed as EDS only; a new Service as a full push", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!;
    const before = { ...east.sent };
    w.apply("west", [webDeployment(3)]);
    w.runFor(20 * SECOND);
    expect(east.sent.CDS).toBe(before.CDS);
    expect(east.sent.LDS).toBe(before.LDS);
    expect(east.sent.EDS).toBeGreaterThan(before.EDS);
    const sidecar = w.mesh!.sidecarOf("east", "default", "client")!;
    expect(sidecar.view().endpoints.get(WEB_CLUSTER)!.filter((e) => e.cluster === "west")).toHaveLength(3);
    w.apply("east", [{ ...webService, metadata: { name: "api", namespace: "default" } }]);
    w.runFor(5 * SECOND);
    expect(east.sent.CDS).toBeGreaterThan(before.CDS);
    expect(sidecar.view().clusters.has("outbound|80||api.default.svc.cluster.local")).toBe(true);
  });

  it("§1.2: a remote API server partitioned from istiod is syncing, then timeout after 30s, and stays so once reachable", () => {
    const w = new World({ seed: 3, traceLevel: "summary" });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
    const cut = w.network.partition({ clusters: ["east"] }, { hosts: ["west/kube-apiserver"] });
    w.installIstio(meshOptions());
    const status = () => w.mesh!.istiods.get("east")!.clusterInfo().find((c) => c.id === "west")!.syncStatus;
    w.runFor(REMOTE_CLUSTER_TIMEOUT - SECOND);
    expect(status()).toBe("syncing");
    w.runFor(2 * SECOND);
    expect(status()).toBe("timeout");
    // west's own istiod reaches east's API server: only the partitioned direction times out.
    expect(w.mesh!.istiods.get("west")!.clusterInfo().find((c) => c.id === "east")!.syncStatus).toBe("synced");
    w.network.heal(cut);
    w.runFor(60 * SECOND);
    // Istio's precedence keeps timeout over synced (mesh.md §1.2 `SyncStatus`) …
    expect(status()).toBe("timeout");
    // … but the cluster's endpoints arrive all the same.
    expect(w.mesh!.istiods.get("east")!.registry.clusterIds()).toEqual(["east", "west"]);
  });

  it("§1.2: a deleted remote secret closes the cluster, drops its endpoints and forces a full push", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!;
    const cds = east.sent.CDS;
    east.removeRemoteCluster("west");
    w.runFor(5 * SECOND);
    expect(east.clusterInfo().map((c) => c.id)).toEqual(["east"]);
    expect(east.sent.CDS).toBeGreaterThan(cds);
    const eps = w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!;
    expect(eps.every((e) => e.cluster === "east")).toBe(true);
  });

  it("§3.1: with a DR's outlierDetection a request reaches a same-zone endpoint first, and the other region's once the local ones are gone", () => {
    const w = meshWorld({ east: 1, west: 2, config: [webRule({ outlierDetection: FAILOVER_OUTLIER })] });
    for (let i = 0; i < 5; i++) {
      const r = meshCall(w, "http://web/", SECOND);
      expect(r.status).toBe(200);
      expect(upstreamCluster(w, r)).toBe("east");
    }
    w.apply("east", [webDeployment(0)]);
    w.runFor(20 * SECOND);
    const r = meshCall(w);
    expect(r.status).toBe(200);
    expect(upstreamCluster(w, r)).toBe("west");
  });

  it("§3.2: no endpoint anywhere is 503 UH from the sidecar, at once", () => {
    const w = meshWorld({ east: 0, west: 0 });
    const r = meshCall(w, "http://web/", SECOND);
    expect(r).toMatchObject({ status: 503, flag: "UH", error: "no-healthy-upstream" });
    expect(r.finishedAt - r.startedAt).toBeLessThan(50 * MILLISECOND);
  });

  it("§3.2 §3.4: a connection refused by the picked endpoint is 503 UF, retried on connect-failure until retries run out (URX)", () => {
    const w = new World({ seed: 1, traceLevel: "summary" });
    w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
    w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
    // No app serves in the web pods: their port is closed.
    w.apply("east", [webDeployment(1), webService, clientPod]);
    w.installIstio(meshOptions());
    w.runFor(30 * SECOND);
    expect(meshCall(w, "http://web/", SECOND)).toMatchObject({ status: 503, flag: "UF,URX", error: "connect-refused" });
  });

  it("§1.7 property: after any sequence of endpoint changes, every sidecar's view converges to its istiod's once pushes quiesce", () => {
    const step = fc.record({ cluster: fc.constantFrom("east", "west"), replicas: fc.integer({ min: 0, max: 3 }), gapMs: fc.integer({ min: 0, max: 300 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(step, { minLength: 1, maxLength: 6 }), (seed, steps) => {
        const w = new World({ seed, traceLevel: "off" });
        w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"] });
        w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
        for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
        w.apply("east", [webDeployment(1), webService, clientPod]);
        w.apply("west", [webDeployment(1), webService]);
        w.installIstio(meshOptions());
        w.runFor(20 * SECOND);
        for (const s of steps) {
          w.apply(s.cluster, [webDeployment(s.replicas)]);
          w.runFor(s.gapMs * MILLISECOND);
        }
        w.runFor(30 * SECOND);
        expect(w.mesh!.pushing).toBe(false);
        for (const sidecar of w.mesh!.allSidecars()) {
          const istiod = w.mesh!.istiodFor(sidecar.meta.cluster);
          const expected = istiod.generate(sidecar.meta).find((r) => r.type === "EDS")!;
          if (expected.type !== "EDS") throw new Error("EDS expected");
          const view = sidecar.view().endpoints;
          for (const a of expected.resources) expect(view.get(a.cluster)).toEqual(a.endpoints);
          for (const p of istiod.proxyInfo().filter((p) => p.id === sidecar.meta.id)) {
            for (const t of ["CDS", "EDS", "LDS", "RDS"] as const) expect(p.types.get(t)!.nonceAcked).toBe(p.types.get(t)!.nonceSent);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
