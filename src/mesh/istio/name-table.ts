/**
 * istiod's name table for one proxy (NDS, mesh.md §4; Istio's `BuildNameTable`): what the
 * proxy's DNS proxy answers from. A Kubernetes service has its cluster IP in the proxy's
 * cluster, or, when that cluster has no Service of the name, another cluster's (Istio's
 * `DefaultAddress`): this is how a name that exists only in a remote cluster resolves. A headless
 * service has the addresses of its endpoints in the proxy's cluster and network. A ServiceEntry
 * host has its addresses, or the one allocated for it; one with neither is left to the upstream.
 */
import type { MeshEndpoint } from "./registry.js";
import type { ClusterType, NameTableEntry, ProxyMetadata } from "./xds.js";

/** A service as istiod turns it into a proxy's config: a Kubernetes service or a ServiceEntry host. */
export interface ServiceView {
  readonly host: string;
  readonly ports: readonly { readonly port: number; readonly name: string }[];
  /** Its addresses as the proxy sees them (listeners, DNS). */
  readonly vips: readonly string[];
  readonly type: ClusterType;
  /** Its endpoints, in shards by cluster. */
  readonly endpoints: readonly (readonly MeshEndpoint[])[];
  /** For a Kubernetes service: the Service the proxy's addresses come from; absent for a ServiceEntry host. */
  readonly service?: { readonly namespace: string; readonly name: string; readonly headless: boolean };
}

/** The name table of a proxy, over the services of its config. */
export function nameTable(meta: ProxyMetadata, views: readonly ServiceView[]): NameTableEntry[] {
  const out: NameTableEntry[] = [];
  for (const view of views) {
    const service = view.service;
    if (!service) {
      if (view.vips.length > 0) out.push({ host: view.host, ips: view.vips });
      continue;
    }
    const ips = service.headless ? view.endpoints.flat().filter((e) => e.cluster === meta.cluster && e.network === meta.network).map((e) => e.address) : view.vips;
    if (ips.length > 0) out.push({ host: view.host, ips: [...new Set(ips)], namespace: service.namespace, shortname: service.name });
  }
  return out;
}
