import type { EndpointPort, EndpointSlice, K8sObject, Kind, LabelSelector, ObjectOfKind, Pod, Service } from "../../k8s/objects.js";

/**
 * The resource types `kubectl get` knows here: their names as typed (plural, singular, short
 * names, as discovery lists them), the kind they read, how `-o name` writes them, and their
 * table columns (the server-side printers of `pkg/printers/internalversion/printers.go`, and for
 * custom resources their CRD's `additionalPrinterColumns`).
 */

/** What a printer needs besides the object. */
export interface PrintContext {
  /** AGE of an object, from its creationTimestamp. */
  age(object: Readonly<K8sObject>): string;
  /** The EndpointSlices of a Service, for `kubectl get endpoints` (mcsim keeps no Endpoints objects). */
  slicesOf(namespace: string, service: string): readonly Readonly<EndpointSlice>[];
  /**
   * A workload's pods, counted: mcsim's controllers keep no status on Deployments and
   * StatefulSets, so their READY and AVAILABLE columns count the pods as the controllers would.
   */
  podsOf(namespace: string, selector: Readonly<LabelSelector>): { readonly total: number; readonly ready: number };
}

/** One resource type. */
export interface ResourceType<K extends Kind = Kind> {
  readonly kind: K;
  /** Names kubectl accepts: plural first (as errors and `-o name` use it), then singular and short names. */
  readonly names: readonly string[];
  /** `-o name`'s prefix: the resource, with its API group when it has one (`deployment.apps`). */
  readonly nameType: string;
  readonly columns: readonly string[];
  /** Columns `-o wide` adds at the end. */
  readonly wideColumns: readonly string[];
  row(object: Readonly<ObjectOfKind<K>>, ctx: PrintContext, wide: boolean): string[];
}

/** kubectl's `<none>` for an empty cell. */
const NONE = "<none>";

/** Up to three addresses, then how many more (printers.go formatEndpoints' MaxEndpoints). */
export function firstThree(items: readonly string[]): string {
  if (items.length === 0) return NONE;
  return items.length > 3 ? `${items.slice(0, 3).join(",")} + ${items.length - 3} more...` : items.join(",");
}

function selectorText(selector: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(selector ?? {});
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(",");
}

/**
 * A CRD printer column on an array (`.spec.hosts`): current kubectl writes it as compact JSON
 * (`["a","b"]`; mesh.md §2.3), and a JSONPath that finds nothing is a blank cell, not `<none>`.
 */
function arrayCell(items: readonly string[] | undefined): string {
  return items?.length ? JSON.stringify(items) : "";
}

