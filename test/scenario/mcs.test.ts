import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SOURCE_CLUSTER_LABEL } from "../../src/mcs/controller.js";
import { LIGHTHOUSE_DNS_NAME, LIGHTHOUSE_NAMESPACE } from "../../src/mcs/lighthouse-dns.js";
import { PROFILES } from "../../src/mcs/profiles.js";
import { CLUSTERSET_PROPERTY } from "../../src/mcs/clusterset.js";
import { loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld, runScenario, type ScenarioReport } from "../../src/scenario/run.js";
import { dig } from "../../src/shell/dig.js";
import { podShell } from "../../src/shell/pod.js";
import { SECOND, seconds } from "../../src/sim/time.js";

const FILE = fileURLToPath(new URL("../../scenarios/mcs.yaml", import.meta.url));
const TEXT = readFileSync(FILE, "utf8");
const load = (text = TEXT) => loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });

/** scenarios/mcs.yaml with its fault timeline (and the expectations, which are about it) replaced by `faults` (YAML under `faults:`). */
const withFaults = (faults: string) => `${TEXT.slice(0, TEXT.indexOf("  faults:\n"))}  faults:\n${faults}`;

/** The kep profile's timings, which scenarios/mcs.yaml keeps. */
const { syncPeriod, leaseDuration } = PROFILES.kep;
const SYNC = syncPeriod / SECOND;
const LEASE = leaseDuration / SECOND;
/**
 * The multicluster plugin's fixed TTL (mcs.md §4.2). kubeadm's `cache 30` keeps clusterset.local
 * answers and denials that long: an answer can lag the API server by up to it.
 */
const TTL = 5;

let shipped: ScenarioReport | undefined;
/** scenarios/mcs.yaml's report, run once for the tests that read it. */
const report = () => (shipped ??= runScenario(load()));

/** The imported EndpointSlices from `source` in a cluster's production namespace. */
const slicesFrom = (w: ReturnType<typeof buildScenarioWorld>, cluster: string, source: string) =>
  w.world.cluster(cluster).api.listByLabel("EndpointSlice", "production", SOURCE_CLUSTER_LABEL, source).map((s) => s.metadata.name);

