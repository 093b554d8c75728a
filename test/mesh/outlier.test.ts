import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clusterPolicy } from "../../src/mesh/istio/config.js";
import { compactPriorities, distributeWeights, failoverPriority, hostSelection, localityPriority } from "../../src/mesh/istio/locality.js";
import { OutlierDetector, type OutlierPolicy } from "../../src/mesh/istio/sidecar-outlier.js";
import { MINUTE, SECOND } from "../../src/sim/time.js";
import { proxyConfigEndpoints } from "../../src/shell/istioctl.js";
import { FAILOVER_OUTLIER, meshCall, meshWorld, upstreamCluster, webRule } from "./mesh-world.js";

const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";
const policy = (p: Partial<OutlierPolicy> = {}): OutlierPolicy => ({ ...clusterPolicy({ outlierDetection: {} }, 10 * SECOND).outlierDetection!, ...p });
const fail = { status: 503 };
const ok = { status: 200 };

describe("outlier detection (mesh.md §3.3)", () => {
  it("§3.3: Istio's defaults: 5 consecutive 5xx, gateway errors off, 10s interval, 30s base, 10%, cap 300s", () => {
    expect(policy()).toEqual({ consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, interval: 10 * SECOND, baseEjectionTime: 30 * SECOND, maxEjectionTime: 300 * SECOND, maxEjectionPercent: 10 });
    expect(clusterPolicy({ outlierDetection: { baseEjectionTime: "10m" } }, SECOND).outlierDetection!.maxEjectionTime).toBe(10 * MINUTE);
  });

  it("§3.3: the Nth consecutive 5xx ejects inline; a success in between starts the count again", () => {
    const d = new OutlierDetector(policy({ consecutive5xxErrors: 3 }), 0);
    for (const o of [fail, fail, ok, fail, fail]) expect(d.record("a", o, 0, 1)).toBe(false);
    expect(d.ejected("a", 0)).toBe(false);
    expect(d.record("a", { localError: "reset" }, 0, 1)).toBe(true);
    expect(d.ejected("a", 0)).toBe(true);
  });

  it("§3.3: consecutiveGatewayErrors counts 502, 503, 504 and connect failures, not a 500", () => {
    const d = new OutlierDetector(policy({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 }), 0);
    expect(d.record("a", { status: 500 }, 0, 1)).toBe(false);
    expect(d.record("a", { status: 500 }, 0, 1)).toBe(false);
    expect(d.record("a", { status: 502 }, 0, 1)).toBe(false);
    expect(d.record("a", { localError: "connect" }, 0, 1)).toBe(true);
  });

  it("§3.3: an ejection lasts base × ejections in a row, capped at 300s, and ends at an interval sweep", () => {
    const p = policy({ consecutive5xxErrors: 1, interval: SECOND, baseEjectionTime: 100 * SECOND });
    const d = new OutlierDetector(p, 0);
    // Ejected at 0.25s for 100s: the sweep at 100s is too early, the one at 101s returns it.
    expect(d.record("a", fail, SECOND / 4, 1)).toBe(true);
    expect(d.ejected("a", 100 * SECOND + SECOND / 2)).toBe(true);
    expect(d.ejected("a", 101 * SECOND)).toBe(false);
    // Ejected again at once: 2 × 100s, then 3 × 100s, then the 300s cap rather than 400s.
    for (const [at, length] of [
      [101, 200],
      [301, 300],
      [601, 300],
    ] as const) {
      expect(d.record("a", fail, at * SECOND, 1)).toBe(true);
      expect(d.ejected("a", (at + length - 1) * SECOND)).toBe(true);
      expect(d.ejected("a", (at + length) * SECOND)).toBe(false);
    }
  });

  it("§3.3: each sweep a host spends in service lowers its ejection multiplier", () => {
    const d = new OutlierDetector(policy({ consecutive5xxErrors: 1, interval: SECOND, baseEjectionTime: 10 * SECOND }), 0);
    d.record("a", fail, 0, 1);
    expect(d.ejected("a", 10 * SECOND)).toBe(false);
    d.record("a", fail, 10 * SECOND, 1);
    // Back at 30s (2 × 10s); then 5 sweeps in service take the multiplier from 2 to 0.
    expect(d.ejected("a", 29 * SECOND)).toBe(true);
    expect(d.ejected("a", 30 * SECOND)).toBe(false);
    d.record("a", fail, 40 * SECOND, 1);
    expect(d.ejected("a", 49 * SECOND)).toBe(true);
    expect(d.ejected("a", 50 * SECOND)).toBe(false);
  });

  it("§3.3: maxEjectionPercent 10 still ejects one host of four, but not a second", () => {
    const d = new OutlierDetector(policy({ consecutive5xxErrors: 1 }), 0);
    expect(d.record("a", fail, 0, 4)).toBe(true);
    expect(d.record("b", fail, 0, 4)).toBe(false);
    expect(d.ejected("b", 0)).toBe(false);
    const all = new OutlierDetector(policy({ consecutive5xxErrors: 1, maxEjectionPercent: 100 }), 0);
    for (const h of ["a", "b", "c", "d"]) expect(all.record(h, fail, 0, 4)).toBe(true);
  });
});

