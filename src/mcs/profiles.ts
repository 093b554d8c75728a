/**
 * Implementation profiles (mcs.md §5, §6): one controller, parameterised. A profile is timings
 * plus a few behaviour switches where an implementation departs from the KEP, never a second copy
 * of the controller.
 */
import type { Distribution } from "../sim/distribution.js";
import type { Micros } from "../sim/time.js";
import type { PortMerge } from "./aggregate.js";

/** The profiles mcsim models. */
export const PROFILE_NAMES = ["kep", "lighthouse", "gke"] as const;
/** One of {@link PROFILE_NAMES}. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Where the clusterset's shared state lives. */
export type HubPlacement =
  /** A control plane outside every cluster (the KEP's "central" controller, GKE's hub). */
  | "external"
  /** Inside the first member (Submariner's broker cluster). */
  | "broker";

/** What a profile decides. */
export interface McsProfile {
  readonly name: ProfileName;
  readonly hub: HubPlacement;
  /** How often each cluster's agent syncs with the hub; it is also the lease renewal. */
  readonly syncPeriod: Micros;
  /** A source cluster whose agent has not synced for this long loses its endpoints (KEP "Endpoint TTL"). */
  readonly leaseDuration: Micros;
  /**
   * Extra time before a name's first import is published (GKE: "up to 5 minutes to propagate
   * endpoints when initially exporting", mcs.md §6); later changes are not delayed.
   */
  readonly initialPropagation: Distribution;
  /** Each ServiceImport gets a clusterset IP (Lighthouse: only with `lighthouse.submariner.io/use-clusterset-ip`). */
  readonly clustersetIp: boolean;
  readonly portMerge: PortMerge;
  /** Lighthouse: a type conflict leaves the later cluster unexported. */
  readonly rejectTypeConflicts: boolean;
  /** Lighthouse exports ClusterIP Services only; the KEP maps NodePort and LoadBalancer to ClusterSetIP. */
  readonly exportableTypes: readonly string[];
  /** Lighthouse's ClusterSetIP slices hold the exporter's ClusterIP, not its pods (mcs.md §5.2). */
  readonly slicesHoldClusterIp: boolean;
  /** The condition reasons the implementation writes. */
  readonly reasons: {
    readonly valid: string;
    readonly noService: string;
    readonly invalidType: string;
    readonly pending: string;
    readonly exported: string;
  };
  /** `endpointslice.kubernetes.io/managed-by` of imported slices. */
  readonly managedBy: string;
  /**
   * The winning export's `exportedLabels` and `exportedAnnotations` go on the ServiceImport (mcs.md
   * §1.2, §1.4: optional for an implementation). Lighthouse's snapshot serves ServiceExport at
   * v1alpha1, which has no such fields.
   */
  readonly exportedMetadata: boolean;
  /**
   * Who answers `clusterset.local`: the cluster's own CoreDNS with the multicluster plugin (the
   * KEP's reference implementation, mcs.md §4), or Lighthouse's DNS server, which each member runs
   * beside its cluster DNS and the cluster DNS forwards the zone to (mcs.md §5.1).
   */
  readonly dns: "multicluster" | "lighthouse";
}

/** The condition reasons mcs-api defines (mcs.md §1.2). */
const MCS_API_REASONS: McsProfile["reasons"] = { valid: "Valid", noService: "NoService", invalidType: "InvalidServiceType", pending: "Pending", exported: "Exported" };

const NONE: Distribution = { kind: "constant", value: 0 };

// Fits inside the conformance suite's 20 s windows (mcs.md §3.1).
const KEP: McsProfile = {
  name: "kep",
  hub: "external",
  syncPeriod: 1_000_000,
  leaseDuration: 10_000_000,
  initialPropagation: NONE,
  clustersetIp: true,
  portMerge: "union",
  rejectTypeConflicts: false,
  exportableTypes: ["ClusterIP", "NodePort", "LoadBalancer"],
  slicesHoldClusterIp: false,
  reasons: MCS_API_REASONS,
  managedBy: "mcs-controller.multicluster.x-k8s.io",
  exportedMetadata: true,
  dns: "multicluster",
};

/** The profiles, by name. */
export const PROFILES: Readonly<Record<ProfileName, McsProfile>> = {
  kep: KEP,
  lighthouse: {
    ...KEP,
    name: "lighthouse",
    hub: "broker",
    clustersetIp: false,
    portMerge: "intersection",
    rejectTypeConflicts: true,
    exportableTypes: ["ClusterIP"],
    slicesHoldClusterIp: true,
    reasons: { valid: "", noService: "ServiceUnavailable", invalidType: "UnsupportedServiceType", pending: "AwaitingExport", exported: "" },
    managedBy: "lighthouse-agent.submariner.io",
    exportedMetadata: false,
    dns: "lighthouse",
  },
  // The hub is the same KEP controller, slower: GKE's first export takes minutes (mcs.md §6).
  gke: {
    ...KEP,
    name: "gke",
    syncPeriod: 5_000_000,
    leaseDuration: 60_000_000,
    initialPropagation: { kind: "uniform", min: 60_000_000, max: 300_000_000 },
    managedBy: "gke-mcs-importer",
  },
};
