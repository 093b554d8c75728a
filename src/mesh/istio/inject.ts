/**
 * Istio's sidecar injection rule (mesh.md §1.1): which pods get a sidecar. The mesh starts
 * sidecars by it, and istiod's registry reads it to know which endpoints can do mTLS (§3.5).
 */
import type { Pod } from "../../k8s/objects.js";

/** The namespace label that turns injection on (mesh.md §1.1; Istio's sidecar injector). */
export const INJECTION_LABEL = "istio-injection";
/** The pod annotation (or label) that turns injection on or off for one pod. */
export const INJECT_ANNOTATION = "sidecar.istio.io/inject";

/** Whether a pod gets a sidecar: its annotation or label if it has one, else its namespace's label. */
export function injected(pod: Readonly<Pod>, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const own = pod.metadata.annotations?.[INJECT_ANNOTATION] ?? pod.metadata.labels?.[INJECT_ANNOTATION];
  if (own !== undefined) return own === "true";
  return namespaceLabels?.[INJECTION_LABEL] === "enabled";
}
