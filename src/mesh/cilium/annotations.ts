/**
 * Cilium ClusterMesh global services (mesh.md §6): the Service annotations that make a Service
 * global, share its backends or not, and say which cluster's backends a client prefers, and the
 * choice of backends they lead to.
 */
import type { Service } from "../../k8s/objects.js";

/** `"true"`: the Service is global, load-balanced over its backends in every cluster (mesh.md §6). */
export const GLOBAL_ANNOTATION = "service.cilium.io/global";
/** `"false"`: this cluster's backends are not exported; it still uses remote ones (default `"true"`). */
export const SHARED_ANNOTATION = "service.cilium.io/shared";
/** `local`, `remote` or `none` (the default): which cluster's backends are preferred. */
export const AFFINITY_ANNOTATION = "service.cilium.io/affinity";

/** The preference `service.cilium.io/affinity` sets. */
export type Affinity = "local" | "remote" | "none";

/** What a Service's annotations say about it as a global service. */
export interface GlobalService {
  readonly global: boolean;
  /** Whether its backends in this cluster are exported to the others (meaningful when global). */
  readonly shared: boolean;
  readonly affinity: Affinity;
}

/**
 * A Service's global-service settings. As Cilium reads them: global only for `"true"`; shared
 * unless `"false"`; an affinity other than `local` or `remote` is none.
 */
export function globalServiceOf(svc: Readonly<Service>): GlobalService {
  const a = svc.metadata.annotations ?? {};
  const affinity = a[AFFINITY_ANNOTATION];
  return {
    global: a[GLOBAL_ANNOTATION] === "true",
    shared: a[SHARED_ANNOTATION] !== "false",
    affinity: affinity === "local" || affinity === "remote" ? affinity : "none",
  };
}

/**
 * Whether a cluster whose Service is `local` takes the backends of a remote cluster whose Service
 * of the same name and namespace is `remote` (mesh.md §6's shared truth table): only when both are
 * global and the remote one is shared. A cluster always uses its own backends.
 */
export function usesRemote(local: GlobalService, remote: GlobalService): boolean {
  return local.global && remote.global && remote.shared;
}

/**
 * The backends a client balances over, by affinity (mesh.md §6; Cilium's `SelectBackends`):
 * `local` the healthy local ones while there is any, else the remote ones; `remote` the reverse;
 * `none` all of them. Only healthy (ready) backends are passed in.
 */
export function selectBackends<T>(affinity: Affinity, local: readonly T[], remote: readonly T[]): readonly T[] {
  switch (affinity) {
    case "local":
      return local.length > 0 ? local : remote;
    case "remote":
      return remote.length > 0 ? remote : local;
    case "none":
      return remote.length === 0 ? local : local.length === 0 ? remote : [...local, ...remote];
  }
}