describe("spec.patterns.mcs and scenarios/mcs.yaml", () => {
  it("puts the multicluster plugin before kubernetes in every member's Corefile (mcs.md §4.1)", () => {
    for (const c of load().spec.clusters) expect(c.dns.corefile).toMatch(/^ {4}multicluster clusterset\.local\n {4}kubernetes cluster\.local /m);
  });

  it("keeps a cluster's own Corefile as written", () => {
    const text = TEXT.replace("      nodesPerZone: 2\n", "      nodesPerZone: 2\n      dns:\n        corefile: |\n          .:53 {\n              errors\n          }\n");
    expect(load(text).spec.clusters[0]!.dns.corefile).toBe(".:53 {\n    errors\n}\n");
  });

  it("meets its expectations, and reports each member's imports and cluster-c's withdrawal a lease after its last sync", () => {
    expect(report().expectations.filter((e) => !e.pass)).toEqual([]);
    const mcs = report().mcs!;
    expect(mcs.clusters.map((c) => [c.cluster, c.imports.map((i) => i.service)])).toEqual([
      ["cluster-a", ["production/my-api", "production/my-db"]],
      ["cluster-b", ["production/my-api", "production/my-db"]],
      ["cluster-c", ["production/my-api", "production/my-db"]],
    ]);
    for (const c of mcs.clusters) for (const i of c.imports) expect(i.afterExportS).toBeLessThan(3);
    expect(mcs.withdrawals).toHaveLength(1);
    const [w] = mcs.withdrawals;
    expect(w!.cluster).toBe("cluster-c");
    expect(w!.lastHeardS).toBeGreaterThan(38);
    expect(w!.lastHeardS).toBeLessThanOrEqual(40);
    // The lease is 10s; the hub checks leases every sync period (1s).
    expect(w!.afterSilenceS).toBeGreaterThanOrEqual(LEASE);
    expect(w!.afterSilenceS).toBeLessThan(LEASE + SYNC + 0.1);
  });

  it("reports cluster-a's first successful clusterset lookup of each name: after its import, within an answer's TTL of it", () => {
    const [a, ...others] = report().mcs!.clusters;
    expect(a!.firstAnswers.map((f) => f.service)).toEqual(["production/my-api", "production/my-db"]);
    for (const f of a!.firstAnswers) {
      const imported = a!.imports.find((i) => i.service === f.service)!;
      // The client asked before the import was there (and was told NXDOMAIN)…
      expect(f.firstLookupAtS!).toBeLessThan(imported.importedAtS);
      // …so the first answer comes after the import, and at most a TTL after it: the denial cached before it.
      expect(f.answeredAtS!).toBeGreaterThan(imported.importedAtS);
      expect(f.afterImportS!).toBeCloseTo(f.answeredAtS! - imported.importedAtS, 9);
      expect(f.afterImportS!).toBeLessThan(TTL + 0.1);
      expect(f.afterExportS!).toBeCloseTo(imported.afterExportS + f.afterImportS!, 9);
    }
    // No stream sends from cluster-b or cluster-c: nothing to report, not a made-up time.
    for (const c of others) {
      expect(c.firstAnswers.map((f) => f.service)).toEqual(["production/my-api", "production/my-db"]);
      for (const f of c.firstAnswers) expect(f).toEqual({ service: f.service, firstLookupAtS: null, answeredAtS: null, afterExportS: null, afterImportS: null });
    }
  });

  it("measures the first answer by the lookups, not the import: a stream that starts late is answered late", () => {
    const late = runScenario(load(TEXT.replace("      resolve: my-db.production.svc.clusterset.local.\n", "      resolve: my-db.production.svc.clusterset.local.\n      start: 20s\n"))).mcs!;
    const db = late.clusters[0]!.firstAnswers.find((f) => f.service === "production/my-db")!;
    expect(db.firstLookupAtS!).toBeGreaterThanOrEqual(20);
    expect(db.answeredAtS!).toBeGreaterThan(db.firstLookupAtS!);
    // Imported for long: answered at the first lookup, a round trip to CoreDNS later.
    expect(db.answeredAtS! - db.firstLookupAtS!).toBeLessThan(0.1);
    expect(db.afterImportS!).toBeGreaterThan(18);
  });

  it("reports cluster-c's failure by the fault that cut its agent off the hub, and its endpoints leaving the others a lease later", () => {
    const mcs = report().mcs!;
    // cut-off partitions cluster-c from the other clusters only: the hub still hears it.
    expect(mcs.failures.map((f) => [f.fault, f.cluster, f.atS, f.untilS])).toEqual([["hub-cut-off", "cluster-c", 40, 90]]);
    const [f] = mcs.failures;
    const [w] = mcs.withdrawals;
    expect(f!.slicesGone.map((g) => g.cluster)).toEqual(["cluster-a", "cluster-b"]);
    for (const g of f!.slicesGone) {
      // cluster-c last synced up to a sync period before the cut; its lease ran out a lease after
      // that, at the hub's next check; each member dropped its slices at its next sync after.
      expect(g.afterFailureS!).toBeCloseTo(g.atS! - 40, 9);
      expect(g.afterFailureS!).toBeGreaterThanOrEqual(LEASE - SYNC);
      expect(g.afterFailureS!).toBeLessThan(LEASE + 2 * SYNC);
      expect(g.atS!).toBeGreaterThanOrEqual(w!.atS);
      expect(g.atS!).toBeLessThan(w!.atS + SYNC + 0.1);
    }
    // my-api is answered with cluster-a's own clusterset IP throughout: never with an address of cluster-c.
    expect(f!.answersGone.map((g) => [g.cluster, g.service])).toEqual([["cluster-a", "production/my-db"]]);
    const db = f!.answersGone[0]!;
    const slices = f!.slicesGone[0]!;
    expect(db.atS!).toBeGreaterThan(slices.atS!);
    expect(db.atS!).toBeLessThan(slices.atS! + TTL + 0.1);
    expect(db.afterFailureS!).toBeCloseTo(db.atS! - 40, 9);
    // The other CoreDNS replica's cache held the old answer a little longer, never past its TTL.
    expect(db.lastHeldAtS!).toBeGreaterThan(db.atS!);
    expect(db.lastHeldAtS!).toBeLessThan(slices.atS! + TTL + 0.1);
  });

  it("reports the instants at which the slices left cluster-a's API server and cluster-c's addresses left my-db's answers", () => {
    // The same scenario and seed, built and stepped: the instants the report gave.
    const [f] = report().mcs!.failures;
    const w = buildScenarioWorld(load());
    const slices = Math.round(f!.slicesGone[0]!.atS! * SECOND);
    w.world.runUntil(slices - 1);
    expect(slicesFrom(w, "cluster-a", "cluster-c")).toEqual(["imported-my-api-cluster-c", "imported-my-db-cluster-c"]);
    w.world.runUntil(slices);
    expect(slicesFrom(w, "cluster-a", "cluster-c")).toEqual([]);
    w.world.runUntil(load().spec.duration);
    // The stream's own figures (by the first address of each answer, and when each lookup started):
    // answers with cluster-c's addresses up to the first without, some after it, none after the last one held it.
    const db = f!.answersGone[0]!;
    const [gone, last] = [db.atS!, db.lastHeldAtS!].map((t) => Math.round(t * SECOND)) as [number, number];
    const answers = (from: number, to: number) => w.measurements.summarise(1, from, to);
    const fromC = (from: number, to: number) => w.measurements.summarise(1, from, to, "cluster-c");
    // (A lookup takes a few milliseconds: the one that ended at `gone` started just before.)
    const before = gone - 10_000;
    expect(fromC(before - SECOND, before).count).toBeGreaterThan(0);
    expect(fromC(before - SECOND, before).count).toBe(answers(before - SECOND, before).count);
    expect(fromC(gone, last).count).toBeGreaterThan(0);
    expect(fromC(gone, last).count).toBeLessThan(answers(gone, last).count);
    expect(fromC(last, 90 * SECOND).count).toBe(0);
  });
});

