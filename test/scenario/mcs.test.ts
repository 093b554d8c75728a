import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/scenario/run.js";

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
