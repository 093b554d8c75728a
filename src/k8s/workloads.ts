import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import { cloneData, type ApiServer } from "./apiserver.js";
import { randomSuffix, stableHash } from "./names.js";
import type { Deployment, Pod, PodTemplateSpec, StatefulSet } from "./objects.js";

/** The label a Deployment's pods carry, naming the template they were made from. */
export const POD_TEMPLATE_HASH = "pod-template-hash";
/** The label a StatefulSet's pods carry with their own name (used by per-pod Services). */
export const STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name";

const ready = (pod: Readonly<Pod>) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

type Workload = Deployment | StatefulSet;

/**
 * Deployments and StatefulSets, expanded to pods (a lightweight controller, as the issue asks):
 * a Deployment keeps `replicas` pods named `<name>-<template hash>-<suffix>` and replaces its pods
 * when the template changes; a StatefulSet keeps pods `<name>-0`, `<name>-1`, ... with stable
 * hostnames and the Service's name as subdomain, created one at a time, each once the one before
 * is Ready (OrderedReady). A killed pod is replaced. Deleting the workload deletes its pods.
 */
export class WorkloadController {
  private readonly rng: Rng;
  private readonly pending = new Set<string>();
  private readonly hashes = new WeakMap<Readonly<Deployment>, string>();

  constructor(
    private readonly sim: Sim,
    private readonly api: ApiServer,
  ) {
    this.rng = sim.rng.stream(`workload-controller/${api.cluster}`);
    api.watch("Deployment", "workload-controller", (e) => this.queue("Deployment", e.object.metadata.namespace ?? "default", e.object.metadata.name));
    api.watch("StatefulSet", "workload-controller", (e) => this.queue("StatefulSet", e.object.metadata.namespace ?? "default", e.object.metadata.name));
    api.watch("Pod", "workload-controller", (e) => {
      const owner = e.object.metadata.ownerReferences?.find((o) => o.controller);
      if (owner && (owner.kind === "Deployment" || owner.kind === "StatefulSet")) {
        this.queue(owner.kind, e.object.metadata.namespace ?? "default", owner.name);
      }
    });
  }

  private queue(kind: Workload["kind"], namespace: string, name: string): void {
    const id = `${kind}/${namespace}/${name}`;
    if (this.pending.has(id)) return;
    this.pending.add(id);
    this.sim.after(0, () => {
      this.pending.delete(id);
      this.reconcile(kind, namespace, name);
    });
  }

  private reconcile(kind: Workload["kind"], namespace: string, name: string): void {
    const workload = this.api.get(kind, namespace, name) as Readonly<Workload> | undefined;
    const named = this.api.listByOwner("Pod", namespace, kind, name);
    // Pods whose owner is gone (deleted, or deleted and made again under the same name, so with
    // another uid) are garbage: delete them, as the garbage collector does.
    const owned = named.filter((p) => workload && p.metadata.ownerReferences?.find((o) => o.controller)?.uid === workload.metadata.uid);
    for (const p of named) if (!owned.includes(p)) this.api.delete("Pod", namespace, p.metadata.name);
    if (!workload) return;
    if (workload.kind === "Deployment") this.reconcileDeployment(workload, owned);
    else this.reconcileStatefulSet(workload, owned);
  }

  private reconcileDeployment(d: Readonly<Deployment>, owned: readonly Readonly<Pod>[]): void {
    const hash = this.templateHash(d);
    const ns = d.metadata.namespace ?? "default";
    const current = owned.filter((p) => p.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
    for (const p of owned) if (!current.includes(p)) this.api.delete("Pod", ns, p.metadata.name);
    const replicas = d.spec.replicas ?? 1;
    // Scale down newest first, as the ReplicaSet controller prefers.
    if (current.length > replicas) {
      const byAge = [...current].sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
      for (const p of byAge.slice(replicas).reverse()) this.api.delete("Pod", ns, p.metadata.name);
    }
    for (let i = current.length; i < replicas; i++) {
      this.api.create(this.podFrom(d, d.spec.template, `${d.metadata.name}-${hash}-${randomSuffix(this.rng)}`, { [POD_TEMPLATE_HASH]: hash }));
    }
  }

  /**
   * The pod-template-hash of a Deployment as stored: worked out once per stored version (a
   * Deployment is reconciled on every change of each of its pods, and stored objects never change).
   */
  private templateHash(d: Readonly<Deployment>): string {
    let hash = this.hashes.get(d);
    if (hash === undefined) {
      hash = stableHash(JSON.stringify(d.spec.template));
      this.hashes.set(d, hash);
    }
    return hash;
  }

  private reconcileStatefulSet(s: Readonly<StatefulSet>, owned: readonly Readonly<Pod>[]): void {
    const ns = s.metadata.namespace ?? "default";
    const replicas = s.spec.replicas ?? 1;
    const byName = new Map(owned.map((p) => [p.metadata.name, p]));
    for (const p of owned) {
      const ordinal = Number(p.metadata.name.slice(s.metadata.name.length + 1));
      if (!(ordinal < replicas)) this.api.delete("Pod", ns, p.metadata.name);
    }
    for (let i = 0; i < replicas; i++) {
      const name = `${s.metadata.name}-${i}`;
      const pod = byName.get(name);
      if (!pod) {
        const created = this.podFrom(s, s.spec.template, name, { [STATEFULSET_POD_NAME]: name });
        created.spec = { ...created.spec, hostname: name, subdomain: s.spec.serviceName };
        this.api.create(created);
        return;
      }
      if (!ready(pod)) return;
    }
  }

  private podFrom(owner: Readonly<Workload>, template: PodTemplateSpec, name: string, extraLabels: Record<string, string>): Pod {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: owner.metadata.namespace ?? "default",
        labels: { ...(template.metadata?.labels ?? {}), ...extraLabels },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: "apps/v1", kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? "", controller: true }],
      },
      spec: cloneData(template.spec),
    };
  }
}
