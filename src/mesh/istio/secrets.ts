/**
 * istiod's secret controller (mesh.md §1.2; Istio's `pkg/kube/multicluster/secretcontroller.go`):
 * it watches the Secrets in `istio-system` of istiod's own cluster labelled
 * `istio/multiCluster: "true"`. Each data key of such a Secret is a cluster ID and its value a
 * kubeconfig, whose server names that cluster's API server; a key that appears makes istiod watch
 * the cluster ({@link Istiod.addRemoteCluster}), one that goes (or the whole Secret) stops it
 * ({@link Istiod.removeRemoteCluster}: endpoints removed, a forced full push).
 */
import type { ApiServer } from "../../k8s/apiserver.js";
import type { Secret } from "../../k8s/objects.js";
import type { Address } from "../../sim/actor.js";
import type { Istiod } from "./istiod.js";
import { kubeconfigFor, kubeconfigServer } from "../kubeconfig.js";

export { kubeconfigServer };

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** A remote secret's key istiod could not use (summary level), as istiod logs it. */
    "istio.secret": { istiod: string; secret: string; cluster: string; error: string };
  }
}

/** The label that selects remote secrets (Istio's `MultiClusterSecretLabel`). */
export const MULTICLUSTER_SECRET_LABEL = "istio/multiCluster";
/** The annotation `istioctl create-remote-secret` names the cluster with. */
export const CLUSTER_ANNOTATION = "networking.istio.io/cluster";

/** Where the clusters a remote secret names are, on the simulated network. */
export interface RemoteDirectory {
  /**
   * The address of the API server a kubeconfig's `server` URL names; undefined when it names
   * none (istiod then never syncs the cluster, which times out as an unreachable one does).
   */
  server(url: URL): Address | undefined;
  /** The Istio network of a cluster's endpoints (its `topology.istio.io/network`). */
  network(cluster: string): string;
}

/**
 * The Secret `istioctl create-remote-secret --name CLUSTER` writes (mesh.md §1.2): in
 * `istio-system`, labelled and annotated, with a kubeconfig under the cluster's name whose
 * server is `server` and whose user has a bearer token.
 */
export function remoteSecret(cluster: string, server: string, namespace: string): Secret {
  const kubeconfig = kubeconfigFor(cluster, server, "istio-reader-service-account");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `istio-remote-secret-${cluster}`,
      namespace,
      labels: { [MULTICLUSTER_SECRET_LABEL]: "true" },
      annotations: { [CLUSTER_ANNOTATION]: cluster },
    },
    stringData: { [cluster]: kubeconfig },
  };
}

/**
 * Starts istiod's secret controller over its own cluster's API server; returns what stops it.
 * A key naming istiod's own cluster, or a cluster another secret already brought, is ignored,
 * as Istio does; a changed kubeconfig replaces the cluster's watch.
 */
export function watchRemoteSecrets(istiod: Istiod, api: ApiServer, namespace: string, directory: RemoteDirectory): () => void {
  /** Per secret (`namespace/name`), the clusters it brought and their kubeconfigs. */
  const bySecret = new Map<string, Map<string, string>>();
  const owner = new Map<string, string>();
  const sim = istiod.sim;
  const remove = (cluster: string) => {
    owner.delete(cluster);
    istiod.removeRemoteCluster(cluster);
  };
  const add = (ref: string, cluster: string, kubeconfig: string): boolean => {
    let server: URL;
    try {
      server = kubeconfigServer(kubeconfig);
    } catch (e) {
      if (sim.trace.summary) sim.trace.record("istio.secret", { istiod: istiod.label, secret: ref, cluster, error: (e as Error).message });
      return false;
    }
    owner.set(cluster, ref);
    istiod.addRemoteCluster({ cluster, secretName: ref, server: directory.server(server), network: directory.network(cluster) });
    return true;
  };
  return api.watch(
    "Secret",
    `istiod/${istiod.options.cluster}/secrets`,
    (e) => {
      const ref = `${namespace}/${e.object.metadata.name}`;
      const had = bySecret.get(ref) ?? new Map<string, string>();
      const now = new Map<string, string>();
      if (e.type !== "DELETED") {
        for (const [cluster, data] of Object.entries(e.object.data ?? {})) now.set(cluster, Buffer.from(data, "base64").toString("utf8"));
      }
      for (const [cluster] of had) if (!now.has(cluster) || now.get(cluster) !== had.get(cluster)) remove(cluster);
      const kept = new Map<string, string>();
      for (const [cluster, kubeconfig] of now) {
        if (had.get(cluster) === kubeconfig) kept.set(cluster, kubeconfig);
        else if (cluster !== istiod.options.cluster && !owner.has(cluster) && add(ref, cluster, kubeconfig)) kept.set(cluster, kubeconfig);
      }
      if (kept.size > 0) bySecret.set(ref, kept);
      else bySecret.delete(ref);
    },
    { selects: (s) => s.metadata.namespace === namespace && s.metadata.labels?.[MULTICLUSTER_SECRET_LABEL] === "true" },
  );
}
