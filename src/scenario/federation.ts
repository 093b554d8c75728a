/**
 * `spec.patterns.dnsFederation`, written out as operators write it: each member gets a
 * LoadBalancer Service in front of its CoreDNS pods, on an address the other clusters reach, and a
 * Corefile that answers for its own federation zones and forwards each other member's zones to
 * that member's address (dns.md §4.2). A member whose `dns.corefile` is given keeps it: that is
 * the per-cluster override, and it is the user's to forward as they like.
 */
import { federationCorefile, federationZone, type FederatedCluster } from "../dns/federation.js";
import { DEFAULT_CLUSTER_DOMAIN } from "../k8s/cluster.js";
import type { Service } from "../k8s/objects.js";
import { formatDuration } from "../sim/time.js";
import type { ClusterEntry, DnsFederationSpec, ManifestEntry, ScenarioSpec } from "./spec.js";

/** The source of the objects a pattern adds, as manifests name their file. */
export const PATTERN_SOURCE = "spec.patterns.dnsFederation";

/** The name of the Service that exposes a member's DNS to the others. */
export const FEDERATION_SERVICE = "kube-dns-federation";

/** Where the members' DNS addresses are taken from: the top of the external range, far from what the cloud hands out first. */
const FIRST_ADDRESS = 200;
/** The most members there are addresses for (203.0.113.200 to .249). */
export const MAX_FEDERATION_MEMBERS = 50;

/** The members of a federation with their zones and the addresses their DNS is exposed on. */
export function federationMembers(spec: ScenarioSpec, federation: DnsFederationSpec): FederatedCluster[] {
  const names = federation.clusters.length > 0 ? federation.clusters : spec.clusters.map((c) => c.name);
  return names.map((name, i) => {
    const cluster = spec.clusters.find((c) => c.name === name)!;
    return {
      name,
      domain: cluster.domain ?? DEFAULT_CLUSTER_DOMAIN,
      dnsAddress: `203.0.113.${FIRST_ADDRESS + i}`,
      zones: federation.zones.map((z) => federationZone(z, name)),
    };
  });
}

/** The spec with its DNS federation written out into Corefiles and Services; the spec itself when it has none. */
export function applyDnsFederation(spec: ScenarioSpec): ScenarioSpec {
  const federation = spec.patterns.dnsFederation;
  if (!federation) return spec;
  const members = federationMembers(spec, federation);
  const plan = {
    answer: federation.answer,
    cache: federation.cache,
    ...(federation.serveStale === undefined ? {} : { serveStale: formatDuration(federation.serveStale) }),
    forward: {
      ...(federation.forward.maxFails === undefined ? {} : { maxFails: federation.forward.maxFails }),
      ...(federation.forward.healthCheck === undefined ? {} : { healthCheck: formatDuration(federation.forward.healthCheck) }),
      ...(federation.forward.expire === undefined ? {} : { expire: formatDuration(federation.forward.expire) }),
      ...(federation.forward.forceTcp ? { forceTcp: true } : {}),
    },
  };
  const clusters = spec.clusters.map((c): ClusterEntry => {
    const self = members.find((m) => m.name === c.name);
    if (!self || c.dns.corefile !== undefined) return c;
    return { ...c, dns: { ...c.dns, corefile: federationCorefile(self, members, plan) } };
  });
  const services: ManifestEntry[] = members.map((m) => ({ clusters: [m.name], objects: [exposure(m.dnsAddress)], source: PATTERN_SOURCE }));
  return { ...spec, clusters, manifests: [...services, ...spec.manifests] };
}

/** kube-dns on a LoadBalancer address, UDP and TCP, as clouds expose a cluster's DNS to others. */
function exposure(ip: string): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: FEDERATION_SERVICE, namespace: "kube-system" },
    spec: {
      type: "LoadBalancer",
      selector: { "k8s-app": "kube-dns" },
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
      ],
    },
    // Pinned, as an operator pins it before writing the other clusters' Corefiles.
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}
