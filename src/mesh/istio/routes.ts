/**
 * istiod's route generation (RDS) for one proxy: a virtual host per service and port, with the
 * Host headers Istio answers to for it, and its routes from the service's VirtualService (or the
 * one default route to the service when it has none), each with the Istio version's retry policy
 * under the route's own `retries` and `timeout` (mesh.md §3.4).
 */
import type { Destination, HTTPFaultInjection, VirtualService } from "../../k8s/istio.js";
import { matchesLabels } from "../../k8s/labels.js";
import { parseDuration } from "../../sim/time.js";
import { resolveHost } from "./config.js";
import { defaultRetryPolicy, routeRetryPolicy } from "./sidecar-retry.js";
import type { FaultPolicy, ProxyMetadata, RouteEntry, VirtualHostResource } from "./xds.js";

/** What a virtual host is built from. */
export interface VirtualHostInput {
  /** The service's hostname (`web.default.svc.cluster.local`) and the port of the route configuration. */
  readonly host: string;
  readonly port: number;
  /** The service's cluster IPs as the proxy's cluster has them. */
  readonly vips: readonly string[];
  readonly vs: Readonly<VirtualService> | undefined;
  /** The ports of a hostname in the registry, for destinations that name none; undefined for an unknown host. */
  readonly portsOf: (host: string) => readonly number[] | undefined;
  readonly domain: string;
  /** The Istio version whose default retry policy applies. */
  readonly version: string;
}

/** The cluster name of a service port, or of one of its subsets: `outbound|<port>|<subset>|<host>`. */
export function clusterName(host: string, port: number, subset = ""): string {
  return `outbound|${port}|${subset}|${host}`;
}

/**
 * The Host headers a proxy's virtual host answers to (Istio's `generateVirtualHostDomains`): the
 * hostname, `name.namespace`, `name.namespace.svc`, the short name from the service's own
 * namespace, and the cluster IPs, each also with `:port`.
 */
export function virtualHostDomains(host: string, port: number, vips: readonly string[], proxyNamespace: string, domain: string): string[] {
  const suffix = `.svc.${domain}`;
  const names = [host];
  if (host.endsWith(suffix)) {
    const [name = "", namespace = ""] = host.slice(0, -suffix.length).split(".");
    names.push(`${name}.${namespace}`, `${name}.${namespace}.svc`);
    if (namespace === proxyNamespace) names.push(name);
  }
  names.push(...vips);
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

/** One proxy's virtual host of a service port. */
export function virtualHost(meta: ProxyMetadata, input: VirtualHostInput): VirtualHostResource {
  const { host, port, vs } = input;
  const domains = virtualHostDomains(host, port, input.vips, meta.namespace, input.domain);
  const name = `${host}:${port}`;
  if (!vs) return { name, domains, routes: [{ match: [], destinations: [{ cluster: clusterName(host, port), weight: 100 }], retry: defaultRetryPolicy(input.version) }] };
  const namespace = vs.metadata.namespace ?? "default";
  const routes: RouteEntry[] = [];
  for (const r of vs.spec.http ?? []) {
    // A match for another port, or for other calling workloads, is left out of this proxy's
    // route; a route all of whose matches are left out is not there at all.
    const match = (r.match ?? []).filter((m) => (m.port === undefined || m.port === port) && (!m.sourceLabels || matchesLabels(meta.labels, m.sourceLabels)));
    if ((r.match ?? []).length > 0 && match.length === 0) continue;
    const destinations = r.route.map((d) => ({ cluster: destinationCluster(d.destination, namespace, input), weight: r.route.length === 1 ? 100 : (d.weight ?? 0) }));
    const fault = r.fault ? faultPolicy(r.fault) : undefined;
    routes.push({
      match,
      destinations,
      ...(r.timeout !== undefined ? { timeout: parseDuration(r.timeout) } : {}),
      retry: routeRetryPolicy(r.retries, input.version),
      ...(fault ? { fault } : {}),
    });
  }
  return { name, domains, routes };
}

/**
 * The cluster a destination names: its host resolved in the VirtualService's namespace, its
 * port, else the host's only port, else the port the request came to.
 */
function destinationCluster(d: Destination, namespace: string, input: VirtualHostInput): string {
  const host = resolveHost(d.host, namespace, input.domain);
  const ports = input.portsOf(host);
  const port = d.port?.number ?? (ports?.length === 1 ? ports[0]! : input.port);
  return clusterName(host, port, d.subset ?? "");
}

/** A route's fault injection as Envoy's fault filter gets it; a percentage left out is 0 (Istio's `translateFault`). */
function faultPolicy(f: HTTPFaultInjection): FaultPolicy | undefined {
  const delay = f.delay ? { fixedDelay: parseDuration(f.delay.fixedDelay), percent: f.delay.percentage?.value ?? 0 } : undefined;
  const abort = f.abort ? { status: f.abort.httpStatus, percent: f.abort.percentage?.value ?? 0 } : undefined;
  if (!delay && !abort) return undefined;
  return { ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}
