import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cidr, EXTERNAL_NETWORK, Topology, TopologyError, type Cluster } from "../../src/index.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an exception");
}

describe("Topology.addCluster", () => {
  it("makes zones x nodesPerZone nodes named <cluster>-<zone>-<n>, each with its own /24 of the pod range", () => {
    const t = new Topology();
    const c = t.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 3 });
    expect(c.nodes.map((n) => n.name)).toEqual([
      "east-us-east-1a-0",
      "east-us-east-1a-1",
      "east-us-east-1a-2",
      "east-us-east-1b-0",
      "east-us-east-1b-1",
      "east-us-east-1b-2",
    ]);
    expect(c.nodes.map((n) => n.zone)).toEqual(["us-east-1a", "us-east-1a", "us-east-1a", "us-east-1b", "us-east-1b", "us-east-1b"]);
    expect(String(c.podCidr)).toBe("10.10.0.0/16");
    expect(String(c.serviceCidr)).toBe("10.100.0.0/16");
    expect(c.network).toBe("default");
    c.nodes.forEach((n, i) => {
      expect(n.cluster).toBe(c);
      expect(n.region).toBe("us-east-1");
      expect(n.network).toBe("default");
      expect(String(n.podCidr)).toBe(`10.10.${i}.0/24`);
      expect(t.node(n.name)).toBe(n);
    });
    expect(t.cluster("east")).toBe(c);
    expect([...t.nodes.keys()]).toEqual(c.nodes.map((n) => n.name));
  });

  it("defaults to one node per zone", () => {
    const t = new Topology();
    const c = t.addCluster({ name: "c", region: "r", zones: ["z1", "z2", "z3"] });
    expect(c.nodes.map((n) => n.name)).toEqual(["c-z1-0", "c-z2-0", "c-z3-0"]);
  });

  it("gives each cluster on a network the next free /16s", () => {
    const t = new Topology();
    const a = t.addCluster({ name: "a", region: "r1", zones: ["z"] });
    const b = t.addCluster({ name: "b", region: "r2", zones: ["z"] });
    const c = t.addCluster({ name: "c", region: "r2", zones: ["z"], network: "other" });
    expect([String(a.podCidr), String(a.serviceCidr)]).toEqual(["10.10.0.0/16", "10.100.0.0/16"]);
    expect([String(b.podCidr), String(b.serviceCidr)]).toEqual(["10.11.0.0/16", "10.101.0.0/16"]);
    // Another network starts afresh: overlap with a is allowed there.
    expect([String(c.podCidr), String(c.serviceCidr)]).toEqual(["10.10.0.0/16", "10.100.0.0/16"]);
  });

  it("skips ranges given by hand when it picks the defaults", () => {
    const t = new Topology();
    t.addCluster({ name: "a", region: "r", zones: ["z"], podCidr: "10.10.0.0/16", serviceCidr: "10.11.0.0/16" });
    const b = t.addCluster({ name: "b", region: "r", zones: ["z"] });
    expect(String(b.podCidr)).toBe("10.12.0.0/16");
    expect(String(b.serviceCidr)).toBe("10.100.0.0/16");
  });

  it("honours ranges given by hand", () => {
    const t = new Topology();
    const c = t.addCluster({ name: "c", region: "r", zones: ["z"], nodesPerZone: 2, podCidr: "192.168.0.0/20", serviceCidr: "172.20.0.0/16" });
    expect(String(c.podCidr)).toBe("192.168.0.0/20");
    expect(String(c.serviceCidr)).toBe("172.20.0.0/16");
    expect(c.nodes.map((n) => String(n.podCidr))).toEqual(["192.168.0.0/24", "192.168.1.0/24"]);
  });

  it("keeps a default pod range clear of the cluster's own hand-given service range", () => {
    const t = new Topology();
    const c = t.addCluster({ name: "c", region: "r", zones: ["z"], serviceCidr: "10.0.0.0/12" });
    expect(String(c.serviceCidr)).toBe("10.0.0.0/12");
    expect(String(c.podCidr)).toBe("10.16.0.0/16");
  });

  it("refuses a hand-given range that overlaps another cluster's on the same network, naming both", () => {
    const t = new Topology();
    t.addCluster({ name: "alpha", region: "r", zones: ["z"], podCidr: "10.0.0.0/16" });
    const e = thrown(() => t.addCluster({ name: "beta", region: "r", zones: ["z"], podCidr: "10.0.128.0/17" }));
    expect(e).toBeInstanceOf(TopologyError);
    expect(e.message).toContain("cluster beta");
    expect(e.message).toContain("10.0.128.0/17");
    expect(e.message).toContain("cluster alpha's podCidr 10.0.0.0/16");
    expect(e.message).toContain('network "default"');
    expect(t.clusters.has("beta")).toBe(false);

    const s = thrown(() => t.addCluster({ name: "gamma", region: "r", zones: ["z"], serviceCidr: "10.100.0.0/16" }));
    // alpha's default service range is 10.100.0.0/16.
    expect(s).toBeInstanceOf(TopologyError);
    expect(s.message).toContain("serviceCidr 10.100.0.0/16 overlaps cluster alpha's serviceCidr 10.100.0.0/16");
  });

  it("refuses a cluster whose own service range overlaps its pod range", () => {
    const t = new Topology();
    const e = thrown(() => t.addCluster({ name: "c", region: "r", zones: ["z"], podCidr: "10.0.0.0/8", serviceCidr: "10.96.0.0/12" }));
    expect(e).toBeInstanceOf(TopologyError);
    expect(e.message).toContain("overlaps its own podCidr 10.0.0.0/8");
  });

  it("allows the same ranges on different networks", () => {
    const t = new Topology();
    const a = t.addCluster({ name: "a", region: "r", zones: ["z"], network: "n1", podCidr: "10.0.0.0/16", serviceCidr: "10.96.0.0/16" });
    const b = t.addCluster({ name: "b", region: "r", zones: ["z"], network: "n2", podCidr: "10.0.0.0/16", serviceCidr: "10.96.0.0/16" });
    expect(a.podCidr.overlaps(b.podCidr)).toBe(true);
    expect(b.network).toBe("n2");
    expect(b.nodes[0]!.network).toBe("n2");
  });

  it("wraps a malformed hand-given range in a TopologyError naming the cluster and the field", () => {
    const t = new Topology();
    const e = thrown(() => t.addCluster({ name: "c", region: "r", zones: ["z"], podCidr: "10.0.0.1/16" }));
    expect(e).toBeInstanceOf(TopologyError);
    expect(e.message).toContain("cluster c: podCidr");
    expect(e.message).toContain("did you mean 10.0.0.0/16?");
  });

  it("refuses duplicate names, no zones, bad node counts, the reserved network and a pod range too small", () => {
    const t = new Topology();
    t.addCluster({ name: "a", region: "r", zones: ["z"] });
    expect(() => t.addCluster({ name: "a", region: "r2", zones: ["y"] })).toThrow(new TopologyError("there is already a cluster named a"));
    expect(() => t.addCluster({ name: "b", region: "r", zones: [] })).toThrow("cluster b needs at least one zone");
    expect(() => t.addCluster({ name: "b", region: "r", zones: ["z"], nodesPerZone: 0 })).toThrow(TopologyError);
    expect(() => t.addCluster({ name: "b", region: "r", zones: ["z"], nodesPerZone: 1.5 })).toThrow("nodesPerZone must be a whole number");
    expect(() => t.addCluster({ name: "b", region: "r", zones: ["z"], network: EXTERNAL_NETWORK })).toThrow("reserved");
    expect(() => t.addCluster({ name: "b", region: "r", zones: ["z"], nodesPerZone: 2, podCidr: "172.16.0.0/24" })).toThrow(
      "room for fewer than 2 node ranges",
    );
    // None of the failed calls left anything behind.
    expect([...t.clusters.keys()]).toEqual(["a"]);
    expect([...t.nodes.keys()]).toEqual(["a-z-0"]);
  });

  it("refuses a cluster whose node names clash with existing nodes, and leaves no trace of it", () => {
    const t = new Topology();
    t.addExternalNode({ name: "x-z-0", region: "r", zone: "z" });
    expect(() => t.addCluster({ name: "x", region: "r", zones: ["z"] })).toThrow("there is already a node named x-z-0");
    expect(t.clusters.has("x")).toBe(false);
    // The cluster can then be made under another name, with the ranges the failed one would have had.
    const y = t.addCluster({ name: "y", region: "r", zones: ["z"] });
    expect(String(y.podCidr)).toBe("10.10.0.0/16");
  });

  it("refuses a zone listed twice (its nodes would share names), leaving no trace", () => {
    const t = new Topology();
    expect(() => t.addCluster({ name: "c", region: "r", zones: ["z", "z"] })).toThrow(new TopologyError("there is already a node named c-z-0"));
    expect(t.clusters.size).toBe(0);
    expect(t.nodes.size).toBe(0);
  });

  it("default ranges never overlap on one network, and hand-given ones are refused exactly when they would (property)", () => {
    const given = fc.option(
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 12, max: 20 })).map(([o, p]) => String(Cidr.of((10 * 256 + o) * 65536, p))),
      { freq: 3 },
    );
    const spec = fc.record({
      network: fc.constantFrom("n1", "n2", "n3"),
      zones: fc.integer({ min: 1, max: 3 }),
      podCidr: given,
      serviceCidr: given,
    });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 40 }), (specs) => {
        const t = new Topology();
        const added: Cluster[] = [];
        specs.forEach((s, i) => {
          const ranges = (net: string) => added.filter((c) => c.network === net).flatMap((c) => [c.podCidr, c.serviceCidr]);
          const before = ranges(s.network);
          const pod = s.podCidr === null ? null : Cidr.parse(s.podCidr);
          const svc = s.serviceCidr === null ? null : Cidr.parse(s.serviceCidr);
          const clash =
            (pod !== null && before.some((r) => r.overlaps(pod))) ||
            (svc !== null && before.some((r) => r.overlaps(svc))) ||
            (pod !== null && svc !== null && pod.overlaps(svc));
          const build = () =>
            t.addCluster({
              name: `c${i}`,
              region: "r",
              zones: Array.from({ length: s.zones }, (_, z) => `z${z}`),
              network: s.network,
              ...(s.podCidr === null ? {} : { podCidr: s.podCidr }),
              ...(s.serviceCidr === null ? {} : { serviceCidr: s.serviceCidr }),
            });
          if (clash) {
            expect(build).toThrow(TopologyError);
            return;
          }
          let c: Cluster;
          try {
            c = build();
          } catch (e) {
            // The only other refusal allowed: no free default /16 left on this network.
            expect(e).toBeInstanceOf(TopologyError);
            expect((e as Error).message).toContain("no free /16");
            return;
          }
          if (pod) expect(String(c.podCidr)).toBe(s.podCidr);
          if (svc) expect(String(c.serviceCidr)).toBe(s.serviceCidr);
          added.push(c);
        });
        // Every pair of ranges on one network is disjoint (a cluster's pod and service ranges too).
        for (const net of ["n1", "n2", "n3"]) {
          const rs = added.filter((c) => c.network === net).flatMap((c) => [c.podCidr, c.serviceCidr]);
          for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) expect(rs[i]!.overlaps(rs[j]!)).toBe(false);
        }
        // Node ranges are /24s inside their cluster's pod range, all distinct.
        for (const c of added) {
          const seen = new Set<string>();
          for (const n of c.nodes) {
            expect(n.podCidr!.prefix).toBe(24);
            expect(c.podCidr.overlaps(n.podCidr!)).toBe(true);
            seen.add(String(n.podCidr));
          }
          expect(seen.size).toBe(c.nodes.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("with defaults only, many clusters on one network all get disjoint ranges (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), (n) => {
        const t = new Topology();
        const cs = Array.from({ length: n }, (_, i) => t.addCluster({ name: `c${i}`, region: "r", zones: ["z"] }));
        const rs = cs.flatMap((c) => [c.podCidr, c.serviceCidr]);
        for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) expect(rs[i]!.overlaps(rs[j]!)).toBe(false);
      }),
      { numRuns: 20 },
    );
  });
});

