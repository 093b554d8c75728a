import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LIGHTHOUSE_DNS_NAME, LIGHTHOUSE_NAMESPACE } from "../../src/mcs/lighthouse-dns.js";
import { loadScenario } from "../../src/scenario/load.js";
import { buildScenarioWorld, runScenario } from "../../src/scenario/run.js";
import { dig } from "../../src/shell/dig.js";
import { podShell } from "../../src/shell/pod.js";
import { seconds } from "../../src/sim/time.js";

const FILE = fileURLToPath(new URL("../../scenarios/mcs.yaml", import.meta.url));
const load = (text = readFileSync(FILE, "utf8")) => loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });

describe("spec.patterns.mcs and scenarios/mcs.yaml", () => {
  it("puts the multicluster plugin before kubernetes in every member's Corefile (mcs.md §4.1)", () => {
    for (const c of load().spec.clusters) expect(c.dns.corefile).toMatch(/^ {4}multicluster clusterset\.local\n {4}kubernetes cluster\.local /m);
  });

  it("keeps a cluster's own Corefile as written", () => {
    const text = readFileSync(FILE, "utf8").replace("      nodesPerZone: 2\n", "      nodesPerZone: 2\n      dns:\n        corefile: |\n          .:53 {\n              errors\n          }\n");
    expect(load(text).spec.clusters[0]!.dns.corefile).toBe(".:53 {\n    errors\n}\n");
  });

  it("meets its expectations, and reports each member's imports and cluster-c's withdrawal a lease after its last sync", () => {
    const report = runScenario(load());
    expect(report.expectations.filter((e) => !e.pass)).toEqual([]);
    const mcs = report.mcs!;
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
    expect(w!.afterSilenceS).toBeGreaterThanOrEqual(10);
    expect(w!.afterSilenceS).toBeLessThan(11.1);
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