/** Runs a built scenario world to its end and gives its MCS report. */
function buildReport(w: ReturnType<typeof buildScenarioWorld>) {
  w.world.runUntil(load().spec.duration);
  return w.mcs!.report();
}

describe("the join and leave faults", () => {
  const NEW_EXPORT = `    # cluster-b exports a new name while cluster-c is away.
    - name: new-export
      at: 50s
      apply:
        cluster: cluster-b
        inline: |
          apiVersion: v1
          kind: Service
          metadata: {name: my-cache, namespace: production}
          spec:
            ports: [{port: 6379}]
          ---
          apiVersion: multicluster.x-k8s.io/v1alpha1
          kind: ServiceExport
          metadata: {name: my-cache, namespace: production}
`;

  it("a member that leaves loses its endpoints in the others once its lease runs out, imports nothing while away, and imports afresh when it joins again after for", () => {
    const w = buildScenarioWorld(load(withFaults(`    - name: c-leaves\n      at: 40s\n      for: 40s\n      leave:\n        cluster: cluster-c\n${NEW_EXPORT}`)));
    const api = (c: string) => w.world.cluster(c).api;
    w.world.runUntil(39 * SECOND);
    for (const c of ["cluster-a", "cluster-b"]) expect(slicesFrom(w, c, "cluster-c")).toEqual(["imported-my-api-cluster-c", "imported-my-db-cluster-c"]);
    expect(w.clusterSet!.clusters).toEqual(["cluster-a", "cluster-b", "cluster-c"]);
    w.world.runUntil(45 * SECOND);
    // Gone from the clusterset (and its property with it), but the hub holds its lease a while yet.
    expect(w.clusterSet!.clusters).toEqual(["cluster-a", "cluster-b"]);
    expect(api("cluster-c").get("ClusterProperty", "", CLUSTERSET_PROPERTY)).toBeUndefined();
    expect(slicesFrom(w, "cluster-a", "cluster-c")).toHaveLength(2);
    w.world.runUntil(79 * SECOND);
    for (const c of ["cluster-a", "cluster-b"]) expect(slicesFrom(w, c, "cluster-c")).toEqual([]);
    expect(api("cluster-a").get("ServiceImport", "production", "my-cache")).toBeDefined();
    expect(api("cluster-c").get("ServiceImport", "production", "my-cache")).toBeUndefined();
    w.world.runUntil(83 * SECOND);
    expect(w.clusterSet!.clusters).toEqual(["cluster-a", "cluster-b", "cluster-c"]);
    expect(api("cluster-c").get("ClusterProperty", "", CLUSTERSET_PROPERTY)?.spec.value).toBe("clusterset");
    expect(api("cluster-c").get("ServiceImport", "production", "my-cache")).toBeDefined();
    for (const c of ["cluster-a", "cluster-b"]) expect(slicesFrom(w, c, "cluster-c")).toEqual(["imported-my-api-cluster-c", "imported-my-db-cluster-c"]);

    const mcs = buildReport(w);
    expect(w.faults.records.map((r) => [r.name, r.action, r.target, r.at / SECOND, r.until === undefined ? null : r.until / SECOND, r.instant, r.error ?? null])).toEqual([
      ["c-leaves", "leave", "cluster-c", 40, 80, false, null],
      ["new-export", "apply", expect.stringMatching(/mcs\.yaml:\d+ to cluster-b$/), 50, null, true, null],
    ]);
    // A member that left is still reported, its first imports kept, and what it imported after joining again.
    const c = mcs.clusters.find((x) => x.cluster === "cluster-c")!;
    expect(c.imports.map((i) => i.service)).toEqual(["production/my-api", "production/my-db", "production/my-cache"]);
    expect(c.imports[0]!.importedAtS).toBeLessThan(1);
    expect(c.imports[2]!.importedAtS).toBeGreaterThan(80);
    expect(c.imports[2]!.importedAtS).toBeLessThan(80 + 2 * SYNC);
    expect(mcs.failures.map((f) => [f.fault, f.cluster, f.atS, f.untilS, f.slicesGone.map((g) => g.cluster)])).toEqual([["c-leaves", "cluster-c", 40, 80, ["cluster-a", "cluster-b"]]]);
    for (const g of mcs.failures[0]!.slicesGone) {
      expect(g.afterFailureS!).toBeGreaterThanOrEqual(LEASE - SYNC);
      expect(g.afterFailureS!).toBeLessThan(LEASE + 2 * SYNC);
    }
  });

  it("join brings back a member that left; a join of a member, or a leave of one that left, is recorded as not acted", () => {
    const r = runScenario(
      load(
        withFaults(`    - {name: out, at: 30s, leave: {cluster: cluster-c}}
    - {name: twice, at: 40s, leave: {cluster: cluster-c}}
    - {name: back, at: 60s, join: {cluster: cluster-c}}
    - {name: again, at: 70s, join: {cluster: cluster-b}}
`),
      ),
    );
    expect(r.faults.map((f) => [f.name, f.at / SECOND, f.until === undefined ? null : f.until / SECOND, f.instant, f.error ?? null])).toEqual([
      ["out", 30, null, false, null],
      ["twice", 40, null, false, "cluster cluster-c is not in clusterset clusterset at this point: it has left already"],
      ["back", 60, null, true, null],
      ["again", 70, null, true, "cluster cluster-b is in clusterset clusterset already: only a cluster that left can join"],
    ]);
    const mcs = r.mcs!;
    // Out from 30s, back at 60s: one failure, whose slices went a lease after it; they are back after the join.
    expect(mcs.failures.map((f) => [f.fault, f.cluster, f.atS, f.untilS])).toEqual([["out", "cluster-c", 30, 60]]);
    expect(mcs.failures[0]!.slicesGone.every((g) => g.afterFailureS! >= LEASE - SYNC && g.afterFailureS! < LEASE + 2 * SYNC)).toBe(true);
    const db = r.streams.find((s) => s.name === "my-db")!;
    expect(db.byPhase.find((p) => p.fault === "back" && p.phase === "before")!.codes.NXDOMAIN).toBeGreaterThan(0);
    const after = db.byPhase.find((p) => p.fault === "again" && p.phase === "after")!;
    expect(after.ok).toBe(after.count);
  });
});