/** True when the pod's Ready condition is True. */
export function podReady(pod: Readonly<Pod>): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function servicePorts(svc: Readonly<Service>): string {
  const ports = svc.spec.ports ?? [];
  if (ports.length === 0) return NONE;
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

function externalIp(svc: Readonly<Service>): string {
  const type = svc.spec.type ?? "ClusterIP";
  if (type === "ExternalName") return svc.spec.externalName ?? NONE;
  if (type !== "LoadBalancer") return NONE;
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter(Boolean);
  return ingress.length ? ingress.join(",") : "<pending>";
}

const pods: ResourceType<"Pod"> = {
  kind: "Pod",
  names: ["pods", "pod", "po"],
  nameType: "pod",
  columns: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
  wideColumns: ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
  row: (pod, ctx, wide) => {
    const containers = pod.spec.containers.length;
    const status = pod.status?.phase ?? "Pending";
    const cells = [pod.metadata.name, `${podReady(pod) ? containers : 0}/${containers}`, status, "0", ctx.age(pod)];
    return wide ? [...cells, pod.status?.podIP ?? NONE, pod.spec.nodeName ?? NONE, NONE, NONE] : cells;
  },
};

const services: ResourceType<"Service"> = {
  kind: "Service",
  names: ["services", "service", "svc"],
  nameType: "service",
  columns: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
  wideColumns: ["SELECTOR"],
  row: (svc, ctx, wide) => {
    const type = svc.spec.type ?? "ClusterIP";
    const cells = [svc.metadata.name, type, type === "ExternalName" ? NONE : (svc.spec.clusterIP ?? NONE), externalIp(svc), servicePorts(svc), ctx.age(svc)];
    return wide ? [...cells, selectorText(svc.spec.selector)] : cells;
  },
};

/** `kubectl get endpoints` reads Services and shows their ready endpoints as the Endpoints controller would have written them. */
const endpoints: ResourceType<"Service"> = {
  kind: "Service",
  names: ["endpoints", "endpoint", "ep"],
  nameType: "endpoints",
  columns: ["NAME", "ENDPOINTS", "AGE"],
  wideColumns: [],
  row: (svc, ctx) => [svc.metadata.name, firstThree(readyAddresses(ctx.slicesOf(svc.metadata.namespace ?? "default", svc.metadata.name))), ctx.age(svc)],
};

/**
 * The ready endpoints of a Service's slices as `ip:port`, for the ports `port` picks (all by
 * default): what the Endpoints controller would have written (`kubectl get endpoints`, `describe`).
 */
export function readyAddresses(slices: readonly Readonly<EndpointSlice>[], port: (p: EndpointPort) => boolean = () => true): string[] {
  const addresses: string[] = [];
  for (const slice of slices) {
    const ports = slice.ports?.length ? slice.ports.filter(port).map((p) => p.port) : [undefined];
    for (const e of slice.endpoints) {
      if (e.conditions?.ready === false) continue;
      for (const address of e.addresses) for (const p of ports) addresses.push(p === undefined ? address : `${address}:${p}`);
    }
  }
  return addresses;
}

const endpointSlices: ResourceType<"EndpointSlice"> = {
  kind: "EndpointSlice",
  names: ["endpointslices", "endpointslice"],
  nameType: "endpointslice.discovery.k8s.io",
  columns: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
  wideColumns: [],
  row: (slice, ctx) => {
    const ports = slice.ports?.length ? slice.ports.map((p) => String(p.port ?? "<unset>")).join(",") : "<unset>";
    return [slice.metadata.name, slice.addressType, ports, firstThree(slice.endpoints.flatMap((e) => e.addresses)), ctx.age(slice)];
  },
};

const configMaps: ResourceType<"ConfigMap"> = {
  kind: "ConfigMap",
  names: ["configmaps", "configmap", "cm"],
  nameType: "configmap",
  columns: ["NAME", "DATA", "AGE"],
  wideColumns: [],
  row: (cm, ctx) => [cm.metadata.name, String(Object.keys(cm.data ?? {}).length), ctx.age(cm)],
};

/** printers.go printSecret: the type and how many keys `data` has. */
const secrets: ResourceType<"Secret"> = {
  kind: "Secret",
  names: ["secrets", "secret"],
  nameType: "secret",
  columns: ["NAME", "TYPE", "DATA", "AGE"],
  wideColumns: [],
  row: (s, ctx) => [s.metadata.name, s.type ?? "Opaque", String(Object.keys(s.data ?? {}).length), ctx.age(s)],
};

const namespaces: ResourceType<"Namespace"> = {
  kind: "Namespace",
  names: ["namespaces", "namespace", "ns"],
  nameType: "namespace",
  columns: ["NAME", "STATUS", "AGE"],
  wideColumns: [],
  row: (ns, ctx) => [ns.metadata.name, "Active", ctx.age(ns)],
};

const deployments: ResourceType<"Deployment"> = {
  kind: "Deployment",
  names: ["deployments", "deployment", "deploy"],
  nameType: "deployment.apps",
  columns: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
  wideColumns: ["CONTAINERS", "IMAGES", "SELECTOR"],
  row: (d, ctx, wide) => {
    const pods = ctx.podsOf(d.metadata.namespace ?? "default", d.spec.selector);
    const cells = [d.metadata.name, `${pods.ready}/${d.spec.replicas ?? 1}`, String(pods.total), String(pods.ready), ctx.age(d)];
    if (!wide) return cells;
    const containers = d.spec.template.spec.containers;
    return [...cells, containers.map((c) => c.name).join(","), containers.map((c) => c.image).join(","), selectorText(d.spec.selector.matchLabels)];
  },
};

const statefulSets: ResourceType<"StatefulSet"> = {
  kind: "StatefulSet",
  names: ["statefulsets", "statefulset", "sts"],
  nameType: "statefulset.apps",
  columns: ["NAME", "READY", "AGE"],
  wideColumns: ["CONTAINERS", "IMAGES"],
  row: (s, ctx, wide) => {
    const cells = [s.metadata.name, `${ctx.podsOf(s.metadata.namespace ?? "default", s.spec.selector).ready}/${s.spec.replicas ?? 1}`, ctx.age(s)];
    const containers = s.spec.template.spec.containers;
    return wide ? [...cells, containers.map((c) => c.name).join(","), containers.map((c) => c.image).join(",")] : cells;
  },
};

/**
 * mcs-api's CRD: printer column Age only (mcs.md §7). Age is a `type: date` column on
 * `.metadata.creationTimestamp`, which kubectl writes as it writes a built-in kind's AGE.
 */
const serviceExports: ResourceType<"ServiceExport"> = {
  kind: "ServiceExport",
  names: ["serviceexports", "serviceexport", "svcex", "svcexport"],
  nameType: "serviceexport.multicluster.x-k8s.io",
  columns: ["NAME", "AGE"],
  // A CRD's printer columns all have priority 0, so `-o wide` shows no more of them.
  wideColumns: [],
  row: (e, ctx) => [e.metadata.name, ctx.age(e)],
};

/**
 * mcs-api's CRD: printer columns Type, IP (the whole `.spec.ips` array) and Age (mcs.md §7). A
 * Headless import has no IPs: a blank cell.
 */
const serviceImports: ResourceType<"ServiceImport"> = {
  kind: "ServiceImport",
  names: ["serviceimports", "serviceimport", "svcim", "svcimport"],
  nameType: "serviceimport.multicluster.x-k8s.io",
  columns: ["NAME", "TYPE", "IP", "AGE"],
  wideColumns: [],
  row: (i, ctx) => [i.metadata.name, i.spec.type, arrayCell(i.spec.ips), ctx.age(i)],
};

/** about-api's CRD: printer columns value and age (mcs.md §1.11); cluster-scoped. */
const clusterProperties: ResourceType<"ClusterProperty"> = {
  kind: "ClusterProperty",
  names: ["clusterproperties", "clusterproperty"],
  nameType: "clusterproperty.about.k8s.io",
  columns: ["NAME", "VALUE", "AGE"],
  wideColumns: [],
  row: (p, ctx) => [p.metadata.name, p.spec.value, ctx.age(p)],
};

/*
 * Istio's CRDs (istio/istio manifests/charts/base/files/crd-all.gen.yaml): their printer columns,
 * all of priority 0, so that `-o wide` adds none. A field left out (a ServiceEntry's location, a
 * PeerAuthentication's mode) is a blank cell, as a JSONPath column that finds nothing is.
 */

/** Printer columns Gateways, Hosts and Age. */
const virtualServices: ResourceType<"VirtualService"> = {
  kind: "VirtualService",
  names: ["virtualservices", "virtualservice", "vs"],
  nameType: "virtualservice.networking.istio.io",
  columns: ["NAME", "GATEWAYS", "HOSTS", "AGE"],
  wideColumns: [],
  row: (v, ctx) => [v.metadata.name, arrayCell(v.spec.gateways), arrayCell(v.spec.hosts), ctx.age(v)],
};

/** Printer columns Host and Age. */
const destinationRules: ResourceType<"DestinationRule"> = {
  kind: "DestinationRule",
  names: ["destinationrules", "destinationrule", "dr"],
  nameType: "destinationrule.networking.istio.io",
  columns: ["NAME", "HOST", "AGE"],
  wideColumns: [],
  row: (d, ctx) => [d.metadata.name, d.spec.host, ctx.age(d)],
};

/** Printer columns Hosts, Location, Resolution and Age (mesh.md §2.3). */
const serviceEntries: ResourceType<"ServiceEntry"> = {
  kind: "ServiceEntry",
  names: ["serviceentries", "serviceentry", "se"],
  nameType: "serviceentry.networking.istio.io",
  columns: ["NAME", "HOSTS", "LOCATION", "RESOLUTION", "AGE"],
  wideColumns: [],
  row: (e, ctx) => [e.metadata.name, arrayCell(e.spec.hosts), e.spec.location ?? "", e.spec.resolution ?? "", ctx.age(e)],
};

/** Printer column Age only. */
const gateways: ResourceType<"Gateway"> = {
  kind: "Gateway",
  names: ["gateways", "gateway", "gw"],
  nameType: "gateway.networking.istio.io",
  columns: ["NAME", "AGE"],
  wideColumns: [],
  row: (g, ctx) => [g.metadata.name, ctx.age(g)],
};

/** Printer columns Mode (`.spec.mtls.mode`) and Age. */
const peerAuthentications: ResourceType<"PeerAuthentication"> = {
  kind: "PeerAuthentication",
  names: ["peerauthentications", "peerauthentication", "pa"],
  nameType: "peerauthentication.security.istio.io",
  columns: ["NAME", "MODE", "AGE"],
  wideColumns: [],
  row: (p, ctx) => [p.metadata.name, p.spec?.mtls?.mode ?? "", ctx.age(p)],
};

/** Every resource type, in the order `kubectl api-resources` lists them: built-in groups, then the CRDs' groups. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  configMaps,
  endpoints,
  namespaces,
  pods,
  secrets,
  services,
  deployments,
  statefulSets,
  endpointSlices,
  clusterProperties,
  serviceExports,
  serviceImports,
  destinationRules,
  gateways,
  serviceEntries,
  virtualServices,
  peerAuthentications,
] as readonly ResourceType[];

/**
 * A resource type's plural with its API group (`deployments.apps`, `serviceexports.multicluster.x-k8s.io`),
 * as kubectl accepts it and as the API server names the resource in errors.
 */
export function qualifiedName(type: ResourceType): string {
  const dot = type.nameType.indexOf(".");
  return dot < 0 ? type.names[0]! : `${type.names[0]}${type.nameType.slice(dot)}`;
}

/** The resource type a name (`svc`, `Pods`, `deployment.apps`) stands for, if any. */
export function resourceType(name: string): ResourceType | undefined {
  const lower = name.toLowerCase();
  return RESOURCE_TYPES.find((t) => t.names.includes(lower) || t.nameType === lower || qualifiedName(t) === lower);
}
