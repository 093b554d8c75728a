/** `spec.patterns.cilium` as the ClusterMesh takes it (mesh.md §6). */
import type { ClusterMeshMember, ClusterMeshOptions } from "../mesh/cilium/clustermesh.js";
import type { CiliumSpec, ScenarioSpec } from "./spec.js";

/** The members with their cluster IDs: as listed (every cluster when none is), an ID left out being its place from 1. */
export function ciliumMembers(spec: ScenarioSpec, cilium: CiliumSpec): ClusterMeshMember[] {
  const listed: CiliumSpec["clusters"] = cilium.clusters.length > 0 ? cilium.clusters : spec.clusters.map((c) => ({ name: c.name }));
  return listed.map((m, i) => ({ name: m.name, id: m.id ?? i + 1 }));
}

/** The mesh's options. */
export function ciliumOptions(spec: ScenarioSpec, cilium: CiliumSpec): ClusterMeshOptions {
  return {
    clusters: ciliumMembers(spec, cilium),
    ...(cilium.cacheTTL !== undefined ? { cacheTtl: cilium.cacheTTL } : {}),
    ...(cilium.syncDelay ? { syncDelay: cilium.syncDelay } : {}),
    ...(cilium.keepaliveInterval !== undefined ? { keepaliveInterval: cilium.keepaliveInterval } : {}),
    ...(cilium.keepaliveTimeout !== undefined ? { keepaliveTimeout: cilium.keepaliveTimeout } : {}),
  };
}
