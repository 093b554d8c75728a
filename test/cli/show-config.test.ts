import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseCorefile } from "../../src/dns/corefile.js";
import { IMPLEMENTED_PLUGINS } from "../../src/dns/plugins/index.js";
import { mcsim } from "./run-mcsim.js";

interface Doc {
  readonly comment: string;
  readonly object: { kind: string; metadata: { name: string; namespace: string }; data?: { Corefile: string }; spec?: { type?: string }; status?: { loadBalancer?: { ingress?: { ip: string }[] } } };
}

function showConfig(file: string): Doc[] {
  const run = mcsim(["run", file, "--show-config"]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  // Each document begins with its comment line, as a reader sees it.
  return run.stdout.split(/^---\n/m).map((text) => ({ comment: /^# (.*)$/m.exec(text)?.[1] ?? "", object: parse(text) as Doc["object"] }));
}

describe("mcsim run --show-config (issue 5: the generated Corefiles are visible)", () => {
  it("prints each federation member's coredns ConfigMap, with a stub block per other member's zone, and its LoadBalancer Service", () => {
    const docs = showConfig("scenarios/dns-federation.yaml");
    const corefiles = docs.filter((d) => d.object.kind === "ConfigMap");
    expect(corefiles.map((d) => d.comment)).toEqual(["cluster us-east: the Corefile its CoreDNS runs", "cluster cluster-b: the Corefile its CoreDNS runs", "cluster eu-west: the Corefile its CoreDNS runs"]);
    for (const d of corefiles) {
      expect(d.object.metadata).toMatchObject({ name: "coredns", namespace: "kube-system" });
      const self = /cluster (\S+):/.exec(d.comment)![1]!;
      const zones = parseCorefile(d.object.data!.Corefile, "Corefile", { plugins: IMPLEMENTED_PLUGINS }).servers.flatMap((b) => b.keys.map((k) => k.zone));
      for (const other of ["us-east", "cluster-b", "eu-west"].filter((c) => c !== self)) expect(zones).toEqual(expect.arrayContaining([`${other}.local.`, `${other}.example.com.`]));
      expect(zones).not.toContain(`${self}.local.`);
    }
    const services = docs.filter((d) => d.object.kind === "Service");
    expect(services.map((d) => [d.comment, d.object.metadata.name, d.object.spec?.type, d.object.status?.loadBalancer?.ingress?.[0]?.ip])).toEqual([
      ["cluster us-east: from spec.patterns.dnsFederation", "kube-dns-federation", "LoadBalancer", "203.0.113.200"],
      ["cluster cluster-b: from spec.patterns.dnsFederation", "kube-dns-federation", "LoadBalancer", "203.0.113.201"],
      ["cluster eu-west: from spec.patterns.dnsFederation", "kube-dns-federation", "LoadBalancer", "203.0.113.202"],
    ]);
  });

  it("shows a cluster's own Corefile as written, and kubeadm's where none is given", () => {
    const dir = mkdtempSync(join(tmpdir(), "mcsim-show-config-"));
    const file = join(dir, "s.yaml");
    const own = ".:53 {\n    errors\n    kubernetes cluster.local\n}\n";
    writeFileSync(
      file,
      `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: own}
spec:
  duration: 10s
  clusters:
    - name: a
      region: r1
      zones: [r1a]
      dns:
        corefile: |
${own.replace(/^/gm, "          ").trimEnd()}
    - {name: b, region: r1, zones: [r1a]}
`,
    );
    const docs = showConfig(file);
    expect(docs.map((d) => d.object.kind)).toEqual(["ConfigMap", "ConfigMap"]);
    expect(docs[0]!.object.data!.Corefile).toBe(own);
    expect(docs[1]!.object.data!.Corefile).toContain("kubernetes cluster.local in-addr.arpa ip6.arpa {");
  });

  it("shows the MCS pattern: the multicluster line in each member's Corefile, the members' ClusterProperties, and the ClusterSet with its profile as the scenario overrides it", () => {
    const dir = mkdtempSync(join(tmpdir(), "mcsim-show-config-"));
    try {
      cpSync("scenarios", dir, { recursive: true });
      const file = join(dir, "mcs.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("      profile: kep\n", "      profile: gke\n      syncPeriod: 2s\n"));
      const docs = showConfig(file);
      const members = ["cluster-a", "cluster-b", "cluster-c"];
      const corefiles = docs.filter((d) => d.object.kind === "ConfigMap");
      expect(corefiles.map((d) => d.comment)).toEqual(members.map((c) => `cluster ${c}: the Corefile its CoreDNS runs`));
      for (const d of corefiles) expect(d.object.data!.Corefile).toMatch(/^ {4}multicluster clusterset\.local\n {4}kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{$/m);
      const properties = docs.filter((d) => d.object.kind === "ClusterProperty") as unknown as { comment: string; object: { metadata: { name: string }; spec: { value: string } } }[];
      expect(properties.map((d) => [d.comment, d.object.metadata.name, d.object.spec.value])).toEqual(
        members.flatMap((c) => [
          [`cluster ${c}: from spec.patterns.mcs`, "cluster.clusterset.k8s.io", c],
          [`cluster ${c}: from spec.patterns.mcs`, "clusterset.k8s.io", "clusterset"],
        ]),
      );
      const set = docs.at(-1)!;
      expect(set.comment).toBe("spec.patterns.mcs: the ClusterSet, and the profile's parameters in force");
      expect(set.object).toMatchObject({
        name: "clusterset",
        members: members.map((c) => ({ cluster: c, clusterId: c })),
        hubHost: { name: "mcs-hub/hub" },
        // gke's timings (mcs.md §6), with the scenario's own sync period.
        profile: { name: "gke", hub: "external", syncPeriod: "2s", leaseDuration: "1m", initialPropagation: "uniform(1m, 5m)", clustersetIp: true, managedBy: "gke-mcs-importer" },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not run the scenario: no report", () => {
    const run = mcsim(["run", "scenarios/quickstart.yaml", "--show-config"]);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/expectations?|p99/i);
  });
});
