/**
 * linkerd-failover (mesh.md §5.4; linkerd/linkerd-failover controller/src/lib.rs,
 * traffic_split.rs): it watches the TrafficSplits labelled `failover.linkerd.io/controlled-by:
 * linkerd-failover` and the endpoints of their backends, and sets the weights: the primary
 * (annotation `failover.linkerd.io/primary-service`) 1 and the rest 0 while the primary has a
 * ready address; otherwise 1 for every ready secondary (load spread over the fallbacks) and 0 for
 * the rest, all 0 when nothing is ready. A split is patched only when a weight changes.
 */
import type { ApiServer } from "../../k8s/apiserver.js";
import type { TrafficSplit, TrafficSplitBackend } from "../../k8s/linkerd.js";
import type { Sim } from "../../sim/sim.js";
import { Destinations } from "./destinations.js";

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** linkerd-failover patched a split (summary level), with the event it records. */
    "linkerd.failover": { split: string; weights: string; message: string };
  }
}

/** The label that hands a split to linkerd-failover. */
export const CONTROLLED_BY_LABEL = "failover.linkerd.io/controlled-by";
/** The annotation naming the primary backend. */
export const PRIMARY_ANNOTATION = "failover.linkerd.io/primary-service";

/** The weights linkerd-failover wants for a split's backends, given which Services are ready. */
export function failoverWeights(split: Readonly<TrafficSplit>, ready: (service: string) => boolean): TrafficSplitBackend[] {
  const primary = split.metadata.annotations?.[PRIMARY_ANNOTATION];
  const primaryReady = primary !== undefined && ready(primary);
  return split.spec.backends.map((b) => ({ ...b, weight: primaryReady ? (b.service === primary ? 1 : 0) : b.service !== primary && ready(b.service) ? 1 : 0 }));
}

/** The controller in one cluster. */
export class FailoverController {
  /** Patches made, for tests. */
  patches = 0;
  private readonly view = new Destinations();
  private readonly splits = new Map<string, Readonly<TrafficSplit>>();

  constructor(
    private readonly sim: Sim,
    private readonly api: ApiServer,
  ) {
    api.watch("Service", "linkerd-failover/services", (e) => {
      this.view.service(e.type, e.object);
      this.reconcileAll();
    });
    api.watch("EndpointSlice", "linkerd-failover/endpointslices", (e) => {
      this.view.slice(e.type, e.object);
      this.reconcileAll();
    });
    api.watch(
      "TrafficSplit",
      "linkerd-failover/trafficsplits",
      (e) => {
        const ref = `${e.object.metadata.namespace ?? "default"}/${e.object.metadata.name}`;
        if (e.type === "DELETED") this.splits.delete(ref);
        else {
          this.splits.set(ref, e.object);
          this.reconcile(ref);
        }
      },
      { selects: (s) => s.metadata.labels?.[CONTROLLED_BY_LABEL] === "linkerd-failover" },
    );
  }

  private reconcileAll(): void {
    for (const ref of this.splits.keys()) this.reconcile(ref);
  }

  private reconcile(ref: string): void {
    const seen = this.splits.get(ref)!;
    const namespace = seen.metadata.namespace ?? "default";
    // The split as stored now: a patch is made against the current object, as a server-side apply is.
    const current = this.api.get("TrafficSplit", namespace, seen.metadata.name);
    if (!current) return;
    const weights = failoverWeights(current, (service) => this.view.hasReady(namespace, service));
    if (weights.every((b, i) => b.weight === current.spec.backends[i]!.weight)) return;
    this.api.update({ ...current, spec: { ...current.spec, backends: weights } });
    this.patches++;
    const primary = current.metadata.annotations?.[PRIMARY_ANNOTATION];
    const toPrimary = weights.some((b) => b.service === primary && b.weight > 0);
    if (this.sim.trace.summary) {
      this.sim.trace.record("linkerd.failover", {
        split: ref,
        weights: weights.map((b) => `${b.service}:${b.weight}`).join(","),
        message: `trafficsplit/${current.metadata.name} ${toPrimary ? "switching traffic to primary" : "failing over to fallbacks"}`,
      });
    }
  }
}
