/**
 * ServiceEntries as istiod's registry sees them: each host of an entry is a service of its own
 * (Istio's `convertServices`), with the entry's ports, its addresses (or an address allocated for
 * it, mesh.md §4), the Envoy cluster type its resolution implies, and its endpoints
 * (`convertEndpoint`): the listed ones for STATIC and DNS, the host itself for DNS without
 * endpoints, none for NONE (the original destination is used). `exportTo` decides which
 * namespaces' proxies see an entry.
 */
import type { ExportTo, ServiceEntry } from "../../k8s/istio.js";
import { isIPv4 } from "../../k8s/schema.js";
import type { Locality } from "./locality.js";
import type { MeshEndpoint } from "./registry.js";
import type { ClusterType } from "./xds.js";

/** One host of a ServiceEntry, as a service of the registry. */
export interface EntryService {
  /** The host as written (an FQDN, or a wildcard `*.example.com`). */
  readonly host: string;
  readonly namespace: string;
  /** `namespace/name` of the entry. */
  readonly entry: string;
  readonly ports: readonly { readonly port: number; readonly name: string }[];
  /** The entry's IP addresses (CIDR blocks are left out: no listener or DNS record is made for them). */
  readonly addresses: readonly string[];
  readonly type: ClusterType;
  readonly location: "MESH_EXTERNAL" | "MESH_INTERNAL";
  readonly endpoints: readonly MeshEndpoint[];
}

/** Where the entries' endpoints are placed: the config cluster and its network (their own `network` aside). */
export interface EntryContext {
  readonly cluster: string;
  readonly network: string;
}

/** Envoy's cluster type for a resolution (Istio's `convertResolution`). */
function clusterType(resolution: ServiceEntry["spec"]["resolution"]): ClusterType {
  if (resolution === "STATIC") return "EDS";
  if (resolution === "DNS") return "STRICT_DNS";
  if (resolution === "DNS_ROUND_ROBIN") return "LOGICAL_DNS";
  return "ORIGINAL_DST";
}

/** `region/zone/subzone` as a locality. */
function parseLocality(text: string | undefined): Locality {
  const [region = "", zone = "", subzone = ""] = (text ?? "").split("/");
  return { region, zone, subzone };
}

/** The services of one ServiceEntry, a host each. */
export function entryServices(se: Readonly<ServiceEntry>, context: EntryContext): EntryService[] {
  const namespace = se.metadata.namespace ?? "default";
  const spec = se.spec;
  const type = clusterType(spec.resolution);
  const ports = (spec.ports ?? []).map((p) => ({ port: p.number, name: p.name }));
  const targetPorts = new Map((spec.ports ?? []).map((p) => [p.name, p.targetPort ?? p.number] as const));
  const endpoint = (address: string, e: NonNullable<ServiceEntry["spec"]["endpoints"]>[number] | undefined): MeshEndpoint => ({
    address,
    ports: new Map([...targetPorts].map(([name, port]) => [name, e?.ports?.[name] ?? port] as const)),
    locality: parseLocality(e?.locality),
    cluster: context.cluster,
    network: e?.network ?? context.network,
    serviceAccount: e?.serviceAccount ?? "",
    labels: e?.labels ?? {},
    // An entry's endpoint takes Istio mTLS when its labels say so, as a WorkloadEntry's do (mesh.md §3.5).
    sidecar: e?.labels?.["security.istio.io/tlsMode"] === "istio",
  });
  const listed = (spec.endpoints ?? []).filter((e) => e.address !== undefined && !e.address.startsWith("unix://"));
  return spec.hosts.map((host) => {
    let endpoints: MeshEndpoint[] = [];
    if (type === "EDS" || (type !== "ORIGINAL_DST" && listed.length > 0)) endpoints = listed.map((e) => endpoint(e.address!, e));
    // DNS without endpoints: Envoy resolves the host itself.
    else if (type !== "ORIGINAL_DST") endpoints = [endpoint(host, undefined)];
    return { host, namespace, entry: `${namespace}/${se.metadata.name}`, ports, addresses: (spec.addresses ?? []).filter(isIPv4), type, location: spec.location ?? "MESH_EXTERNAL", endpoints };
  });
}

/** Whether config with this `exportTo`, in `namespace`, is visible to proxies in `proxyNamespace` (absent: everywhere). */
export function exportedTo(exportTo: ExportTo | undefined, namespace: string, proxyNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((t) => t === "*" || (t === "." ? namespace === proxyNamespace : t === proxyNamespace));
}

/** The range auto-allocated addresses come from (mesh.md §4: `240.240.0.0/16`, Class E). */
const AUTO_ALLOCATE_PREFIX = "240.240";
/** Addresses in the range, leaving out each `x.0` and `x.255`: 255 × 254 of them, hashed into. */
const AUTO_ALLOCATE_SIZE = 255 * 254;

/** FNV-1a, 32 bits: a stable hash of a service's key. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Addresses for the services that have none (mesh.md §4, `ISTIO_META_DNS_AUTO_ALLOCATE`): not
 * for wildcard hosts, nor for resolution NONE (the original destination would be lost). Each
 * key `namespace/host` is hashed into 240.240.0.0/16, taken in key order with the next free
 * address on a collision, as Istio's `autoAllocateIPs` does, so an address stays put while the
 * set of entries does not change. Keyed by `namespace/host`.
 */
export function autoAllocate(services: readonly EntryService[]): Map<string, string> {
  const wanting = services.filter((s) => s.addresses.length === 0 && !s.host.startsWith("*") && s.type !== "ORIGINAL_DST").map((s) => `${s.namespace}/${s.host}`);
  const keys = [...new Set(wanting)].sort();
  const taken = new Set<number>();
  const out = new Map<string, string>();
  for (const key of keys) {
    if (taken.size >= AUTO_ALLOCATE_SIZE) break;
    let n = fnv1a(key) % AUTO_ALLOCATE_SIZE;
    while (taken.has(n)) n = (n + 1) % AUTO_ALLOCATE_SIZE;
    taken.add(n);
    out.set(key, `${AUTO_ALLOCATE_PREFIX}.${Math.floor(n / 254)}.${(n % 254) + 1}`);
  }
  return out;
}