describe("Topology external nodes and lookups", () => {
  it("puts external nodes on the external network, outside any cluster", () => {
    const t = new Topology();
    const n = t.addExternalNode({ name: "client", region: "us-east-1", zone: "us-east-1a" });
    expect(n.network).toBe(EXTERNAL_NETWORK);
    expect(EXTERNAL_NETWORK).toBe("external");
    expect(n.cluster).toBeNull();
    expect(n.podCidr).toBeNull();
    expect(n.region).toBe("us-east-1");
    expect(n.zone).toBe("us-east-1a");
    expect(t.node("client")).toBe(n);
    expect(t.clusters.size).toBe(0);
    expect(() => t.addExternalNode({ name: "client", region: "r", zone: "z" })).toThrow("there is already a node named client");
  });

  it("refuses an external node named like a cluster node", () => {
    const t = new Topology();
    t.addCluster({ name: "a", region: "r", zones: ["z"] });
    expect(() => t.addExternalNode({ name: "a-z-0", region: "r", zone: "z" })).toThrow(TopologyError);
    expect(t.node("a-z-0").cluster?.name).toBe("a");
  });

  it("cluster(name) names the clusters there are when there is no such cluster", () => {
    const t = new Topology();
    expect(() => t.cluster("x")).toThrow(new TopologyError("no cluster named x; there are: none"));
    t.addCluster({ name: "east", region: "r", zones: ["z"] });
    t.addCluster({ name: "west", region: "r", zones: ["z"] });
    const e = thrown(() => t.cluster("x"));
    expect(e).toBeInstanceOf(TopologyError);
    expect(e.message).toBe("no cluster named x; there are: east, west");
  });

  it("node(name) throws a TopologyError for an unknown node", () => {
    const t = new Topology();
    expect(() => t.node("nope")).toThrow(new TopologyError("no node named nope"));
  });
});
