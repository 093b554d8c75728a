import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXTERNAL_NETWORK, TopologyError, checkSelector, describeSelector, selects, type Host, type HostSelector } from "../../src/index.js";
import { makeWorld } from "./world.js";

/**
 * Hosts: a1, a2 in cluster a (us-east-1: zone 1a node 0, zone 1b node 0), a3 on a-us-east-1a-1,
 * b1 in cluster b (eu-west-1a), c1 in cluster c on network "other" (eu-west-1b), ext outside clusters.
 */
function world() {
  const w = makeWorld({
    clusters: [
      { name: "a", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 2 },
      { name: "b", region: "eu-west-1", zones: ["eu-west-1a"] },
      { name: "c", region: "eu-west-1", zones: ["eu-west-1b"], network: "other" },
    ],
  });
  w.topology.addExternalNode({ name: "ext-node", region: "us-east-1", zone: "us-east-1a" });
  const hosts = {
    a1: w.net.addHost({ name: "a1", node: "a-us-east-1a-0" }),
    a2: w.net.addHost({ name: "a2", node: "a-us-east-1b-0" }),
    a3: w.net.addHost({ name: "a3", node: "a-us-east-1a-1" }),
    b1: w.net.addHost({ name: "b1", node: "b-eu-west-1a-0" }),
    c1: w.net.addHost({ name: "c1", node: "c-eu-west-1b-0" }),
    ext: w.net.addHost({ name: "ext", node: "ext-node", ip: "203.0.113.7" }),
  };
  return { ...w, hosts, all: Object.values(hosts) };
}

const picked = (s: HostSelector, hosts: readonly Host[]) => hosts.filter((h) => selects(s, h)).map((h) => h.name);

describe("selects", () => {
  const { hosts, all } = world();

  it("{} picks every host", () => {
    expect(picked({}, all)).toEqual(["a1", "a2", "a3", "b1", "c1", "ext"]);
  });
  it("picks by cluster", () => {
    expect(picked({ clusters: ["a"] }, all)).toEqual(["a1", "a2", "a3"]);
    expect(picked({ clusters: ["b", "c"] }, all)).toEqual(["b1", "c1"]);
    expect(picked({ clusters: [] }, all)).toEqual([]);
  });
  it("picks by region", () => {
    expect(picked({ regions: ["eu-west-1"] }, all)).toEqual(["b1", "c1"]);
    expect(picked({ regions: ["us-east-1"] }, all)).toEqual(["a1", "a2", "a3", "ext"]);
  });
  it("picks by zone", () => {
    expect(picked({ zones: ["us-east-1a"] }, all)).toEqual(["a1", "a3", "ext"]);
    expect(picked({ zones: ["us-east-1b", "eu-west-1b"] }, all)).toEqual(["a2", "c1"]);
  });
  it("picks by node", () => {
    expect(picked({ nodes: ["a-us-east-1a-1", "ext-node"] }, all)).toEqual(["a3", "ext"]);
  });
  it("picks by network", () => {
    expect(picked({ networks: ["other"] }, all)).toEqual(["c1"]);
    expect(picked({ networks: [EXTERNAL_NETWORK] }, all)).toEqual(["ext"]);
    expect(picked({ networks: ["default"] }, all)).toEqual(["a1", "a2", "a3", "b1"]);
  });
  it("picks by host name or IP address", () => {
    expect(picked({ hosts: ["a2", hosts.b1.ip, "203.0.113.7"] }, all)).toEqual(["a2", "b1", "ext"]);
    expect(picked({ hosts: ["nobody"] }, all)).toEqual([]);
  });
  it("ANDs across fields", () => {
    expect(picked({ clusters: ["a"], zones: ["us-east-1a"] }, all)).toEqual(["a1", "a3"]);
    expect(picked({ regions: ["us-east-1"], networks: ["default"], zones: ["us-east-1a"] }, all)).toEqual(["a1", "a3"]);
    expect(picked({ clusters: ["b"], zones: ["us-east-1a"] }, all)).toEqual([]);
  });
  it("`except` removes hosts from what the rest picks", () => {
    expect(picked({ except: { clusters: ["a"] } }, all)).toEqual(["b1", "c1", "ext"]);
    expect(picked({ clusters: ["a"], except: { zones: ["us-east-1b"] } }, all)).toEqual(["a1", "a3"]);
    expect(picked({ except: { except: { clusters: ["b"] } } }, all)).toEqual(["b1"]);
    expect(picked({ clusters: ["a"], except: {} }, all)).toEqual([]);
  });

  it("agrees with a model of and-across-fields, or-within, minus except (property)", () => {
    const names = {
      clusters: ["a", "b", "c"],
      regions: ["us-east-1", "eu-west-1"],
      zones: ["us-east-1a", "us-east-1b", "eu-west-1a", "eu-west-1b"],
      nodes: ["a-us-east-1a-0", "a-us-east-1a-1", "a-us-east-1b-0", "b-eu-west-1a-0", "c-eu-west-1b-0", "ext-node"],
      networks: ["default", "other", EXTERNAL_NETWORK],
      hosts: ["a1", "a2", "a3", "b1", "c1", "ext", hosts.a1.ip, "203.0.113.7"],
    };
    // Most fields absent, so that selectors (and their excepts) often pick something.
    const field = (values: string[]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.subarray(values, { minLength: 1 }) },
        { weight: 1, arbitrary: fc.subarray(values) },
      );
    const flat = fc.record({
      clusters: field(names.clusters),
      regions: field(names.regions),
      zones: field(names.zones),
      nodes: field(names.nodes),
      networks: field(names.networks),
      hosts: field(names.hosts),
    });
    const selector: fc.Arbitrary<HostSelector> = fc
      .tuple(flat, fc.option(flat, { nil: undefined }))
      .map(([s, e]) => (e === undefined ? strip(s) : { ...strip(s), except: strip(e) }));
    const attrs = (h: Host) => ({
      clusters: h.node.cluster?.name ?? "",
      regions: h.node.region,
      zones: h.node.zone,
      nodes: h.node.name,
      networks: h.network,
    });
    const model = (s: HostSelector, h: Host): boolean => {
      const a = attrs(h);
      for (const k of ["clusters", "regions", "zones", "nodes", "networks"] as const) {
        const vs = s[k];
        if (vs !== undefined && !vs.includes(a[k])) return false;
      }
      if (s.hosts !== undefined && !s.hosts.some((x) => x === h.name || x === h.ip)) return false;
      return s.except === undefined || !model(s.except, h);
    };
    let picks = 0;
    let excepted = 0;
    fc.assert(
      fc.property(selector, (s) => {
        for (const h of all) {
          expect(selects(s, h)).toBe(model(s, h));
          if (model(s, h)) picks++;
          if (s.except && model({ ...s, except: undefined }, h) && model(s.except, h)) excepted++;
        }
      }),
      { numRuns: 500 },
    );
    // The generated selectors exercised both picking and excepting.
    expect(picks).toBeGreaterThan(100);
    expect(excepted).toBeGreaterThan(50);
  });
});

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

