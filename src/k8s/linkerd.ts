/**
 * Linkerd's multicluster kind as the API server stores it: the `Link` that `linkerd multicluster
 * link` writes into the source cluster's `linkerd-multicluster` namespace (mesh.md §5.1), naming
 * the target cluster, its gateway and how to probe it, and which of its Services to mirror. The
 * CRD keeps ports, the failure threshold and durations as strings, as the controller parses them;
 * so do we, so that `kubectl get -o yaml` shows them as written.
 */
import type { LabelSelector, ObjectMeta } from "./objects.js";

/** The group and version TrafficSplits are stored at (SMI's, as linkerd-smi serves it). */
export const TRAFFIC_SPLIT_VERSION = "split.smi-spec.io/v1alpha2";

/** The group and version Links are read back at (the CRD's newest served version). */
export const LINK_VERSION = "multicluster.linkerd.io/v1alpha3";

/** How the service mirror probes the target's gateway (mesh.md §5.3). */
export interface LinkProbeSpec {
  /** Failures in a row before the gateway counts as dead; the CRD defaults it to `"3"`. */
  failureThreshold?: string;
  /** The probe's path (`/ready`). */
  path?: string;
  /** Between probes (`3s`), before jitter. */
  period?: string;
  /** The probe's port (`"4191"`). */
  port?: string;
  /** How long one probe may take; the CRD defaults it to `30s`. */
  timeout?: string;
}

/**
 * Linkerd's `Link` (mesh.md §5.1–§5.3). Served at v1alpha1, v1alpha2 (adds
 * `remoteDiscoverySelector`) and v1alpha3 (adds `federatedServiceSelector`); read back at v1alpha3.
 */
export interface Link {
  apiVersion: typeof LINK_VERSION;
  kind: "Link";
  metadata: ObjectMeta;
  spec: {
    /** The Secret (in the Link's namespace) holding a kubeconfig for the target's API server. */
    clusterCredentialsSecret?: string;
    /** The target gateway's address: an IP, or a name resolved by DNS. */
    gatewayAddress?: string;
    /** The identity the gateway presents (`linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local`). */
    gatewayIdentity?: string;
    /** The gateway's port (`"4143"`). */
    gatewayPort?: string;
    probeSpec?: LinkProbeSpec;
    /** Services mirrored in gateway mode (`mirror.linkerd.io/exported: "true"`). */
    selector?: LabelSelector;
    /** Services mirrored in flat, pod-to-pod mode (`mirror.linkerd.io/exported: remote-discovery`). */
    remoteDiscoverySelector?: LabelSelector;
    /** Services that join a federated service (`mirror.linkerd.io/federated: member`). */
    federatedServiceSelector?: LabelSelector;
    targetClusterDomain?: string;
    targetClusterLinkerdNamespace?: string;
    /** The target cluster's name, which mirrors are named after; the Link's own name when absent. */
    targetClusterName?: string;
  };
}

/** One backend of a {@link TrafficSplit}. */
export interface TrafficSplitBackend {
  /** A Service in the split's namespace (a mirror, `web-east`, included). */
  service: string;
  /** Its share, relative to the others'; 0 sends it nothing. */
  weight: number;
}

/**
 * SMI's `TrafficSplit` (split.smi-spec.io/v1alpha2, as linkerd-smi serves it): requests to
 * `service` (the apex) are shared among the backends by weight. linkerd-failover manages the
 * weights of the splits labelled for it (mesh.md §5.4).
 */
export interface TrafficSplit {
  apiVersion: typeof TRAFFIC_SPLIT_VERSION;
  kind: "TrafficSplit";
  metadata: ObjectMeta;
  spec: {
    service: string;
    backends: TrafficSplitBackend[];
  };
}
