import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../src/k8s/objects.js";
import { istioctl } from "../../src/shell/istioctl.js";
import { SECOND } from "../../src/sim/time.js";
import { meshWorld, webRule } from "../mesh/mesh-world.js";

/** The mistakes: a VirtualService to a missing host and a missing subset, failover without outlier detection, a TCP ServiceEntry without addresses, an uninjected namespace. */
const MISTAKES: K8sObject[] = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "web", namespace: "default" },
    spec: { hosts: ["web"], http: [{ route: [{ destination: { host: "web", subset: "v9" } }] }, { route: [{ destination: { host: "nope" } }] }] },
  },
  { ...webRule({ loadBalancer: { localityLbSetting: { failover: [{ from: "us-east-1", to: "us-west-2" }] } } }), metadata: { name: "web-failover", namespace: "default" } },
  { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name: "db", namespace: "default" }, spec: { hosts: ["db.example.internal"], ports: [{ number: 5432, name: "tcp-db", protocol: "TCP" }], resolution: "DNS" } },
] as K8sObject[];

/** A Service only west has. */
const ONLY_WEST: K8sObject = { apiVersion: "v1", kind: "Service", metadata: { name: "only-west", namespace: "default" }, spec: { selector: { app: "x" }, ports: [{ port: 80 }] } } as K8sObject;

function mistakesWorld(proxyMetadata?: Record<string, string>) {
  const w = meshWorld({ mesh: proxyMetadata ? { proxyMetadata } : {} });
  w.apply("east", MISTAKES);
  w.apply("west", [ONLY_WEST]);
  w.runFor(2 * SECOND);
  return w;
}

describe("istioctl analyze (issue 9; the lesson's mistakes, mesh.md §3.1 §4)", () => {
  it("a clean namespace: ✔ No validation issues found when analyzing namespace: default., exit 0", () => {
    const w = meshWorld();
    expect(istioctl({ world: w, context: "east" }, ["analyze"])).toEqual({ stdout: "", stderr: "✔ No validation issues found when analyzing namespace: default.\n", exitCode: 0 });
    expect(istioctl({ world: w, context: "east" }, ["analyze", "-A"]).stderr).toBe("✔ No validation issues found when analyzing all namespaces.\n");
  });

  it("reports each mistake as istioctl does, errors first, and fails with exit 79 at the Error threshold", () => {
    const w = mistakesWorld();
    const out = istioctl({ world: w, context: "east" }, ["analyze", "--all-namespaces"]);
    expect(out.stdout.split("\n")).toEqual([
      'Error [IST0101] (VirtualService default/web) Referenced host not found: "nope"',
      'Error [IST0101] (VirtualService default/web) Referenced host+subset in destinationrule not found: "web+v9"',
      "Warning [IST0134] (ServiceEntry default/db) ServiceEntry addresses are required for this protocol.",
      expect.stringMatching(/^Warning \[SIM0001\] \(Service default\/only-west\) The Service exists in cluster west but not in this cluster \(east\): its name does not resolve here/),
      expect.stringMatching(/^Warning \[SIM0002\] \(DestinationRule default\/web-failover\) localityLbSetting failover has no effect without outlierDetection/),
      "Info [IST0102] (Namespace shop) The namespace is not enabled for Istio injection. Run 'kubectl label namespace shop istio-injection=enabled' to enable it, or 'kubectl label namespace shop istio-injection=disabled' to explicitly mark it as not needing injection.",
      "",
    ]);
    expect(out.stderr).toBe("Error: Analyzers found issues when analyzing all namespaces.\nSee https://istio.io/v1.24/docs/reference/config/analysis for more information about causes and resolutions.\n");
    expect(out.exitCode).toBe(79);
  });

  it("-n keeps one namespace's messages; warnings alone exit 0 unless --failure-threshold Warning; --output-threshold hides lower levels", () => {
    const w = mistakesWorld();
    const t = { world: w, context: "east" };
    const shop = istioctl(t, ["analyze", "-n", "shop"]);
    expect([shop.stdout.split("\n").length, shop.exitCode, shop.stderr]).toEqual([2, 0, ""]);
    expect(istioctl(t, ["analyze", "-n", "shop", "--failure-threshold", "Info"]).exitCode).toBe(79);
    expect(istioctl(t, ["analyze", "-A", "--output-threshold", "Error"]).stdout.split("\n").filter(Boolean).every((l) => l.startsWith("Error [IST0101]"))).toBe(true);
    expect(istioctl(t, ["analyze", "--failure-threshold", "loud"])).toEqual({ stdout: "", stderr: 'Error: invalid argument "loud" for "--failure-threshold" flag: valid options are [Info Warning Error]\n', exitCode: 1 });
  });

  it("with DNS capture and auto-allocation mesh-wide, the missing Service and the address-less ServiceEntry are no longer issues (mesh.md §4)", () => {
    const w = mistakesWorld({ ISTIO_META_DNS_CAPTURE: "true", ISTIO_META_DNS_AUTO_ALLOCATE: "true" });
    const codes = istioctl({ world: w, context: "east" }, ["analyze", "-A"]).stdout.match(/\[[A-Z]+\d+\]/g);
    expect(codes).toEqual(["[IST0101]", "[IST0101]", "[SIM0002]", "[IST0102]"]);
  });
});