describe("describeSelector", () => {
  it("is `all` for {}", () => {
    expect(describeSelector({})).toBe("all");
  });
  it("lists fields in a fixed order, whatever order they were written in", () => {
    expect(describeSelector({ zones: ["z1"], clusters: ["a", "b"] })).toBe("clusters=a,b zones=z1");
    expect(describeSelector({ hosts: ["h"], networks: ["n"], nodes: ["x"], zones: ["z"], regions: ["r"], clusters: ["c"] })).toBe(
      "clusters=c regions=r zones=z nodes=x networks=n hosts=h",
    );
  });
  it("writes except in brackets, nested", () => {
    expect(describeSelector({ except: { clusters: ["a"] } })).toBe("except(clusters=a)");
    expect(describeSelector({ regions: ["r"], except: { zones: ["z"], except: {} } })).toBe("regions=r except(zones=z except(all))");
  });
});

describe("checkSelector", () => {
  const { topology } = world();

  it("returns a selector whose names all exist, unchanged", () => {
    const s: HostSelector = {
      clusters: ["a", "c"],
      regions: ["eu-west-1"],
      zones: ["us-east-1b"],
      nodes: ["ext-node"],
      networks: ["other", EXTERNAL_NETWORK],
      except: { clusters: ["b"] },
    };
    expect(checkSelector(s, topology, "test")).toBe(s);
  });

  it("does not check host names, which may come later", () => {
    expect(() => checkSelector({ hosts: ["not-yet"] }, topology, "test")).not.toThrow();
  });

  it.each<[HostSelector, string]>([
    [{ clusters: ["a", "nope"] }, 'where: no cluster named "nope"; there are: a, b, c'],
    [{ regions: ["mars-1"] }, 'where: no region named "mars-1"; there are: us-east-1, eu-west-1'],
    [{ zones: ["us-east-1c"] }, 'where: no zone named "us-east-1c"; there are: us-east-1a, us-east-1b, eu-west-1a, eu-west-1b'],
    [{ nodes: ["a-us-east-1c-0"] }, 'where: no node named "a-us-east-1c-0"; there are: a-us-east-1a-0, a-us-east-1a-1'],
    [{ networks: ["nett"] }, 'where: no network named "nett"; there are: default, other, external'],
    [{ clusters: ["a"], except: { clusters: ["typo"] } }, 'where (except): no cluster named "typo"; there are: a, b, c'],
  ])("throws a TopologyError naming the unknown name and the known ones: %j", (s, message) => {
    expect(() => checkSelector(s, topology, "where")).toThrow(TopologyError);
    expect(() => checkSelector(s, topology, "where")).toThrow(message);
  });
});