describe("panic threshold as Istio sets it (mesh.md §3.2)", () => {
  it("§3.2: outlierDetection sets the threshold to minHealthPercent, 0 by default; without it Envoy's 50%", () => {
    expect(clusterPolicy({}, SECOND).panicThreshold).toBe(50);
    expect(clusterPolicy({ outlierDetection: {} }, SECOND).panicThreshold).toBe(0);
    expect(clusterPolicy({ outlierDetection: { minHealthPercent: 30 } }, SECOND).panicThreshold).toBe(30);
  });

  it("§3.2: below the threshold a level sends to all its hosts; with every level in panic load goes by host count; 0 never panics", () => {
    expect(hostSelection([{ healthy: 1, total: 10 }, { healthy: 1, total: 2 }], 50)).toEqual({ load: [17, 83], panic: [true, false] });
    expect(hostSelection([{ healthy: 0, total: 2 }, { healthy: 0, total: 2 }], 50)).toEqual({ load: [50, 50], panic: [true, true] });
    expect(hostSelection([{ healthy: 0, total: 2 }, { healthy: 0, total: 2 }], 0)).toEqual({ load: [0, 0], panic: [false, false] });
    // The threshold is looked at only when the normalised total health is under 100.
    expect(hostSelection([{ healthy: 3, total: 4 }], 90)).toEqual({ load: [100], panic: [false] });
  });
});

describe("locality settings of a DestinationRule (mesh.md §3.1)", () => {
  const loc = (region: string, zone = "", subzone = "") => ({ region, zone, subzone });

  it("§3.1: the documented 5-level failover case, region1→region2", () => {
    const proxy = loc("region1", "zone1");
    const rules = [{ from: "region1", to: "region2" }];
    const raw = [loc("region1", "zone1"), loc("region1", "zone2"), loc("region2", "zone3"), loc("region3", "zone4")].map((l) => localityPriority(proxy, l, rules));
    expect(raw).toEqual([0, 2, 3, 4]);
    expect(compactPriorities(raw)).toEqual([0, 1, 2, 3]);
  });

  it("§3.1: failoverPriority's doc example: v1 in clusterA 0, v1 elsewhere 1, the rest 2", () => {
    const keys = ["version=v1", "topology.istio.io/cluster=clusterA"];
    const peer = (version: string, cluster: string) => ({ labels: { version }, locality: loc("r"), cluster, network: "n" });
    const proxy = peer("v2", "clusterB");
    expect([peer("v1", "clusterA"), peer("v1", "clusterB"), peer("v2", "clusterA")].map((e) => failoverPriority(keys, proxy, e))).toEqual([0, 1, 2]);
  });

  it("§3.1: distribute's unit case gives [40,40,15,5,0,0,0]", () => {
    const groups = [loc("region1", "zone1", "subzone1"), loc("region1", "zone1", "subzone1"), loc("region1", "zone1", "subzone2"), loc("region1", "zone1", "subzone3"), loc("region1", "zone2"), loc("region2"), loc("region3")].map((locality) => ({ locality, size: 1 }));
    const rules = [{ from: "region1/zone1/subzone1", to: { "region1/zone1/subzone1": 80, "region1/zone1/subzone2": 15, "region1/zone1/subzone3": 5 } }];
    expect(distributeWeights(loc("region1", "zone1", "subzone1"), rules, groups)).toEqual([40, 40, 15, 5, 0, 0, 0]);
    expect(distributeWeights(loc("region9"), rules, groups)).toBeUndefined();
  });
});

