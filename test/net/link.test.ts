import { describe, expect, it } from "vitest";
import {
  DEFAULT_LINKS,
  DistributionError,
  LINK_SCOPES,
  LinkError,
  MILLISECOND,
  Topology,
  TopologyError,
  checkLinkProfile,
  constant,
  scopeBetween,
  type LinkProfile,
} from "../../src/index.js";
import { flatLinks, makeWorld, spawn, type World } from "./world.js";

/** Sends one message from a new host on `from` to a new host on `to` at the current instant and returns its measured latency. */
function measure(w: World, from: string, to: string): number {
  const n = w.net.stats.sent;
  const src = spawn(w, `src-${n}`, from);
  const dst = spawn(w, `dst-${n}`, to);
  const start = w.sim.now;
  src.probe.send(dst.addr, "msg", n);
  w.sim.runUntilIdle();
  expect(dst.probe.got).toHaveLength(1);
  return dst.probe.got[0]!.t - start;
}

describe("scopeBetween", () => {
  const t = new Topology();
  t.addCluster({ name: "a", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 2 });
  t.addCluster({ name: "b", region: "eu-west-1", zones: ["eu-west-1a"] });
  t.addCluster({ name: "c", region: "us-east-1", zones: ["us-east-1a"] });
  t.addExternalNode({ name: "ext", region: "eu-west-1", zone: "eu-west-1a" });
  const n = (name: string) => t.node(name);

  it("is same-node for a node and itself", () => {
    expect(scopeBetween(n("a-us-east-1a-0"), n("a-us-east-1a-0"))).toBe("same-node");
    expect(scopeBetween(n("ext"), n("ext"))).toBe("same-node");
  });
  it("is same-zone for two nodes of one zone, in one cluster or two", () => {
    expect(scopeBetween(n("a-us-east-1a-0"), n("a-us-east-1a-1"))).toBe("same-zone");
    expect(scopeBetween(n("a-us-east-1a-1"), n("c-us-east-1a-0"))).toBe("same-zone");
    expect(scopeBetween(n("b-eu-west-1a-0"), n("ext"))).toBe("same-zone");
  });
  it("is cross-zone for two zones of one region", () => {
    expect(scopeBetween(n("a-us-east-1a-0"), n("a-us-east-1b-1"))).toBe("cross-zone");
    expect(scopeBetween(n("c-us-east-1a-0"), n("a-us-east-1b-0"))).toBe("cross-zone");
  });
  it("is cross-region for two regions, both ways", () => {
    expect(scopeBetween(n("a-us-east-1a-0"), n("b-eu-west-1a-0"))).toBe("cross-region");
    expect(scopeBetween(n("b-eu-west-1a-0"), n("a-us-east-1a-0"))).toBe("cross-region");
    expect(scopeBetween(n("ext"), n("c-us-east-1a-0"))).toBe("cross-region");
  });
});

describe("DEFAULT_LINKS", () => {
  it("has a profile for every scope, and LINK_SCOPES lists them nearest first", () => {
    expect([...LINK_SCOPES]).toEqual(["same-node", "same-zone", "cross-zone", "cross-region"]);
    expect(Object.keys(DEFAULT_LINKS).sort()).toEqual([...LINK_SCOPES].sort());
    for (const scope of LINK_SCOPES) expect(checkLinkProfile(DEFAULT_LINKS[scope])).toBe(DEFAULT_LINKS[scope]);
  });

  it("gets slower with distance, and cross-region is tens of milliseconds one way", () => {
    const median = (scope: (typeof LINK_SCOPES)[number]) => {
      const l = DEFAULT_LINKS[scope].latency;
      if (l.kind !== "lognormal") throw new Error(`expected a lognormal default for ${scope}`);
      return l.median;
    };
    const medians = LINK_SCOPES.map(median);
    for (let i = 1; i < medians.length; i++) expect(medians[i]!).toBeGreaterThan(medians[i - 1]!);
    expect(median("cross-region")).toBeGreaterThanOrEqual(10 * MILLISECOND);
    expect(median("cross-region")).toBeLessThan(100 * MILLISECOND);
    expect(median("same-node")).toBeLessThan(100);
  });

  it("measured through the network, default cross-region deliveries have a median of tens of ms", () => {
    const w = makeWorld({ seed: 7 });
    const src = spawn(w, "src", "a-us-east-1a-0");
    const dst = spawn(w, "dst", "b-eu-west-1a-0");
    for (let i = 0; i < 201; i++) src.probe.sendAt(i * 10, dst.addr, i);
    w.sim.runUntilIdle();
    const lat = dst.probe.got.map((g) => g.t - g.sentAt).sort((x, y) => x - y);
    expect(lat).toHaveLength(201);
    const med = lat[100]!;
    expect(med).toBeGreaterThan(30 * MILLISECOND);
    expect(med).toBeLessThan(40 * MILLISECOND);
  });
});

