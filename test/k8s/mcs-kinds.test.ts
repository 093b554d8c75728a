import { describe, expect, it } from "vitest";
import { ManifestError, loadManifests } from "../../src/k8s/manifest.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

function failure(text: string): ManifestError {
  try {
    loadManifests(text, "mcs.yaml");
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error("expected a ManifestError");
}

describe("Multi-Cluster Services kinds as manifests (mcs.md §1.2, §1.3, §1.11)", () => {
  it("loads the seed's ServiceExport as written, at v1alpha1, and reads it back at the storage version v1beta1", () => {
    const [e] = loadManifests("apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\n", "mcs.yaml");
    expect(e).toEqual({ apiVersion: "multicluster.x-k8s.io/v1beta1", kind: "ServiceExport", metadata: { name: "my-api", namespace: "production" } });
  });

  it("defaults a ServiceExport's namespace to default, as for every namespaced kind", () => {
    const [e] = loadManifests("apiVersion: multicluster.x-k8s.io/v1beta1\nkind: ServiceExport\nmetadata: {name: web}\n", "mcs.yaml");
    expect(e!.metadata.namespace).toBe("default");
  });

  it("refuses a version the CRD does not serve, naming both served versions", () => {
    const e = failure("apiVersion: multicluster.x-k8s.io/v1\nkind: ServiceExport\nmetadata: {name: web}\n");
    expect(e.message).toBe(
      'mcs.yaml:1:13 (document 1): apiVersion: expected "multicluster.x-k8s.io/v1alpha1" or "multicluster.x-k8s.io/v1beta1" for kind ServiceExport, got "multicluster.x-k8s.io/v1"',
    );
  });

  it("refuses an unknown field of a ServiceExport's spec, with the place", () => {
    const e = failure(lines("apiVersion: multicluster.x-k8s.io/v1alpha1", "kind: ServiceExport", "metadata: {name: web}", "spec:", "  exportedLabel: {a: b}"));
    expect([e.line, e.column, e.path]).toEqual([5, 3, "spec.exportedLabel"]);
    expect(e.detail).toContain("exportedLabels");
  });

  it("loads a ServiceImport with its ports defaulted to TCP, and requires its type", () => {
    const [i] = loadManifests(
      lines("apiVersion: multicluster.x-k8s.io/v1beta1", "kind: ServiceImport", "metadata: {name: web, namespace: shop}", "spec:", "  type: ClusterSetIP", "  ips: [10.0.0.9]", "  ports: [{name: http, port: 80}]"),
      "mcs.yaml",
    );
    expect(i).toMatchObject({ spec: { type: "ClusterSetIP", ips: ["10.0.0.9"], ports: [{ name: "http", port: 80, protocol: "TCP" }] } });
    const e = failure(lines("apiVersion: multicluster.x-k8s.io/v1beta1", "kind: ServiceImport", "metadata: {name: web}", "spec:", "  ports: [{port: 80}]"));
    expect(e.path).toBe("spec.type");
  });

  it("refuses a Headless ServiceImport with clusterset IPs, and two ports with one name", () => {
    expect(failure(lines("apiVersion: multicluster.x-k8s.io/v1beta1", "kind: ServiceImport", "metadata: {name: web}", "spec:", "  type: Headless", "  ips: [10.0.0.9]", "  ports: [{port: 80}]")).path).toBe("spec.ips");
    expect(failure(lines("apiVersion: multicluster.x-k8s.io/v1beta1", "kind: ServiceImport", "metadata: {name: web}", "spec:", "  type: Headless", "  ports: [{name: a, port: 80}, {name: a, port: 81}]")).detail).toContain("port name");
  });

  it("loads a ClusterProperty as cluster-scoped: a namespace given is dropped", () => {
    const [p] = loadManifests(lines("apiVersion: about.k8s.io/v1alpha1", "kind: ClusterProperty", "metadata: {name: cluster.clusterset.k8s.io, namespace: x}", "spec: {value: east}"), "mcs.yaml");
    expect(p).toEqual({ apiVersion: "about.k8s.io/v1beta1", kind: "ClusterProperty", metadata: { name: "cluster.clusterset.k8s.io" }, spec: { value: "east" } });
    expect(failure(lines("apiVersion: about.k8s.io/v1beta1", "kind: ClusterProperty", "metadata: {name: id.example.com}", "spec: {value: ''}")).path).toBe("spec.value");
  });
});
