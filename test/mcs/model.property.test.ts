/**
 * A model-based test of the MCS controller and clusterset.local DNS (issue 6): random sequences
 * of export, unexport, cluster leave and join, partition and heal, and clock advances. Whenever
 * the system is made quiet (every partition healed, then 30 s: more than three lease lengths),
 * each member's imports and cluster-a's DNS answer must be what a small reference model says.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SERVICE_NAME_LABEL, SOURCE_CLUSTER_LABEL } from "../../src/mcs/controller.js";
import type { NetFault } from "../../src/net/fault.js";
import { seconds } from "../../src/sim/time.js";
import { exportedApi, mcsWorld } from "./mcs-world.js";

const CLUSTERS = ["a", "b", "c"] as const;
type Name = (typeof CLUSTERS)[number];

interface Model {
  /** The clusters that export my-api, with the ServiceExport's creation second and the Service's type. */
  readonly exports: Map<Name, { createdAt: number; headless: boolean }>;
  readonly members: Set<Name>;
}

type Real = ReturnType<typeof mcsWorld> & { faults: Map<Name, NetFault[]> };

const SERVICE = "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\n";

class Export implements fc.Command<Model, Real> {
  constructor(readonly cluster: Name, readonly headless: boolean) {}
  check = (m: Readonly<Model>) => !m.exports.has(this.cluster);
  run(m: Model, r: Real): void {
    const c = r.world.cluster(this.cluster);
    const service = c.api.get("Service", "production", "my-api");
    if (service && (service.spec.clusterIP === "None") !== this.headless) c.api.delete("Service", "production", "my-api");
    r.world.apply(this.cluster, exportedApi({ headless: this.headless, exported: false }));
    r.world.apply(this.cluster, SERVICE);
    m.exports.set(this.cluster, { createdAt: Math.floor(r.world.sim.now / 1_000_000), headless: this.headless });
  }
  toString = () => `export ${this.cluster}${this.headless ? " (headless)" : ""}`;
}

class Unexport implements fc.Command<Model, Real> {
  constructor(readonly cluster: Name) {}
  check = (m: Readonly<Model>) => m.exports.has(this.cluster);
  run(m: Model, r: Real): void {
    r.world.delete(this.cluster, "ServiceExport", "production", "my-api");
    m.exports.delete(this.cluster);
  }
  toString = () => `unexport ${this.cluster}`;
}

class Partition implements fc.Command<Model, Real> {
  constructor(readonly cluster: Name) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    const others = CLUSTERS.filter((c) => c !== this.cluster);
    const net = r.world.network;
    const list = r.faults.get(this.cluster) ?? [];
    list.push(net.partition({ clusters: [this.cluster] }, { clusters: others }), net.partition({ clusters: [this.cluster] }, { hosts: ["mcs-hub/hub"] }));
    r.faults.set(this.cluster, list);
  }
  toString = () => `partition ${this.cluster}`;
}

class Leave implements fc.Command<Model, Real> {
  constructor(readonly cluster: Name) {}
  // cluster-a stays, so that there is always someone to ask.
  check = (m: Readonly<Model>) => this.cluster !== "a" && m.members.has(this.cluster);
  run(m: Model, r: Real): void {
    r.set.leave(this.cluster);
    m.members.delete(this.cluster);
  }
  toString = () => `leave ${this.cluster}`;
}

class Join implements fc.Command<Model, Real> {
  constructor(readonly cluster: Name) {}
  check = (m: Readonly<Model>) => !m.members.has(this.cluster);
  run(m: Model, r: Real): void {
    r.set.join(r.world.cluster(this.cluster));
    m.members.add(this.cluster);
  }
  toString = () => `join ${this.cluster}`;
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly s: number) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    r.world.runFor(seconds(this.s));
  }
  toString = () => `advance ${this.s}s`;
}

/** Heals everything, lets the clusterset settle, and compares it with the model. */
class Quiet implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    for (const faults of r.faults.values()) for (const f of faults) r.world.network.heal(f);
    r.faults.clear();
    r.world.runFor(seconds(30));
    const exporters = [...m.exports].filter(([c]) => m.members.has(c)).sort(([a, x], [b, y]) => x.createdAt - y.createdAt || (a < b ? -1 : 1));
    const names = exporters.map(([c]) => c).sort();
    for (const member of m.members) {
      const api = r.world.cluster(member).api;
      const imp = api.get("ServiceImport", "production", "my-api");
      const sources = api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api").map((s) => s.metadata.labels![SOURCE_CLUSTER_LABEL]).sort();
      if (names.length === 0) {
        expect(imp, `${member} has no import`).toBeUndefined();
        expect(sources).toEqual([]);
        continue;
      }
      expect(imp, `${member} imports`).toBeDefined();
      expect(imp!.status!.clusters!.map((c) => c.cluster)).toEqual(names);
      expect(imp!.spec.type, "the oldest export's type").toBe(exporters[0]![1].headless ? "Headless" : "ClusterSetIP");
      expect(sources).toEqual(names);
    }
    const lookup = r.world.resolve("a", "production/client", "my-api.production.svc.clusterset.local.", { family: "inet" });
    r.world.runFor(seconds(3));
    const result = lookup.result!;
    const imp = r.world.cluster("a").api.get("ServiceImport", "production", "my-api");
    if (names.length === 0) {
      expect(result.code).toBe("EAI_NONAME");
    } else if (imp!.spec.type === "ClusterSetIP") {
      expect(result.addresses.map((x) => x.address)).toEqual(imp!.spec.ips);
    } else {
      const pods = names.flatMap((c) => r.world.cluster(c).api.listByLabel("Pod", "production", "app", "my-api").map((p) => p.status!.podIP!));
      expect(result.addresses.map((x) => x.address).sort()).toEqual(pods.sort());
    }
  }
  toString = () => "quiet";
}

const name = fc.constantFrom(...CLUSTERS);
const commands = [
  fc.tuple(name, fc.boolean()).map(([c, h]) => new Export(c, h)),
  name.map((c) => new Unexport(c)),
  name.map((c) => new Partition(c)),
  name.map((c) => new Leave(c)),
  name.map((c) => new Join(c)),
  fc.integer({ min: 1, max: 15 }).map((s) => new Advance(s)),
  fc.constant(new Quiet()),
];

describe("the MCS controller against a reference model (fast-check commands)", () => {
  it("agrees with the model on imports, slices and clusterset.local answers whenever it is quiet", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 12 }), (cmds) => {
        const real = { ...mcsWorld({ dns: true }), faults: new Map<Name, NetFault[]>() };
        real.world.apply("a", "apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: production}\nspec: {containers: [{name: c, image: 'debian:12'}]}\n");
        real.world.runFor(seconds(10));
        const model: Model = { exports: new Map(), members: new Set(CLUSTERS) };
        fc.modelRun(() => ({ model, real }), [...cmds, new Quiet()]);
      }),
      { numRuns: 25 },
    );
  });
});