describe("checkLinkProfile", () => {
  it("returns a good profile unchanged", () => {
    const p: LinkProfile = { latency: constant(5), jitter: 3, loss: 0, duplicate: 1, reorder: { probability: 0.5, delay: 0 } };
    expect(checkLinkProfile(p)).toBe(p);
  });

  it.each<[string, LinkProfile, string]>([
    ["loss below 0", { latency: constant(1), loss: -0.1 }, "loss must be a probability from 0 to 1, got -0.1"],
    ["loss above 1", { latency: constant(1), loss: 1.5 }, "loss must be a probability"],
    ["loss NaN", { latency: constant(1), loss: Number.NaN }, "loss must be a probability"],
    ["duplicate above 1", { latency: constant(1), duplicate: 2 }, "duplicate must be a probability"],
    ["reorder probability above 1", { latency: constant(1), reorder: { probability: 1.01, delay: 10 } }, "reorder.probability must be a probability"],
    ["negative reorder delay", { latency: constant(1), reorder: { probability: 0.5, delay: -1 } }, "reorder.delay must be 0 or more"],
    ["negative jitter", { latency: constant(1), jitter: -5 }, "jitter must be 0 or more"],
  ])("rejects %s with a LinkError", (_, profile, message) => {
    expect(() => checkLinkProfile(profile)).toThrow(LinkError);
    expect(() => checkLinkProfile(profile)).toThrow(message);
  });

  it("rejects a bad latency distribution with a DistributionError", () => {
    expect(() => checkLinkProfile({ latency: constant(-1) })).toThrow(DistributionError);
    expect(() => checkLinkProfile({ latency: { kind: "lognormal", median: 10, p99: 5 } })).toThrow(DistributionError);
  });
});

