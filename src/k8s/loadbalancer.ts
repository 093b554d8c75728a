import type { Network } from "../net/network.js";
import type { ApiServer } from "./apiserver.js";

/**
 * The cloud's load-balancer controller: a Service of type LoadBalancer gets an address outside
 * the clusters (written to `status.loadBalancer.ingress`, as the cloud controller manager does),
 * which kube-proxy then makes reach the Service's endpoints from anywhere, other clusters
 * included. An address a manifest pinned in the status is kept. Deleting the Service, or changing
 * its type, gives the address back.
 */
export class LoadBalancerController {
  private readonly assigned = new Map<string, string>();

  constructor(
    private readonly api: ApiServer,
    private readonly network: Network,
  ) {
    api.watch("Service", "service-controller", (e) => {
      const ns = e.object.metadata.namespace ?? "default";
      const id = `${ns}/${e.object.metadata.name}`;
      const current = e.type === "DELETED" ? undefined : api.get("Service", ns, e.object.metadata.name);
      const held = this.assigned.get(id);
      if (!current || current.spec.type !== "LoadBalancer") {
        if (held) {
          this.network.releaseExternalAddress(held);
          this.assigned.delete(id);
        }
        return;
      }
      if ((current.status?.loadBalancer?.ingress ?? []).some((i) => i.ip)) return;
      const ip = this.network.allocateExternalAddress();
      this.assigned.set(id, ip);
      api.update({ ...current, status: { ...current.status, loadBalancer: { ingress: [{ ip }] } } });
    });
  }
}
