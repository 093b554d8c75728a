import { describe, expect, it } from "vitest";
import { loadManifests } from "../../src/k8s/manifest.js";
import { World } from "../../src/scenario/world.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { SECOND } from "../../src/sim/time.js";

/** The Multi-Cluster Services objects of mcs.md §7 and §1.11, applied by hand to one cluster. */
const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: production}
---
apiVersion: v1
kind: Namespace
metadata: {name: nginx-test}
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {name: my-api, namespace: production, labels: {team: core}}
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceExport
metadata: {name: nginx, namespace: nginx-test}
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceImport
metadata: {name: my-api, namespace: production}
spec:
  type: ClusterSetIP
  ips: [100.73.59.169]
  ports: [{name: http, port: 80}]
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceImport
metadata: {name: dual, namespace: production}
spec:
  type: ClusterSetIP
  ips: [10.0.0.1, "fd00::1"]
  ports: [{port: 443}]
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceImport
metadata: {name: nginx-ss, namespace: nginx-test}
spec:
  type: Headless
  ports: [{port: 80}]
---
apiVersion: about.k8s.io/v1beta1
kind: ClusterProperty
metadata: {name: cluster.clusterset.k8s.io}
spec: {value: east}
---
apiVersion: about.k8s.io/v1alpha1
kind: ClusterProperty
metadata: {name: clusterset.k8s.io}
spec: {value: demo-set}
`;

/** One cluster holding {@link MANIFESTS}, 158 minutes after they were applied (the AGE of mcs.md §7's example). */
function mcsWorld(): World {
  const world = new World({ seed: 1 });
  world.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], dns: false });
  world.apply("east", MANIFESTS, "mcs.yaml");
  world.runFor(158 * 60 * SECOND);
  return world;
}

describe("kubectl get for the Multi-Cluster Services kinds (mcs.md §7, §1.11)", () => {
  const world = mcsWorld();
  const run = (...args: string[]) => kubectl({ world, context: "east" }, args);
  const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });

  it("lists ServiceExports with their CRD's columns, NAME and AGE, under every name kubectl accepts", () => {
    const table = "NAME     AGE\nmy-api   158m\n";
    for (const name of ["serviceexports", "serviceexport", "svcex", "svcexport", "serviceexports.multicluster.x-k8s.io", "ServiceExport.multicluster.x-k8s.io"]) {
      expect(run("get", name, "-n", "production")).toEqual(ok(table));
    }
    // The CRD's printer columns have no priority above 0: -o wide adds none.
    expect(run("get", "svcex", "-n", "production", "-o", "wide")).toEqual(ok(table));
  });

  it("adds NAMESPACE with -A, as in lighthouse#475's output", () => {
    expect(run("get", "serviceexports", "-A")).toEqual(ok("NAMESPACE    NAME     AGE\nnginx-test   nginx    158m\nproduction   my-api   158m\n"));
  });

  it("lists ServiceImports with TYPE and the IP array as JSON, blank when Headless", () => {
    expect(run("get", "svcim", "-n", "production")).toEqual(ok('NAME     TYPE           IP                       AGE\ndual     ClusterSetIP   ["10.0.0.1","fd00::1"]   158m\nmy-api   ClusterSetIP   ["100.73.59.169"]        158m\n'));
    expect(run("get", "svcimport", "-A", "--no-headers")).toEqual(
      ok('nginx-test   nginx-ss   Headless                                158m\nproduction   dual       ClusterSetIP   ["10.0.0.1","fd00::1"]   158m\nproduction   my-api     ClusterSetIP   ["100.73.59.169"]        158m\n'),
    );
  });

  it("lists ClusterProperties as cluster-scoped: NAME VALUE AGE, no NAMESPACE with -A, -n ignored", () => {
    const table = "NAME                        VALUE      AGE\ncluster.clusterset.k8s.io   east       158m\nclusterset.k8s.io           demo-set   158m\n";
    expect(run("get", "clusterproperties")).toEqual(ok(table));
    expect(run("get", "clusterproperty", "-A")).toEqual(ok(table));
    expect(run("get", "clusterproperties", "-n", "production")).toEqual(ok(table));
    expect(run("get", "clusterproperty", "cluster.clusterset.k8s.io", "-n", "nowhere")).toEqual(ok("NAME                        VALUE   AGE\ncluster.clusterset.k8s.io   east    158m\n"));
  });

  it("cuts a multi-line value at its first line break, as kubectl's table printer does", () => {
    const w = mcsWorld();
    w.apply("east", 'apiVersion: about.k8s.io/v1beta1\nkind: ClusterProperty\nmetadata: {name: fingerprint.example.com}\nspec: {value: "line one\\nline two"}\n');
    expect(kubectl({ world: w, context: "east" }, ["get", "clusterproperty", "fingerprint.example.com"])).toEqual(ok("NAME                      VALUE         AGE\nfingerprint.example.com   line one...   0s\n"));
  });

  it("writes -o name with each kind's API group", () => {
    expect(run("get", "svcex", "my-api", "-n", "production", "-o", "name")).toEqual(ok("serviceexport.multicluster.x-k8s.io/my-api\n"));
    expect(run("get", "svcim", "-n", "production", "-o", "name")).toEqual(ok("serviceimport.multicluster.x-k8s.io/dual\nserviceimport.multicluster.x-k8s.io/my-api\n"));
    expect(run("get", "clusterproperties", "-o", "name")).toEqual(ok("clusterproperty.about.k8s.io/cluster.clusterset.k8s.io\nclusterproperty.about.k8s.io/clusterset.k8s.io\n"));
  });

  it("prints -o yaml at the storage version, which loads back as the same objects", () => {
    for (const [kind, name, ns] of [
      ["ServiceExport", "my-api", "production"],
      ["ServiceImport", "dual", "production"],
      ["ClusterProperty", "cluster.clusterset.k8s.io", "default"],
    ] as const) {
      const out = run("get", kind, name, "-n", ns, "-o", "yaml");
      expect(out.exitCode).toBe(0);
      const stored = world.cluster("east").api.list(kind).find((o) => o.metadata.name === name);
      expect(stored).toBeDefined();
      expect(out.stdout).toMatch(/^apiVersion: (multicluster\.x-k8s\.io|about\.k8s\.io)\/v1beta1\n/);
      expect(loadManifests(out.stdout, "get.yaml")).toEqual([stored]);
    }
    const list = run("get", "svcim", "-n", "production", "-o", "yaml").stdout;
    expect(list).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: multicluster\.x-k8s\.io\/v1beta1\n {2}kind: ServiceImport\n/);
    expect(list).toContain("    ips:\n    - 10.0.0.1\n    - fd00::1\n");
  });

  it("prints -o json for one object as the object itself", () => {
    const json = JSON.parse(run("get", "clusterproperty", "clusterset.k8s.io", "-o", "json").stdout) as { apiVersion: string; kind: string; spec: unknown };
    expect([json.apiVersion, json.kind, json.spec]).toEqual(["about.k8s.io/v1beta1", "ClusterProperty", { value: "demo-set" }]);
  });

  it("selects by label and shows labels", () => {
    expect(run("get", "svcex", "-A", "-l", "team=core", "--show-labels")).toEqual(ok("NAMESPACE    NAME     AGE    LABELS\nproduction   my-api   158m   team=core\n"));
    expect(run("get", "svcex", "-n", "production", "-l", "team=edge")).toEqual({ stdout: "", stderr: "No resources found in production namespace.\n", exitCode: 0 });
  });

  it("answers as kubectl does for a missing object, naming the resource with its group, and for an empty namespace", () => {
    expect(run("get", "svcex", "nope", "-n", "production")).toEqual({ stdout: "", stderr: 'Error from server (NotFound): serviceexports.multicluster.x-k8s.io "nope" not found\n', exitCode: 1 });
    expect(run("get", "svcim", "nope", "-n", "production").stderr).toBe('Error from server (NotFound): serviceimports.multicluster.x-k8s.io "nope" not found\n');
    expect(run("get", "clusterproperty", "id.k8s.io").stderr).toBe('Error from server (NotFound): clusterproperties.about.k8s.io "id.k8s.io" not found\n');
    expect(run("get", "serviceimports")).toEqual({ stdout: "", stderr: "No resources found in default namespace.\n", exitCode: 0 });
  });
});