describe("scenarios/mcs.yaml with profile: lighthouse (mcs.md §5.1, §5.3)", () => {
  const lighthouse = () => load(readFileSync(FILE, "utf8").replace("profile: kep", "profile: lighthouse"));

  it("puts no multicluster plugin in the members' Corefiles: Lighthouse's own DNS server answers the zone", () => {
    for (const c of lighthouse().spec.clusters) expect(c.dns.corefile).toBeUndefined();
  });

  it("resolves my-api.production.svc.clusterset.local to one A record, an exporter's ClusterIP, through the cluster DNS and Lighthouse's", () => {
    const { world } = buildScenarioWorld(lighthouse());
    world.runFor(seconds(20));
    const exporters = ["cluster-b", "cluster-c"].map((c) => world.cluster(c).api.get("Service", "production", "my-api")!.spec.clusterIP!);
    const forward = world.cluster("cluster-a").api.get("Service", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME)!.spec.clusterIP!;
    expect(world.cluster("cluster-a").api.get("ConfigMap", "kube-system", "coredns")!.data!.Corefile).toContain(`clusterset.local:53 {\n    forward . ${forward}\n}`);
    const out = dig(podShell(world, "cluster-a", "production/client"), ["my-api.production.svc.clusterset.local"]).stdout;
    expect(out).toContain("status: NOERROR");
    expect(out).toContain("ANSWER: 1,");
    const answer = /;; ANSWER SECTION:\n(\S+)\s+5\s+IN\s+A\s+(\S+)\n/.exec(out);
    expect(answer?.[1]).toBe("my-api.production.svc.clusterset.local.");
    expect(exporters).toContain(answer?.[2]);
  });

  it("runs, every my-api lookup answered", () => {
    const report = runScenario(lighthouse(), { until: seconds(40) });
    expect(report.mcs!.profile).toBe("lighthouse");
    const api = report.streams.find((s) => s.name === "my-api")!;
    expect(api.count).toBeGreaterThan(400);
    expect(api.successRatio).toBe(1);
  });
});
