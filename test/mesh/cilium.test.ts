import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globalServiceOf, selectBackends, usesRemote, type Affinity } from "../../src/mesh/cilium/annotations.js";
import { SECOND } from "../../src/sim/time.js";
import { backendClusters, ciliumCall, ciliumWorld, clusterOfIp, globalWeb } from "./cilium-world.js";

const GLOBAL = { "service.cilium.io/global": "true" };

describe("Cilium ClusterMesh global services (mesh.md §6)", () => {
  it("§6: a global Service in both clusters balances over the backends of both", () => {
    const w = ciliumWorld();
    expect(backendClusters(w, "east")).toEqual(["east", "east", "west", "west"]);
    expect(backendClusters(w, "west")).toEqual(["east", "east", "west", "west"]);
    const served = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = ciliumCall(w, SECOND);
      expect(r.status).toBe(200);
      served.add(clusterOfIp(w, r.upstream!.split(":")[0]!)!);
    }
    expect([...served].sort()).toEqual(["east", "west"]);
  });

  it("§6: if either cluster's Service is not global, both use local backends only", () => {
    for (const [east, west] of [
      [{}, GLOBAL],
      [GLOBAL, {}],
    ]) {
      const w = ciliumWorld({ eastAnnotations: east, westAnnotations: west });
      expect(backendClusters(w, "east")).toEqual(["east", "east"]);
      expect(backendClusters(w, "west")).toEqual(["west", "west"]);
    }
  });

  // mesh.md §6's truth table for two clusters, both global.
  const SHARED_TABLE: readonly { one: boolean; two: boolean; oneUses: string[]; twoUses: string[] }[] = [
    { one: true, two: true, oneUses: ["east", "east", "west", "west"], twoUses: ["east", "east", "west", "west"] },
    { one: false, two: true, oneUses: ["east", "east", "west", "west"], twoUses: ["west", "west"] },
    { one: true, two: false, oneUses: ["east", "east"], twoUses: ["east", "east", "west", "west"] },
    { one: false, two: false, oneUses: ["east", "east"], twoUses: ["west", "west"] },
  ];
  for (const row of SHARED_TABLE) {
    it(`§6 shared truth table: cluster 1 shared=${row.one}, cluster 2 shared=${row.two}`, () => {
      const annotations = (shared: boolean) => ({ ...GLOBAL, "service.cilium.io/shared": String(shared) });
      const w = ciliumWorld({ eastAnnotations: annotations(row.one), westAnnotations: annotations(row.two) });
      expect(backendClusters(w, "east")).toEqual(row.oneUses);
      expect(backendClusters(w, "west")).toEqual(row.twoUses);
    });
  }

  it("§6: shared defaults to true, affinity to none; global only for \"true\"", () => {
    expect(globalServiceOf(globalWeb(GLOBAL))).toEqual({ global: true, shared: true, affinity: "none" });
    expect(globalServiceOf(globalWeb({ "service.cilium.io/global": "yes", "service.cilium.io/affinity": "nearest" }))).toEqual({ global: false, shared: true, affinity: "none" });
    expect(usesRemote(globalServiceOf(globalWeb(GLOBAL)), globalServiceOf(globalWeb({ ...GLOBAL, "service.cilium.io/shared": "false" })))).toBe(false);
  });

  // The affinity truth table (mesh.md §6): which backends a client balances over.
  const AFFINITY_TABLE: readonly { affinity: Affinity; local: number; remote: number; uses: "local" | "remote" | "both" | "none" }[] = [
    { affinity: "local", local: 2, remote: 2, uses: "local" },
    { affinity: "local", local: 0, remote: 2, uses: "remote" },
    { affinity: "local", local: 2, remote: 0, uses: "local" },
    { affinity: "local", local: 0, remote: 0, uses: "none" },
    { affinity: "remote", local: 2, remote: 2, uses: "remote" },
    { affinity: "remote", local: 2, remote: 0, uses: "local" },
    { affinity: "remote", local: 0, remote: 2, uses: "remote" },
    { affinity: "remote", local: 0, remote: 0, uses: "none" },
    { affinity: "none", local: 2, remote: 2, uses: "both" },
    { affinity: "none", local: 0, remote: 2, uses: "remote" },
    { affinity: "none", local: 2, remote: 0, uses: "local" },
    { affinity: "none", local: 0, remote: 0, uses: "none" },
  ];
  for (const row of AFFINITY_TABLE) {
    it(`§6 affinity truth table: ${row.affinity} with ${row.local} healthy local and ${row.remote} remote backends uses ${row.uses}`, () => {
      const local = Array.from({ length: row.local }, (_, i) => `local-${i}`);
      const remote = Array.from({ length: row.remote }, (_, i) => `remote-${i}`);
      const expected = { local, remote, both: [...local, ...remote], none: [] }[row.uses];
      expect(selectBackends(row.affinity, local, remote)).toEqual(expected);
    });
  }

  it("§6 affinity (property): the chosen backends are all of one preferred side, or every one with none, and empty only when both are", () => {
    const side = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 });
    fc.assert(
      fc.property(fc.constantFrom<Affinity>("local", "remote", "none"), side, side, (affinity, localIds, remoteIds) => {
        const local = localIds.map((i) => `l${i}`);
        const remote = remoteIds.map((i) => `r${i}`);
        const chosen = selectBackends(affinity, local, remote);
        expect(chosen.length === 0).toBe(local.length === 0 && remote.length === 0);
        if (affinity === "none") expect([...chosen]).toEqual([...local, ...remote]);
        const preferred = affinity === "remote" ? remote : local;
        const other = affinity === "remote" ? local : remote;
        if (affinity !== "none") expect([...chosen]).toEqual(preferred.length > 0 ? preferred : other);
      }),
    );
  });

  it("§6 affinity local: local backends while any is ready, remote once none is, local again when they recover", () => {
    const w = ciliumWorld({ eastAnnotations: { ...GLOBAL, "service.cilium.io/affinity": "local" } });
    expect(backendClusters(w)).toEqual(["east", "east"]);
    const east = w.cluster("east");
    const pods = east.api.list("Pod", "default").filter((p) => p.metadata.labels?.app === "web").map((p) => p.metadata.name);
    east.setPodReady("default", pods[0]!, false);
    w.runFor(5 * SECOND);
    expect(backendClusters(w)).toEqual(["east"]);
    east.setPodReady("default", pods[1]!, false);
    w.runFor(5 * SECOND);
    expect(backendClusters(w)).toEqual(["west", "west"]);
    const r = ciliumCall(w, 2 * SECOND);
    expect(r.status).toBe(200);
    expect(clusterOfIp(w, r.upstream!.split(":")[0]!)).toBe("west");
    for (const p of pods) east.setPodReady("default", p, true);
    w.runFor(5 * SECOND);
    expect(backendClusters(w)).toEqual(["east", "east"]);
  });

  it("§6 affinity remote: remote backends while any is ready, local once none is", () => {
    const w = ciliumWorld({ eastAnnotations: { ...GLOBAL, "service.cilium.io/affinity": "remote" } });
    expect(backendClusters(w)).toEqual(["west", "west"]);
    const west = w.cluster("west");
    const web = west.api.get("Deployment", "default", "web")!;
    west.api.update({ ...web, spec: { ...web.spec, replicas: 0 } });
    w.runFor(10 * SECOND);
    expect(backendClusters(w)).toEqual(["east", "east"]);
  });

  it("§6: a remote change takes time to arrive: the watch delay, the clustermesh-apiserver's sync delay and the network", () => {
    const w = ciliumWorld({ westAnnotations: {}, mesh: { syncDelay: { kind: "constant", value: 5 * SECOND } } });
    expect(backendClusters(w)).toEqual(["east", "east"]);
    w.apply("west", [globalWeb(GLOBAL)]);
    w.runFor(4 * SECOND);
    expect(backendClusters(w)).toEqual(["east", "east"]);
    w.runFor(2 * SECOND);
    expect(backendClusters(w)).toEqual(["east", "east", "west", "west"]);
  });

  it("§6: an unreachable cluster's backends are kept (stale) without a cache TTL", () => {
    const w = ciliumWorld();
    const cut = w.network.partition({ clusters: ["east"] }, { clusters: ["west"] });
    w.runFor(5 * 60 * SECOND);
    expect(w.cilium!.agents.get("east")!.remoteClusters()[0]!.state).toBe("disconnected");
    expect(backendClusters(w)).toEqual(["east", "east", "west", "west"]);
    w.network.heal(cut);
    w.runFor(60 * SECOND);
    expect(w.cilium!.agents.get("east")!.remoteClusters()[0]!.state).toBe("ready");
  });

  it("§6: with a cache TTL, an unreachable cluster's backends are revoked after it, and listed again once it is back", () => {
    const w = ciliumWorld({ mesh: { cacheTtl: 60 * SECOND } });
    const cut = w.network.partition({ clusters: ["east"] }, { clusters: ["west"] });
    // Lost after a keepalive goes unanswered (25s), revoked 60s later.
    w.runFor(60 * SECOND);
    expect(w.cilium!.agents.get("east")!.remoteClusters()[0]!.state).toBe("disconnected");
    expect(backendClusters(w)).toEqual(["east", "east", "west", "west"]);
    w.runFor(40 * SECOND);
    expect(w.cilium!.agents.get("east")!.remoteClusters()[0]!.state).toBe("revoked");
    expect(backendClusters(w)).toEqual(["east", "east"]);
    w.network.heal(cut);
    w.runFor(30 * SECOND);
    expect(w.cilium!.agents.get("east")!.remoteClusters()[0]!.state).toBe("ready");
    expect(backendClusters(w)).toEqual(["east", "east", "west", "west"]);
  });

  it("§6 socket LB: a call goes straight to a pod address, and a Service with no backend anywhere fails at connect", () => {
    const w = ciliumWorld({ east: 0, west: 0 });
    const r = ciliumCall(w, SECOND);
    expect(r.error).toBe("connect-refused");
    expect(r.finishedAt - r.startedAt).toBeLessThan(SECOND);
    const v = ciliumWorld({ east: 0, eastAnnotations: { ...GLOBAL, "service.cilium.io/affinity": "local" } });
    const cross = ciliumCall(v, 2 * SECOND);
    expect(cross.status).toBe(200);
    expect(clusterOfIp(v, cross.upstream!.split(":")[0]!)).toBe("west");
    expect(cross.address).toBe(v.cluster("east").api.get("Service", "default", "web")!.spec.clusterIP);
  });
});