describe("DestinationRules through istiod to the sidecar (mesh.md §3.1, §3.3)", () => {
  const priorities = (w: ReturnType<typeof meshWorld>) =>
    w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!.map((e) => `${e.cluster}:${e.priority}`)
      .sort();

  it("§3.1: without outlierDetection every endpoint stays at priority 0; with it the other region is a lower priority", () => {
    const locked = meshWorld({ east: 1, west: 1, config: [webRule({ loadBalancer: { simple: "ROUND_ROBIN" } })] });
    expect(priorities(locked)).toEqual(["east:0", "west:0"]);
    const failover = meshWorld({ east: 1, west: 1, config: [webRule({ outlierDetection: FAILOVER_OUTLIER })] });
    expect(priorities(failover)).toEqual(["east:0", "west:1"]);
    const off = meshWorld({ east: 1, west: 1, config: [webRule({ outlierDetection: FAILOVER_OUTLIER, loadBalancer: { localityLbSetting: { enabled: false } } })] });
    expect(priorities(off)).toEqual(["east:0", "west:0"]);
  });

  it("a DR's loadBalancer ROUND_ROBIN takes the endpoints in turn; the default LEAST_REQUEST does not follow a fixed turn", () => {
    const sequence = (simple?: "ROUND_ROBIN") => {
      const w = meshWorld({ east: 3, west: 0, config: simple ? [webRule({ loadBalancer: { simple } })] : [] });
      return Array.from({ length: 12 }, () => meshCall(w, "http://web/", 100_000).upstream);
    };
    const rr = sequence("ROUND_ROBIN");
    expect(new Set(rr.slice(0, 3)).size).toBe(3);
    for (let i = 3; i < rr.length; i++) expect(rr[i]).toBe(rr[i - 3]);
    const lr = sequence();
    expect(lr.some((u, i) => i >= 3 && u !== lr[i - 3])).toBe(true);
  });

  it("§3.1: distribute from us-east-1 sends the weights' shares and nothing to a region it does not name", () => {
    const w = meshWorld({ east: 2, west: 2, config: [webRule({ loadBalancer: { localityLbSetting: { distribute: [{ from: "us-east-1/*", to: { "us-west-2/*": 80, "us-east-1/*": 20 } }] } } })] });
    const counts = { east: 0, west: 0 };
    for (let i = 0; i < 200; i++) counts[upstreamCluster(w, meshCall(w, "http://web/", SECOND)) as "east" | "west"]++;
    expect(counts.west).toBeGreaterThan(140);
    expect(counts.east).toBeGreaterThan(20);
    const only = meshWorld({ east: 2, west: 2, config: [webRule({ loadBalancer: { localityLbSetting: { distribute: [{ from: "us-east-1/*", to: { "us-west-2/*": 100 } }] } } })] });
    expect(priorities(only)).toEqual(["west:0", "west:0"]);
  });

  it("§3.3: the failing local endpoint is ejected at its first 503 and traffic moves to the other region", () => {
    const w = meshWorld({ east: 1, west: 1, config: [webRule({ outlierDetection: FAILOVER_OUTLIER })] });
    const pod = w.cluster("east").api.list("Pod", "default").find((p) => p.metadata.labels?.app === "web")!;
    for (const s of w.http.serversOf("east", "default", pod.metadata.name)) s.addFault({ abort: { status: 503, probability: 1 } });
    // mesh.md §3.1: "The first call will fail, which triggers the failover".
    const first = meshCall(w, "http://web/", SECOND);
    expect([first.status, upstreamCluster(w, first)]).toEqual([503, "east"]);
    for (let i = 0; i < 10; i++) expect(upstreamCluster(w, meshCall(w, "http://web/", SECOND))).toBe("west");
    // istioctl proxy-config endpoints shows the ejection as Envoy's /clusters does.
    const rows = proxyConfigEndpoints(w.mesh!.sidecarOf("east", "default", "client")!.view(), { cluster: WEB_CLUSTER }).split("\n").filter((l) => l.endsWith(WEB_CLUSTER));
    expect(rows.filter((l) => / FAILED /.test(l))).toEqual([expect.stringMatching(new RegExp(`^${pod.status!.podIP!.replaceAll(".", "\\.")}:`))]);
    expect(rows.filter((l) => / OK /.test(l))).toHaveLength(1);
  });

  it("§3.1 §3.3 property: no pick is of an ejected endpoint; once every local one is ejected, picks reach the next priority", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 15 }),
        fc.constantFrom(10, 50, 100),
        fc.integer({ min: 1, max: 3 }),
        (seed, east, west, failing, maxEjectionPercent, consecutive5xxErrors) => {
          const outlierDetection = { consecutive5xxErrors, interval: "1s", baseEjectionTime: "10m", maxEjectionPercent };
          const w = meshWorld({ seed, east, west, config: [webRule({ outlierDetection })] });
          const pods = w.cluster("east").api.list("Pod", "default").filter((p) => p.metadata.labels?.app === "web");
          const failed = pods.filter((_, i) => (failing & (1 << i)) !== 0 || failing === 15);
          for (const p of failed) for (const s of w.http.serversOf("east", "default", p.metadata.name)) s.addFault({ abort: { status: 503, probability: 1 } });
          const sidecar = w.mesh!.sidecarOf("east", "default", "client")!;
          for (let i = 0; i < 60; i++) {
            const picked = sidecar.pick(WEB_CLUSTER);
            expect(picked && sidecar.ejected(WEB_CLUSTER, picked)).toBeFalsy();
            meshCall(w, "http://web/", SECOND);
          }
          const eps = sidecar.view().endpoints.get(WEB_CLUSTER)!;
          const local = eps.filter((e) => e.cluster === "east");
          if (local.every((e) => sidecar.ejected(WEB_CLUSTER, e))) {
            for (let i = 0; i < 10; i++) expect(sidecar.pick(WEB_CLUSTER)!.cluster).toBe("west");
          }
          // Every local endpoint failing, with every host ejectable, all of them end up ejected.
          if (failed.length === pods.length && maxEjectionPercent === 100) expect(local.every((e) => sidecar.ejected(WEB_CLUSTER, e))).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });
});
