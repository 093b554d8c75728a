import type { ApiServer } from "../k8s/apiserver.js";
import { matchesLabels } from "../k8s/labels.js";
import type { Pod } from "../k8s/objects.js";

/** Pods picked by namespace, and by name (`pod`) and labels when given: what streams and faults name. */
export interface PodPick {
  readonly namespace: string;
  readonly pod?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Pods a stream created: `pod` alone, or `pod-0`, `pod-1`, … */
  readonly create?: { readonly replicas: number };
}

/** The names of the pods a stream creates for itself. */
export function createdNames(pick: PodPick): string[] {
  const replicas = pick.create?.replicas ?? 0;
  return replicas === 1 ? [pick.pod!] : Array.from({ length: replicas }, (_, i) => `${pick.pod}-${i}`);
}

/** The pods that exist now and match, by name. */
export function pickPods(api: ApiServer, pick: PodPick): Readonly<Pod>[] {
  const names = pick.create ? new Set(createdNames(pick)) : pick.pod === undefined ? undefined : new Set([pick.pod]);
  return api
    .list("Pod", pick.namespace)
    .filter((p) => (!names || names.has(p.metadata.name)) && (!pick.labels || matchesLabels(p.metadata.labels, pick.labels)))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}
