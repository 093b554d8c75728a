import { describe, expect, it } from "vitest";
import type { Link } from "../../src/k8s/linkerd.js";
import { ManifestError, loadManifests } from "../../src/k8s/manifest.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

/** The Link `linkerd multicluster link --cluster-name east` writes (mesh.md §5.1, §5.3), at a version. */
const linkYaml = (version: string, ...extra: string[]) =>
  lines(
    `apiVersion: multicluster.linkerd.io/${version}`,
    "kind: Link",
    "metadata:",
    "  name: east",
    "  namespace: linkerd-multicluster",
    "spec:",
    "  clusterCredentialsSecret: cluster-credentials-east",
    "  gatewayAddress: 203.0.113.10",
    "  gatewayIdentity: linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local",
    '  gatewayPort: "4143"',
    "  probeSpec:",
    "    path: /ready",
    "    period: 3s",
    '    port: "4191"',
    "  selector:",
    "    matchLabels:",
    '      mirror.linkerd.io/exported: "true"',
    "  targetClusterDomain: cluster.local",
    "  targetClusterLinkerdNamespace: linkerd",
    "  targetClusterName: east",
    ...extra,
  );

function failure(text: string): ManifestError {
  try {
    loadManifests(text, "link.yaml");
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error("expected a ManifestError");
}

describe("Linkerd's Link as its CRD validates it (mesh.md §5.1, §5.3)", () => {
  it("loads what linkerd multicluster link writes, defaults the probe's failureThreshold and timeout, stores it at v1alpha3", () => {
    const [link] = loadManifests(linkYaml("v1alpha1"), "link.yaml") as [Link];
    expect(link.apiVersion).toBe("multicluster.linkerd.io/v1alpha3");
    expect(link.metadata.namespace).toBe("linkerd-multicluster");
    expect(link.spec.probeSpec).toEqual({ failureThreshold: "3", path: "/ready", period: "3s", port: "4191", timeout: "30s" });
    expect(link.spec.gatewayPort).toBe("4143");
    expect(link.spec.selector).toEqual({ matchLabels: { "mirror.linkerd.io/exported": "true" } });
  });

  it("serves remoteDiscoverySelector from v1alpha2 and federatedServiceSelector from v1alpha3 only", () => {
    const rd = ["  remoteDiscoverySelector:", "    matchLabels:", "      mirror.linkerd.io/exported: remote-discovery"];
    expect(failure(linkYaml("v1alpha1", ...rd)).detail).toContain('"remoteDiscoverySelector" is not served at multicluster.linkerd.io/v1alpha1');
    const [link] = loadManifests(linkYaml("v1alpha2", ...rd), "link.yaml") as [Link];
    expect(link.spec.remoteDiscoverySelector?.matchLabels).toEqual({ "mirror.linkerd.io/exported": "remote-discovery" });
    const fed = ["  federatedServiceSelector:", "    matchLabels:", "      mirror.linkerd.io/federated: member"];
    expect(failure(linkYaml("v1alpha2", ...fed)).path).toBe("spec.federatedServiceSelector");
    expect(() => loadManifests(linkYaml("v1alpha3", ...fed), "link.yaml")).not.toThrow();
  });

  it("refuses an unknown field, a port written as a number and an unserved version, naming the place", () => {
    const unknown = failure(linkYaml("v1alpha2", "  gatewayPorts: x"));
    expect([unknown.line, unknown.path]).toEqual([21, "spec.gatewayPorts"]);
    const port = failure(linkYaml("v1alpha2").replace('gatewayPort: "4143"', "gatewayPort: 4143"));
    expect([port.line, port.path]).toEqual([10, "spec.gatewayPort"]);
    expect(failure(linkYaml("v1alpha2").replace('port: "4191"', 'port: "99999"')).path).toBe("spec.probeSpec.port");
    expect(failure(linkYaml("v1")).path).toBe("apiVersion");
    expect(failure(linkYaml("v1alpha2").replace("period: 3s", "period: 3")).path).toBe("spec.probeSpec.period");
  });
});
