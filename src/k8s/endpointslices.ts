import type { Topology } from "../net/topology.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { ApiServer, WatchEvent } from "./apiserver.js";
import { matchesLabels } from "./labels.js";
import { randomSuffix } from "./names.js";
import type { Endpoint, EndpointPort, EndpointSlice, Pod, Service } from "./objects.js";

/** The label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** The label that says which controller manages a slice. */
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
/** The controller's name in {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY = "endpointslice-controller.k8s.io";
/** The most endpoints one slice holds (the controller's default `--max-endpoints-per-slice`). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

const isReady = (pod: Readonly<Pod>) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * The EndpointSlice controller: for every Service with a selector it keeps slices listing the
 * selected pods that have an address, with the fields real slices carry (addresses,
 * `conditions.ready`, `hostname` for pods whose subdomain names the Service, `nodeName`, `zone`,
 * `targetRef`) and the Service's ports resolved to the pods' container ports. It sees changes
 * through watches, so slices lag the pods and Services by the watch delays. Services without a
 * selector are left alone: their slices are written by hand.
 */
export class EndpointSliceController {
  private readonly rng: Rng;
  private readonly pending = new Set<string>();

  constructor(
    private readonly sim: Sim,
    private readonly api: ApiServer,
    private readonly topology: Topology,
  ) {
    this.rng = sim.rng.stream(`endpointslice-controller/${api.cluster}`);
    api.watch("Service", "endpointslice-controller", (e) => this.onService(e));
    api.watch("Pod", "endpointslice-controller", (e) => this.onPod(e));
  }

  private onService(event: WatchEvent<"Service">): void {
    const svc = event.object;
    this.queue(svc.metadata.namespace ?? "default", svc.metadata.name);
  }

  private onPod(event: WatchEvent<"Pod">): void {
    const ns = event.object.metadata.namespace ?? "default";
    for (const svc of this.api.list("Service", ns)) {
      if (svc.spec.selector) this.queue(ns, svc.metadata.name);
    }
  }

  /** Reconciles a Service once at the end of this instant, however many events touched it. */
  private queue(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    if (this.pending.has(id)) return;
    this.pending.add(id);
    this.sim.after(0, () => {
      this.pending.delete(id);
      this.reconcile(namespace, name);
    });
  }

  private reconcile(namespace: string, name: string): void {
    const svc = this.api.get("Service", namespace, name);
    const owned = this.api
      .list("EndpointSlice", namespace)
      .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    if (!svc || !svc.spec.selector || (svc.spec.type ?? "ClusterIP") === "ExternalName") {
      for (const s of owned) this.api.delete("EndpointSlice", namespace, s.metadata.name);
      return;
    }
    const desired = this.desiredSlices(svc);
    // A slice's addressType never changes: reuse existing slices only for slices of their family.
    for (const family of ["IPv4", "IPv6"] as const) {
      const have = owned.filter((s) => s.addressType === family);
      const want = desired.filter((s) => s.addressType === family);
      have.forEach((current, i) => {
        const slice = want[i];
        if (!slice) this.api.delete("EndpointSlice", namespace, current.metadata.name);
        else this.api.update({ ...slice, metadata: { ...slice.metadata, name: current.metadata.name } });
      });
      for (const slice of want.slice(have.length)) {
        this.api.create({ ...slice, metadata: { ...slice.metadata, name: `${name}-${randomSuffix(this.rng)}` } });
      }
    }
  }

  /** The slices a Service should have, each at most {@link MAX_ENDPOINTS_PER_SLICE} endpoints, per address family. */
  private desiredSlices(svc: Readonly<Service>): EndpointSlice[] {
    const ns = svc.metadata.namespace ?? "default";
    const pods = this.api
      .list("Pod", ns)
      .filter((p) => matchesLabels(p.metadata.labels, svc.spec.selector!) && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const slices: EndpointSlice[] = [];
    for (const family of svc.spec.ipFamilies ?? ["IPv4"]) {
      const endpoints: Endpoint[] = [];
      for (const pod of pods) {
        const ip = (pod.status?.podIPs ?? []).map((p) => p.ip).find((a) => (family === "IPv6") === a.includes(":"));
        if (!ip) continue;
        endpoints.push(this.endpointOf(svc, pod, ip));
      }
      const ports = this.portsOf(svc, pods);
      for (let i = 0; i === 0 || i < endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        slices.push({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: "",
            namespace: ns,
            labels: { [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY },
            ownerReferences: [{ apiVersion: "v1", kind: "Service", name: svc.metadata.name, uid: svc.metadata.uid ?? "", controller: true }],
          },
          addressType: family,
          endpoints: endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
          ports,
        });
      }
    }
    return slices;
  }

  private endpointOf(svc: Readonly<Service>, pod: Readonly<Pod>, ip: string): Endpoint {
    // As the real controller: serving is the pod's readiness; ready is also set for every pod when
    // the Service publishes not-ready addresses.
    const serving = isReady(pod);
    const ready = serving || svc.spec.publishNotReadyAddresses === true;
    const endpoint: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating: false } };
    // The endpoint's hostname is the pod's, when the pod names this Service as its subdomain.
    if (pod.spec.hostname && pod.spec.subdomain === svc.metadata.name) endpoint.hostname = pod.spec.hostname;
    const nodeName = pod.spec.nodeName;
    if (nodeName) {
      endpoint.nodeName = nodeName;
      const node = this.topology.nodes.get(nodeName);
      if (node) endpoint.zone = node.zone;
    }
    endpoint.targetRef = { kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", uid: pod.metadata.uid ?? "" };
    return endpoint;
  }

  /** The Service's ports with each targetPort resolved: a number as is, a name through the first selected pod that has it. */
  private portsOf(svc: Readonly<Service>, pods: readonly Readonly<Pod>[]): EndpointPort[] {
    const out: EndpointPort[] = [];
    for (const port of svc.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      let number: number | undefined;
      if (typeof target === "number") number = target;
      else {
        for (const pod of pods) {
          for (const c of pod.spec.containers) {
            const found = c.ports?.find((p) => p.name === target);
            if (found) number = found.containerPort;
          }
          if (number !== undefined) break;
        }
      }
      if (number === undefined) continue;
      out.push({ name: port.name ?? "", port: number, protocol: port.protocol ?? "TCP", ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}) });
    }
    return out;
  }
}