describe("Network links", () => {
  it("uses the scope's profile: constant latencies are delivered exactly that late", () => {
    const w = makeWorld({ links: { "same-node": { latency: constant(10) }, "same-zone": { latency: constant(200) }, "cross-zone": { latency: constant(3_000) }, "cross-region": { latency: constant(40_000) } } });
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1a-0")).toBe(10);
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1a-1")).toBe(200);
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1b-0")).toBe(3_000);
    expect(measure(w, "a-us-east-1a-0", "b-eu-west-1a-0")).toBe(40_000);
    expect(measure(w, "b-eu-west-1a-0", "a-us-east-1b-1")).toBe(40_000);
  });

  it("options.links replaces only the scopes it names", () => {
    const w = makeWorld({ links: { "cross-region": { latency: constant(1) } } });
    const a0 = w.topology.node("a-us-east-1a-0");
    const a1 = w.topology.node("a-us-east-1a-1");
    const b0 = w.topology.node("b-eu-west-1a-0");
    expect(w.net.linkBetween(a0, b0).latency).toEqual(constant(1));
    expect(w.net.linkBetween(a0, a1)).toBe(DEFAULT_LINKS["same-zone"]);
  });

  it("setLink changes a scope for messages sent afterwards, not for those in flight", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    const src = spawn(w, "src", "a-us-east-1a-0");
    const dst = spawn(w, "dst", "a-us-east-1b-0");
    src.probe.sendAt(0, dst.addr, "before");
    w.sim.at(500, () => w.net.setLink("cross-zone", { latency: constant(5_000) }));
    src.probe.sendAt(600, dst.addr, "after");
    w.sim.runUntilIdle();
    expect(dst.probe.got.map((g) => [g.body, g.t])).toEqual([
      ["before", 1_000],
      ["after", 5_600],
    ]);
    // Other scopes are untouched.
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1a-1")).toBe(1_000);
  });

  it("setLink refuses an unknown scope and a bad profile, keeping the one in force", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    expect(() => w.net.setLink("cross-planet" as never, { latency: constant(1) })).toThrow(LinkError);
    expect(() => w.net.setLink("cross-planet" as never, { latency: constant(1) })).toThrow("unknown link scope \"cross-planet\"");
    expect(() => w.net.setLink("cross-zone", { latency: constant(1), loss: 3 })).toThrow(LinkError);
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1b-0")).toBe(1_000);
  });

  it("setClusterLink overrides the scope between two clusters, both ways", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    w.net.setClusterLink("a", "b", { latency: constant(7_000) });
    expect(measure(w, "a-us-east-1a-0", "b-eu-west-1a-0")).toBe(7_000);
    expect(measure(w, "b-eu-west-1a-0", "a-us-east-1b-1")).toBe(7_000);
    // Inside a cluster the scope still rules.
    expect(measure(w, "a-us-east-1a-0", "a-us-east-1b-0")).toBe(1_000);
    // The pair wins over the scope even when the scope changes afterwards.
    w.net.setLink("cross-region", { latency: constant(9_000) });
    expect(measure(w, "a-us-east-1a-1", "b-eu-west-1a-0")).toBe(7_000);
  });

  it("setClusterLink with oneWay overrides only from `from` to `to`", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    w.net.setClusterLink("a", "b", { latency: constant(7_000) }, { oneWay: true });
    expect(measure(w, "a-us-east-1a-0", "b-eu-west-1a-0")).toBe(7_000);
    expect(measure(w, "b-eu-west-1a-0", "a-us-east-1a-0")).toBe(1_000);
    w.net.setClusterLink("b", "a", { latency: constant(2_500) }, { oneWay: true });
    expect(measure(w, "b-eu-west-1a-0", "a-us-east-1a-0")).toBe(2_500);
    expect(measure(w, "a-us-east-1a-0", "b-eu-west-1a-0")).toBe(7_000);
  });

  it("setClusterLink overrides clusters in one region too (a cross-zone scope)", () => {
    const w = makeWorld({
      links: flatLinks(1_000),
      clusters: [
        { name: "x", region: "r", zones: ["r-a"] },
        { name: "y", region: "r", zones: ["r-b"] },
      ],
    });
    w.net.setClusterLink("x", "y", { latency: constant(123) });
    expect(measure(w, "x-r-a-0", "y-r-b-0")).toBe(123);
    expect(w.net.linkBetween(w.topology.node("y-r-b-0"), w.topology.node("x-r-a-0")).latency).toEqual(constant(123));
  });

  it("setClusterLink refuses unknown clusters (naming the known ones) and bad profiles", () => {
    const w = makeWorld({ links: flatLinks(1_000) });
    expect(() => w.net.setClusterLink("a", "zz", { latency: constant(1) })).toThrow(TopologyError);
    expect(() => w.net.setClusterLink("zz", "a", { latency: constant(1) })).toThrow("no cluster named zz; there are: a, b");
    expect(() => w.net.setClusterLink("a", "b", { latency: constant(1), duplicate: -1 })).toThrow(LinkError);
    expect(measure(w, "a-us-east-1a-0", "b-eu-west-1a-0")).toBe(1_000);
  });
});
