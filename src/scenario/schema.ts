/**
 * The scenario file's schema: one definition that the loader validates with and that
 * `mcsim schema` prints as JSON Schema. Field names follow the tools people know: Kubernetes for
 * clusters and manifests, Chaos Mesh for faults (simulation.md §4.1, §4.5), netem for links.
 *
 * The schema needs to read files (manifests and Corefiles given by path) and to know the names the
 * scenario's clusters define, so it is made per load by {@link scenarioSchema} with a
 * {@link SchemaContext}; for JSON Schema, any context will do.
 */
import { DnsChaos, DnsChaosError } from "../dns/chaos.js";
import { CLUSTER_PLACEHOLDER } from "../dns/federation.js";
import { BEHAVIOURS } from "../dns/resolver/types.js";
import { ERROR_KINDS, parseUrl, UrlError } from "../http/message.js";
import { DEFAULT_APP_SERVICE } from "../http/server.js";
import { FORMATS, ValueError, didYouMean, type ArraySchema, type Format, type ObjectSchema, type Rule, type Schema, type StringSchema, type YamlNode } from "../k8s/schema.js";
import { toJsonSchema, type JsonSchema } from "../k8s/json-schema.js";
import { API_VERSIONS, type K8sObject } from "../k8s/objects.js";
import { PROFILE_NAMES } from "../mcs/profiles.js";
import { MAX_CLUSTER_ID } from "../mesh/cilium/clustermesh.js";
import { DEFAULT_ISTIO_VERSION } from "../mesh/istio/mesh.js";
import { DEFAULT_LINKERD_VERSION } from "../mesh/linkerd/mesh.js";
import { AddressError, Cidr } from "../net/ip.js";
import { EXTERNAL_NETWORK } from "../net/topology.js";
import { checkDistribution, DistributionError, type Distribution } from "../sim/distribution.js";
import { formatDuration, type Micros } from "../sim/time.js";
import type { HostSelector } from "../net/selector.js";
import type { LinkProfile, LinkScope } from "../net/link.js";
import type { HttpFault } from "../http/server.js";
import {
  PATTERN_NAMES,
  SCENARIO_API_VERSION,
  type Arrival,
  type ExpectCheck,
  type ExpectWindow,
  type FaultAction,
  type PodTarget,
} from "./spec.js";

/** What the scenario's clusters define, that other fields name. */
export type Defined = "cluster" | "region" | "zone" | "network";

/**
 * What the schema needs from the loader: reading the files a scenario names (relative to it) and
 * the text written inline, checking each as it is read, and knowing the names the scenario's
 * clusters define. A file that cannot be read or a name nothing defines is a {@link ValueError}
 * (reported where it is written); a problem inside a file or an inline block is the loader's own
 * error, naming the place in that file.
 */
export interface SchemaContext {
  manifestFile(path: string): { objects: K8sObject[]; source: string };
  inlineManifests(node: YamlNode): { objects: K8sObject[]; source: string };
  corefileFile(path: string): string;
  inlineCorefile(node: YamlNode): string;
  /** @throws ValueError when no cluster defines `name` as its name, region, zone or network. */
  checkDefined(what: Defined, name: string): void;
}

const str = (description: string, extra: Partial<StringSchema> = {}): StringSchema => ({ type: "string", description, ...extra });
const duration = (description: string, extra: { min?: Micros; required?: true; default?: Micros } = {}): Schema => ({ type: "duration", description, ...extra });
const count = (description: string, min = 0): Schema => ({ type: "integer", min, description });
const percent = (description: string): Schema => ({ type: "number", min: 0, max: 100, description, default: 0 });
const names = (description: string): ArraySchema => ({ type: "array", items: { type: "string" }, min: 1, description });
const labels = (description: string): Schema => ({ type: "stringMap", keys: FORMATS.qualifiedName, values: FORMATS.labelValue, description });
const bound = (description: string): Schema => ({ type: "number", min: 0, description });
const port = (description: string): Schema => ({ type: "integer", min: 1, max: 65_535, description });
const httpStatus = (description: string, extra: { required?: true } = {}): Schema => ({ type: "integer", min: 100, max: 599, description, ...extra });
/** Istio's `percentage.value`: a percent in the file (100 when absent), a probability in the model. */
const percentage = (description: string): Schema => ({ type: "number", min: 0, max: 100, description });
const probability = (o: { percentage?: number }): number => (o.percentage ?? 100) / 100;

/**
 * A name of a cluster (or of a region, zone or network of one), checked where it is written, so
 * that a misspelt one is reported there with the nearest defined name.
 */
const ref = (ctx: SchemaContext, what: Defined, description: string, extra: Partial<StringSchema> = {}): StringSchema =>
  str(description, {
    ...extra,
    transform: (name: string) => {
      ctx.checkDefined(what, name);
      return name;
    },
  });
const refs = (ctx: SchemaContext, what: Defined, description: string): ArraySchema => ({ type: "array", items: ref(ctx, what, ""), min: 1, description });

/** A pod or service range, read as the topology reads it. */
const CIDR: Format = {
  expected: "an IPv4 range in CIDR notation, e.g. 10.10.0.0/16",
  pattern: "^(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}$",
  problem: (text) => {
    try {
      Cidr.parse(text);
      return null;
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
      // Only a range with host bits set has more to say than `expected` (the range it meant).
      const why = /host bits set.*$/.exec(e.message);
      return why ? `it has ${why[0]}` : "";
    }
  },
};

/** The network hosts outside every cluster are on is not a cluster's to take. */
const NETWORK_NAME: Format = {
  expected: `a network name other than ${JSON.stringify(EXTERNAL_NETWORK)} (the network of hosts outside the clusters)`,
  pattern: `^(?!${EXTERNAL_NETWORK}$)`,
  problem: (text) => (text === EXTERNAL_NETWORK ? "" : null),
};

/** Turns a distribution's parameter problem into a problem with the value written. */
function distribution(d: Distribution): Distribution {
  try {
    return checkDistribution(d);
  } catch (e) {
    if (e instanceof DistributionError) throw new ValueError(e.message);
    throw e;
  }
}

/**
 * A distribution of durations: a duration alone is constant; otherwise one key naming the kind
 * (`lognormal: {median: 1ms, p99: 5ms}`), as `src/sim/distribution.ts` defines them.
 */
export const DISTRIBUTION: Schema = {
  type: "union",
  description: "a duration (constant), or one of constant, uniform, normal, lognormal, exponential, pareto with its parameters",
  options: [
    { type: "duration", transform: (value: Micros) => distribution({ kind: "constant", value }) },
    {
      type: "object",
      fields: {
        constant: duration("always this long"),
        uniform: { type: "object", fields: { min: duration("", { required: true }), max: duration("", { required: true }) } },
        normal: { type: "object", fields: { mean: duration("", { required: true }), stddev: duration("", { required: true }) } },
        lognormal: {
          type: "object",
          description: "log-normal from its median and 99th percentile",
          fields: { median: duration("", { required: true }), p99: duration("", { required: true }) },
        },
        exponential: {
          type: "object",
          description: "exponential with this mean, shifted to start at min",
          fields: { mean: duration("", { required: true }), min: duration("") },
        },
        pareto: {
          type: "object",
          description: "Pareto (heavy tail) with this scale (the minimum) and shape",
          fields: { scale: duration("", { required: true }), shape: { type: "number", min: 0, exclusiveMin: true, required: true } },
        },
      },
      oneOf: { fields: ["constant", "uniform", "normal", "lognormal", "exponential", "pareto"], what: "distribution kind" },
      transform: (value: Record<string, any>) => {
        const [kind, params] = Object.entries(value)[0]!;
        return distribution(kind === "constant" ? { kind, value: params } : ({ kind, ...params } as Distribution));
      },
    },
  ],
};

const LINK_FIELDS = {
  latency: { ...DISTRIBUTION, description: "one-way latency" },
  jitter: duration("plus a uniform draw from [-jitter, +jitter]"),
  loss: { type: "number", min: 0, max: 100, description: "percent of messages lost" },
  duplicate: { type: "number", min: 0, max: 100, description: "percent of messages delivered twice" },
  reorder: {
    type: "object",
    description: "this percent of messages are held back by delay, so that later ones overtake them",
    fields: { percent: { type: "number", min: 0, max: 100, required: true }, delay: duration("", { required: true }) },
  },
} satisfies Record<string, Schema>;

/** Percentages in the file, probabilities in the model. */
function linkProfile(value: Record<string, any>): LinkProfile {
  return {
    latency: value.latency,
    ...(value.jitter !== undefined ? { jitter: value.jitter } : {}),
    ...(value.loss !== undefined ? { loss: value.loss / 100 } : {}),
    ...(value.duplicate !== undefined ? { duplicate: value.duplicate / 100 } : {}),
    ...(value.reorder ? { reorder: { probability: value.reorder.percent / 100, delay: value.reorder.delay } } : {}),
  };
}

const linkSchema = (description: string): ObjectSchema => ({
  type: "object",
  description,
  fields: { ...LINK_FIELDS, latency: { ...LINK_FIELDS.latency, required: true } },
  transform: linkProfile,
});

/** YAML names of the link scopes. */
const SCOPES: Readonly<Record<string, LinkScope>> = {
  sameNode: "same-node",
  sameZone: "same-zone",
  crossZone: "cross-zone",
  crossRegion: "cross-region",
};

const networkSchema = (ctx: SchemaContext): ObjectSchema => ({
  type: "object",
  description: "link latency, jitter and loss per scope and per cluster pair",
  default: { links: {}, clusterPairs: [] },
  fields: {
    links: {
      type: "object",
      description: "per scope: between pods on one node, in one zone, across zones, across regions",
      default: {},
      fields: Object.fromEntries(Object.keys(SCOPES).map((k) => [k, linkSchema(`links between hosts ${k.replace(/[A-Z]/, (c) => ` ${c.toLowerCase()}`)}`)])),
      transform: (value: Record<string, LinkProfile>) => Object.fromEntries(Object.entries(value).map(([k, v]) => [SCOPES[k], v])),
    },
    clusterPairs: {
      type: "array",
      default: [],
      description: "links between two clusters, over the scope's",
      items: {
        type: "object",
        fields: {
          clusters: { type: "array", items: ref(ctx, "cluster", ""), min: 2, max: 2, required: true, description: "the two clusters" },
          oneWay: { type: "boolean", description: "only from the first to the second" },
          ...LINK_FIELDS,
          latency: { ...LINK_FIELDS.latency, required: true },
        },
        transform: (value: Record<string, any>) => ({ clusters: value.clusters, ...(value.oneWay ? { oneWay: true } : {}), ...linkProfile(value) }),
      },
    },
  },
});

/** The DNS settings, with the Corefile read (inline or by path) and checked. */
function dnsSchema(ctx: SchemaContext): ObjectSchema {
  return {
    type: "object",
    description: "the cluster's CoreDNS",
    default: { replicas: 2 },
    fields: {
      replicas: { type: "integer", min: 0, default: 2, description: "CoreDNS pods (kubeadm: 2)" },
      workers: count("queries each replica serves at once", 1),
      serviceTime: { ...DISTRIBUTION, description: "time to serve one query" },
      queueLimit: count("queries waiting beyond the workers before new ones are dropped"),
      corefile: { type: "raw", description: "the Corefile's text (default kubeadm's)", transform: (node: YamlNode) => ctx.inlineCorefile(node) },
      corefileFile: str("a Corefile to read, relative to the scenario file", { transform: (path: string) => ctx.corefileFile(path) }),
    },
    rules: [
      (dns: Record<string, any>, fail) => {
        if (dns.corefile !== undefined && dns.corefileFile !== undefined) fail(["corefileFile"], "give corefile or corefileFile, not both");
      },
    ],
    transform: ({ corefileFile, ...dns }: Record<string, any>) => (corefileFile === undefined ? dns : { ...dns, corefile: corefileFile }),
  };
}

function clusterSchema(ctx: SchemaContext): ObjectSchema {
  return {
    type: "object",
    fields: {
      name: str("the cluster's name", { required: true, format: FORMATS.dnsLabel }),
      region: str("its region, e.g. us-east-1", { required: true }),
      zones: { ...names("zones of the region it has nodes in"), required: true, unique: [{ by: (zone: string) => zone, what: "zone" }] },
      nodesPerZone: { type: "integer", min: 1, max: 1000, default: 1, description: "nodes in each zone" },
      network: str("the flat network its pods are on (default: default); clusters on different networks reach each other only through external addresses", {
        format: NETWORK_NAME,
      }),
      podCidr: str("pod range (default: the next free /16 from 10.10.0.0)", { format: CIDR }),
      serviceCidr: str("service range (default: the next free /16 from 10.100.0.0)", { format: CIDR }),
      domain: str("the cluster domain (default cluster.local)", { format: FORMATS.dnsSubdomain }),
      nodeSearch: { type: "array", items: { type: "string", format: FORMATS.dnsName }, description: "search domains of the nodes' resolv.conf, appended to pods'" },
      podStartup: { ...DISTRIBUTION, description: "from a pod's creation to it running and ready (default lognormal 1s, p99 3s)" },
      watchDelay: { ...DISTRIBUTION, description: "how long API changes take to reach watchers" },
      dns: dnsSchema(ctx),
    },
  };
}

/** A federation zone template: a DNS name with `{cluster}` in it, so that each member's zones are its own. */
const ZONE_TEMPLATE: Format = {
  expected: "a DNS name with {cluster} in it, e.g. {cluster}.local or {cluster}.example.com",
  pattern: "^([a-z0-9{}]([-a-z0-9{}]*[a-z0-9{}])?)(\\.[a-z0-9{}]([-a-z0-9{}]*[a-z0-9{}])?)*\\.?$",
  problem: (text) => (!text.includes(CLUSTER_PLACEHOLDER) ? "every member would answer for the same zone and forward it to the others, a loop" : null),
};

/** An Istio version, `major.minor[.patch]`. */
const ISTIO_VERSION: Format = { expected: "an Istio version such as 1.24.0", pattern: "^\\d+\\.\\d+(\\.\\d+)?$", problem: (text) => (/^\d+\.\d+(\.\d+)?$/.test(text) ? null : "") };

/** `spec.patterns`: the cross-cluster patterns. */
function patternsSchema(ctx: SchemaContext): ObjectSchema {
  return {
    type: "object",
    description: "cross-cluster patterns that wire the clusters together",
    default: {},
    fields: {
      cilium: {
        type: "object",
        description: "Cilium ClusterMesh (mesh.md §6): global Services' backends synced across the members, connections balanced in the client's node",
        fields: {
          clusters: {
            type: "array",
            default: [],
            unique: [{ by: (c: { name: string }) => c.name, what: "cluster" }],
            description: "the members (default: every cluster, with IDs 1, 2, … in order); they must share one network",
            items: {
              type: "object",
              fields: {
                name: ref(ctx, "cluster", "a cluster", { required: true }),
                id: { type: "integer", min: 1, max: MAX_CLUSTER_ID, description: `its cluster ID, unique in the mesh (default: its place in the list, from 1; at most ${MAX_CLUSTER_ID})` },
              },
            },
          },
          cacheTTL: duration("clustermesh-cache-ttl: how long an unreachable cluster's backends are kept (default: for ever, Cilium's 0s)", { min: 1 }),
          syncDelay: { ...DISTRIBUTION, description: "from a change in a member's API to its clustermesh-apiserver's watchers (default: the API's watch delay)" },
          keepaliveInterval: duration("etcd keepalive time: how often an agent pings each remote clustermesh-apiserver (Cilium: 15s)", { min: 1 }),
          keepaliveTimeout: duration("etcd keepalive timeout: an unanswered ping this long marks the cluster unreachable (Cilium: 25s)", { min: 1 }),
        },
      },
      mcs: {
        type: "object",
        description: "the Multi-Cluster Services API (mcs.md §1): a ClusterSet over the members, an MCS controller in each, clusterset.local in their DNS",
        fields: {
          clusters: { ...refs(ctx, "cluster", "the member clusters (default: all)"), min: 1, default: [], unique: [{ by: (name: string) => name, what: "cluster" }] },
          profile: str("the implementation: kep (the spec), lighthouse (Submariner, mcs.md §5) or gke (mcs.md §6)", { enum: [...PROFILE_NAMES], default: "kep" }),
          name: str("the clusterset's name", { default: "clusterset" }),
          syncPeriod: duration("how often each agent syncs with the hub, renewing its lease (profile's default: kep 1s, gke 5s)", { min: 1 }),
          leaseDuration: duration("how long a silent cluster keeps its endpoints in the others (profile's default: kep 10s, gke 60s)", { min: 1 }),
          initialPropagation: { ...DISTRIBUTION, description: "extra delay before a name's first import is published (gke: uniform 1m to 5m)" },
        },
      },
      mesh: {
        type: "object",
        description: "an Istio multi-cluster mesh (mesh.md §1.1): istiod in each primary watching the others' API servers, sidecars in injected namespaces",
        fields: {
          version: str("the Istio version: the proxies' VERSION and istioctl's layouts", { default: DEFAULT_ISTIO_VERSION, format: ISTIO_VERSION }),
          model: str("multi-primary (istiod in every member) or primary-remote (remotes use a primary's istiod)", { enum: ["multi-primary", "primary-remote"], default: "multi-primary" }),
          clusters: {
            type: "array",
            default: [],
            unique: [{ by: (c: { name: string }) => c.name, what: "cluster" }],
            description: "the members (default: every cluster, each a primary)",
            items: {
              type: "object",
              fields: {
                name: ref(ctx, "cluster", "a cluster", { required: true }),
                primary: ref(ctx, "cluster", "for a remote cluster (primary-remote), the primary whose istiod it uses"),
                network: str("its Istio network (topology.istio.io/network); default the cluster's network"),
                trustDomain: str("the trust domain of its workloads (default cluster.local)", { format: FORMATS.dnsSubdomain }),
                eastWestGateway: { type: "boolean", description: "install an east-west gateway (mesh.md §1.3) in it; default: when the members span more than one network" },
                rootCA: str("the root CA its certificates chain to (default: one root every member shares); members with different roots fail each other's mTLS (mesh.md §3.5)"),
              },
            },
          },
          injection: {
            type: "object",
            default: { namespaces: [] },
            description: "sidecar injection",
            fields: { namespaces: { type: "array", items: { type: "string", format: FORMATS.dnsLabel }, default: [], description: "namespaces labelled istio-injection=enabled in every member" } },
          },
          connectTimeout: duration("the upstream connect timeout (mesh default 10s)", { min: 1 }),
          dnsCapture: { type: "boolean", description: "ISTIO_META_DNS_CAPTURE in every proxy's metadata: the sidecars' DNS proxy answers the mesh's names (mesh.md §4)" },
          dnsAutoAllocate: { type: "boolean", description: "ISTIO_META_DNS_AUTO_ALLOCATE in every proxy's metadata: ServiceEntries without addresses get one from 240.240.0.0/16 (mesh.md §4)" },
        },
      },
      linkerd: {
        type: "object",
        description: "Linkerd multicluster (mesh.md §5): the control plane and a linkerd-gateway in each member, a Link and a service mirror per link, proxies in injected namespaces, linkerd-failover",
        fields: {
          version: str("the Linkerd version (the proxy image's tag)", { default: DEFAULT_LINKERD_VERSION }),
          clusters: {
            type: "array",
            default: [],
            unique: [{ by: (c: { name: string }) => c.name, what: "cluster" }],
            description: "the members (default: every cluster)",
            items: {
              type: "object",
              fields: {
                name: ref(ctx, "cluster", "a cluster", { required: true }),
                trustAnchor: str("the root its identities chain to; linked clusters must share it (default root.linkerd.cluster.local)"),
              },
            },
          },
          links: {
            type: "array",
            default: [],
            unique: [{ by: (l: { from: string; to: string }) => `${l.from}>${l.to}`, what: "link" }],
            description: "linkerd multicluster link: the cluster `from` mirrors the Services `to` exports",
            items: {
              type: "object",
              fields: {
                from: ref(ctx, "cluster", "the source cluster, where the Link and the service mirror are", { required: true }),
                to: ref(ctx, "cluster", "the target cluster, whose exported Services are mirrored", { required: true }),
              },
            },
          },
          injection: {
            type: "object",
            default: { namespaces: [] },
            description: "proxy injection",
            fields: { namespaces: { type: "array", items: { type: "string", format: FORMATS.dnsLabel }, default: [], description: "namespaces annotated linkerd.io/inject: enabled in every member" } },
          },
        },
      },
      dnsFederation: {
        type: "object",
        description: "DNS federation (dns.md §4.2): each cluster's DNS exposed on a LoadBalancer address, and a server block per other cluster's zone forwarding to it",
        fields: {
          clusters: { ...refs(ctx, "cluster", "the member clusters (default: all)"), min: 2, default: [], unique: [{ by: (name: string) => name, what: "cluster" }] },
          zones: {
            type: "array",
            items: str("", { format: ZONE_TEMPLATE }),
            min: 1,
            default: [`${CLUSTER_PLACEHOLDER}.local`],
            unique: [{ by: (zone: string) => zone, what: "zone" }],
            description: "the zones each member answers for, {cluster} standing for its name (default [{cluster}.local])",
          },
          answer: str("how a member answers for a zone that is not its cluster domain: zone (an extra zone of its kubernetes plugin) or rewrite (rewrite name suffix … answer auto)", {
            enum: ["zone", "rewrite"],
            default: "zone",
          }),
          cache: { type: "integer", min: 0, default: 30, description: "the stub blocks' cache, in seconds (0: none)" },
          serveStale: duration("serve expired answers this long when the other cluster cannot be reached (cache serve_stale)", { min: 1 }),
          forward: {
            type: "object",
            default: {},
            description: "the stub blocks' forward settings",
            fields: {
              maxFails: count("failed health checks before the other cluster's DNS is marked down (CoreDNS: 2)"),
              healthCheck: duration("how often a failed upstream is probed (CoreDNS: 500ms)", { min: 1 }),
              expire: duration("how long cached connections live (CoreDNS: 10s)", { min: 1 }),
              forceTcp: { type: "boolean", description: "forward over TCP whatever the client used" },
            },
          },
        },
      },
    },
  };
}

/** `cluster: a` or `clusters: [a, b]`, as a list. */
const clustersOf = (value: { cluster?: string; clusters?: string[] }): string[] => value.clusters ?? [value.cluster!];

function manifestSchema(ctx: SchemaContext, description: string): ObjectSchema {
  return {
    type: "object",
    description,
    fields: {
      cluster: ref(ctx, "cluster", "the cluster"),
      clusters: { ...refs(ctx, "cluster", "the clusters"), unique: [{ by: (name: string) => name, what: "cluster" }] },
      file: str("a YAML file of Kubernetes objects, relative to the scenario file", { transform: (path: string) => ctx.manifestFile(path) }),
      inline: { type: "raw", description: "Kubernetes YAML written here (a block: inline: |)", transform: (node: YamlNode) => ctx.inlineManifests(node) },
    },
    oneOf: { fields: ["file", "inline"], what: "source of manifests", several: "give each its own entry" },
    rules: [
      (m: Record<string, any>, fail) => {
        if (m.cluster === undefined && m.clusters === undefined) fail(["cluster"], "required: the cluster to apply them to (cluster: NAME, or clusters: [A, B])");
        if (m.cluster !== undefined && m.clusters !== undefined) fail(["clusters"], "give cluster or clusters, not both");
      },
    ],
    transform: (m: Record<string, any>) => ({ clusters: clustersOf(m), ...(m.file ?? m.inline) }),
  };
}

const POD_FIELDS = {
  namespace: str("the namespace", { default: "default", format: FORMATS.dnsLabel }),
  pod: str("a pod's name", { format: FORMATS.dnsSubdomain }),
  labels: labels("pods with these labels"),
} satisfies Record<string, Schema>;

/** The methods a request stream may use. */
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
/** A request stream's timeout when it gives none: bounded, so that a hung call is counted within the run. */
const DEFAULT_REQUEST_TIMEOUT: Micros = 10_000_000;

/**
 * `spec.apps`: what the pods serve. The manifests say what runs where; an app says how the
 * process in the pods it selects behaves: the ports it listens on (default: their TCP
 * containerPorts), its workers, service time and queue, and the status it answers with.
 */
const appSchema = (ctx: SchemaContext): ObjectSchema => ({
  type: "object",
  fields: {
    name: str("the app's name", { required: true }),
    cluster: ref(ctx, "cluster", "the cluster its pods run in", { required: true }),
    namespace: POD_FIELDS.namespace,
    labels: labels("its pods: those with these labels (default: every pod of the namespace)"),
    ports: { type: "array", items: port(""), min: 1, unique: [{ by: (p: number) => String(p), what: "port" }], description: "the ports it listens on (default: the pods' TCP containerPorts)" },
    workers: count("requests each pod serves at once (default 8)", 1),
    serviceTime: { ...DISTRIBUTION, description: "time to serve one request (default lognormal, median 1ms, p99 5ms)" },
    queueLimit: count("requests waiting beyond the workers before new ones are dropped (default 1000)"),
    status: httpStatus("the status of a normal answer (default 200)"),
  },
  transform: (a: Record<string, any>) => ({
    name: a.name,
    cluster: a.cluster,
    namespace: a.namespace,
    ...(a.labels ? { labels: a.labels } : {}),
    ...(a.ports ? { ports: a.ports } : {}),
    ...(a.workers !== undefined || a.serviceTime || a.queueLimit !== undefined
      ? {
          service: {
            workers: a.workers ?? DEFAULT_APP_SERVICE.workers,
            serviceTime: a.serviceTime ?? DEFAULT_APP_SERVICE.serviceTime,
            queueLimit: a.queueLimit ?? DEFAULT_APP_SERVICE.queueLimit,
          },
        }
      : {}),
    ...(a.status !== undefined ? { status: a.status } : {}),
  }),
});

const streamSchema = (ctx: SchemaContext): ObjectSchema => ({
  type: "object",
  fields: {
    name: str("the stream's name, used by expectations and the report", { required: true }),
    pattern: str("the cross-cluster pattern it goes through, for the report's side-by-side table of patterns", { enum: [...PATTERN_NAMES] }),
    from: {
      type: "object",
      required: true,
      description: "the client pods: by name or labels, created if asked",
      fields: {
        cluster: ref(ctx, "cluster", "the cluster", { required: true }),
        ...POD_FIELDS,
        create: {
          type: "object",
          description: "create the client pods (named pod, or pod-0, pod-1, … for several) before the run",
          fields: {
            image: str("their image; it picks the resolver (busybox and alpine: musl; others: glibc)", { default: "debian:12" }),
            replicas: { type: "integer", min: 1, max: 10_000, default: 1 },
          },
        },
      },
      rules: [
        (f: Record<string, any>, fail) => {
          if (f.pod === undefined && f.labels === undefined) fail(["pod"], "name the client pods: pod or labels");
          if (f.create && f.pod === undefined) fail(["pod"], "required with create: it names the pods created");
        },
      ],
    },
    resolve: {
      type: "union",
      description: "look this name up, as the pod's libc does (getaddrinfo); or a list of names, one picked at random each time",
      options: [
        { type: "string", transform: (name: string) => [name] },
        { type: "array", items: { type: "string" }, min: 1 },
      ],
    },
    request: str("call this URL (http://host[:port][/path]) without a sidecar: its host looked up through the pod's resolver, a cluster IP reached through kube-proxy", {
      transform: (url: string) => {
        try {
          parseUrl(url);
        } catch (e) {
          if (e instanceof UrlError) throw new ValueError(e.message);
          throw e;
        }
        return url;
      },
    }),
    method: str("the request's method (request; default GET)", { enum: [...HTTP_METHODS] }),
    timeout: duration("the whole call's limit: lookup, connect and response (request; default 10s)", { min: 1 }),
    connectTimeout: duration("the limit on connecting, from the first SYN (request; default 10s, the mesh's connectTimeout)", { min: 1 }),
    type: str("records asked for: A, AAAA, or both as getaddrinfo does by default (resolve; default A+AAAA)", { enum: ["A", "AAAA", "A+AAAA"] }),
    resolver: str("the client's resolver (default: by image)", { enum: [...BEHAVIOURS] }),
    arrival: str("when actions start: poisson or constant at rate, or closed (concurrency loops with think time)", {
      enum: ["poisson", "constant", "closed"],
      default: "poisson",
    }),
    rate: { type: "number", min: 0, exclusiveMin: true, max: 1e7, description: "actions per simulated second (poisson, constant)" },
    concurrency: { type: "integer", min: 1, max: 100_000, description: "loops in flight (closed)" },
    think: { ...DISTRIBUTION, description: "pause between an answer and the next action (closed; default 0)" },
    start: duration("when the stream starts (default 0)"),
    end: duration("when it stops (default: the end of the run)"),
  },
  oneOf: { fields: ["resolve", "request"], what: "action", several: "give each its own stream" },
  rules: [
    (s: Record<string, any>, fail) => {
      for (const field of s.request === undefined ? ["method", "timeout", "connectTimeout"] : ["type"]) {
        if (s[field] !== undefined) fail([field], `only with ${s.request === undefined ? "request" : "resolve"}`);
      }
      const closed = s.arrival === "closed";
      if (!closed && s.rate === undefined) fail(["rate"], `required with arrival ${s.arrival}`);
      if (closed && s.concurrency === undefined) fail(["concurrency"], "required with arrival closed");
      if (closed && s.rate !== undefined) fail(["rate"], "a closed loop has no rate: its pace is set by concurrency and think");
      if (!closed && (s.concurrency !== undefined || s.think !== undefined)) fail([s.concurrency !== undefined ? "concurrency" : "think"], `only with arrival closed, not ${s.arrival}`);
      if (s.end !== undefined && s.end <= (s.start ?? 0)) fail(["end"], `must be after start (${formatDuration(s.start ?? 0)})`);
    },
  ],
  transform: (s: Record<string, any>) => {
    const arrival: Arrival =
      s.arrival === "closed"
        ? { kind: "closed", concurrency: s.concurrency, think: s.think ?? { kind: "constant", value: 0 } }
        : { kind: s.arrival, rate: s.rate };
    const resolver = s.resolver ? { resolver: s.resolver } : {};
    return {
      name: s.name,
      ...(s.pattern !== undefined ? { pattern: s.pattern } : {}),
      from: s.from,
      action:
        s.request !== undefined
          ? { kind: "request", url: s.request, method: s.method ?? "GET", timeout: s.timeout ?? DEFAULT_REQUEST_TIMEOUT, ...(s.connectTimeout !== undefined ? { connectTimeout: s.connectTimeout } : {}), ...resolver }
          : { kind: "resolve", names: s.resolve, type: s.type ?? "A+AAAA", ...resolver },
      arrival,
      start: s.start ?? 0,
      // The end of the run is filled in by the spec's rule, which knows the duration.
      end: s.end ?? -1,
    };
  },
});

/** Hosts a network fault applies to: a cluster's name, or a selector. */
const netTarget = (ctx: SchemaContext): Schema => ({
  type: "union",
  description: "a cluster's name, or a selector of hosts by clusters, regions, zones, nodes, networks, hosts",
  options: [
    {
      type: "string",
      transform: (cluster: string): HostSelector => {
        ctx.checkDefined("cluster", cluster);
        return { clusters: [cluster] };
      },
    },
    {
      type: "object",
      fields: {
        clusters: refs(ctx, "cluster", "hosts of these clusters"),
        regions: refs(ctx, "region", "hosts in these regions"),
        zones: refs(ctx, "zone", "hosts in these zones"),
        // Node names are made when the world is built (<cluster>-<zone>-<n>): checked then.
        nodes: names("hosts on these nodes"),
        networks: refs(ctx, "network", "hosts on these networks"),
        hosts: names("these hosts, by name or address"),
        except: { type: "raw", description: "a selector of hosts to leave out" },
      },
      transform: (s: Record<string, any>) => {
        if (s.except === undefined) return s;
        throw new ValueError("except is not supported in scenario selectors; list what to include instead");
      },
    },
  ],
});

/**
 * Which way a network fault applies. Partitions and holds cut both ways unless told otherwise (a
 * partition between A and B, as turmoil has it); delay, loss and duplication affect messages from
 * `from` to `to`, as Chaos Mesh's NetworkChaos does by default.
 */
const direction = (fallback: "to" | "both"): StringSchema =>
  str(`which way: to (from → to), from (to → from) or both (default ${fallback})`, { enum: ["to", "from", "both"], default: fallback });

const netFault = (ctx: SchemaContext, description: string, fallback: "to" | "both", extra: Record<string, Schema> = {}): ObjectSchema => ({
  type: "object",
  description,
  fields: { from: { ...netTarget(ctx), required: true }, to: { ...netTarget(ctx), required: true }, direction: direction(fallback), ...extra },
});

/** Pods, as Chaos Mesh selects them. */
const podTarget = (ctx: SchemaContext, description: string): ObjectSchema => ({
  type: "object",
  description,
  fields: {
    cluster: ref(ctx, "cluster", "the cluster", { required: true }),
    ...POD_FIELDS,
    mode: str("one (a random pod), all, fixed (value pods) or fixed-percent (value percent)", {
      enum: ["one", "all", "fixed", "fixed-percent"],
      default: "one",
    }),
    value: { type: "number", min: 0, description: "pods (fixed) or percent (fixed-percent)" },
  },
  rules: [
    (t: Record<string, any>, fail) => {
      if (t.pod === undefined && t.labels === undefined) fail(["labels"], "name the pods: pod or labels");
      if ((t.mode === "fixed" || t.mode === "fixed-percent") && t.value === undefined) fail(["value"], `required with mode ${t.mode}`);
      if (t.mode === "fixed" && !Number.isInteger(t.value)) fail(["value"], `a number of pods: a whole number, not ${t.value}`);
      if (t.mode === "fixed-percent" && t.value > 100) fail(["value"], "a percent: at most 100");
    },
  ],
});

/**
 * A DNSChaos pattern, checked as DnsChaos checks it when the fault starts (by adding it to a table
 * of its own), so that a bad one is reported where it is written rather than in the middle of a run.
 */
const DNS_CHAOS_PATTERN: StringSchema = {
  type: "string",
  transform: (pattern: string) => {
    try {
      new DnsChaos().add({ action: "error", patterns: [pattern] });
    } catch (e) {
      if (e instanceof DnsChaosError) throw new ValueError(e.message);
      throw e;
    }
    return pattern;
  },
};

/** A member of the MCS clusterset, for `join` and `leave` (the loader checks that it is one). */
const mcsMember = (ctx: SchemaContext, description: string): ObjectSchema => ({
  type: "object",
  description,
  fields: { cluster: ref(ctx, "cluster", "a member cluster of spec.patterns.mcs", { required: true }) },
});

/** Which fault actions can be reverted after `for`. */
const TIMED = new Set(["partition", "delay", "loss", "duplicate", "hold", "failure", "scale", "dnsChaos", "httpFault", "leave"]);

/** What an httpFault makes the apps do, in Istio's and Toxiproxy's words. */
const HTTP_FAULT_KINDS = ["abort", "reset", "hang", "delay"];

/** `httpFault`: the pods' apps misbehave, per request, with a percentage each. */
const httpFaultSchema = (ctx: SchemaContext): ObjectSchema => {
  const target = podTarget(ctx, "");
  return {
    type: "object",
    description: "the apps of the pods picked misbehave until the fault ends (Istio fault injection, Chaos Mesh HTTPChaos, Toxiproxy): answer with a status, reset, hang or delay, each for a percentage of requests",
    fields: {
      ...target.fields,
      port: port("only the app's server on this port (default: every port)"),
      abort: {
        type: "object",
        description: "answer with this status (Istio fault.abort)",
        fields: { httpStatus: httpStatus("the status", { required: true }), percentage: percentage("percent of requests (default 100)") },
      },
      reset: { type: "object", description: "reset the connection instead of answering (Toxiproxy reset_peer)", fields: { percentage: percentage("percent of requests (default 100)") } },
      hang: { type: "object", description: "never answer: the client times out (Toxiproxy timeout)", fields: { percentage: percentage("percent of requests (default 100)") } },
      delay: {
        type: "object",
        description: "answer this much later (Istio fault.delay)",
        fields: { fixedDelay: duration("the added delay", { required: true, min: 1 }), percentage: percentage("percent of requests (default 100)") },
      },
    },
    rules: [
      ...(target.rules ?? []),
      (f: Record<string, any>, fail) => {
        if (!HTTP_FAULT_KINDS.some((k) => f[k] !== undefined)) fail(["abort"], `say what goes wrong: one or more of ${HTTP_FAULT_KINDS.join(", ")}`);
      },
    ],
    transform: ({ port: only, abort, reset, hang, delay, ...pods }: Record<string, any>) => ({
      target: pods as PodTarget,
      ...(only !== undefined ? { port: only } : {}),
      fault: {
        ...(reset ? { reset: probability(reset) } : {}),
        ...(hang ? { hang: probability(hang) } : {}),
        ...(abort ? { abort: { status: abort.httpStatus, probability: probability(abort) } } : {}),
        ...(delay ? { delay: { delay: delay.fixedDelay, probability: probability(delay) } } : {}),
      } satisfies HttpFault,
    }),
  };
};

function faultSchema(ctx: SchemaContext): ObjectSchema {
  const fields: Record<string, Schema> = {
    name: str("a name for the fault, unique; expectations use it for phases (default: <action>@<at>)"),
    at: duration("when it starts", { required: true }),
    for: duration("how long it lasts; it is reverted after (default: to the end)", { min: 1 }),
    partition: netFault(ctx, "messages between from and to are lost", "both"),
    heal: str("end a partition: all of them, or the fault of this name"),
    delay: netFault(ctx, "messages from from to to are delayed, as netem does", "to", {
      latency: duration("added delay", { required: true }),
      jitter: duration("plus a draw from [-jitter, +jitter]", { default: 0 }),
      correlation: percent("percent each draw leans on the one before"),
    }),
    loss: netFault(ctx, "a percent of messages from from to to are lost", "to", {
      loss: { type: "number", min: 0, max: 100, required: true, description: "percent lost" },
      correlation: percent("percent each draw leans on the one before"),
    }),
    duplicate: netFault(ctx, "a percent of messages from from to to arrive twice", "to", {
      duplicate: { type: "number", min: 0, max: 100, required: true, description: "percent duplicated" },
      correlation: percent("percent each draw leans on the one before"),
    }),
    hold: netFault(ctx, "messages between from and to wait until released", "both"),
    release: str("release held messages: all, or those of the hold of this name"),
    kill: podTarget(ctx, "delete pods (Chaos Mesh pod-kill); a Deployment's or StatefulSet's come back"),
    failure: podTarget(ctx, "pods stop answering and are not ready (Chaos Mesh pod-failure), until the fault ends"),
    scale: {
      type: "object",
      description: "set a workload's replicas",
      fields: {
        cluster: ref(ctx, "cluster", "the cluster", { required: true }),
        kind: str("the workload's kind", { enum: ["Deployment", "StatefulSet"], default: "Deployment" }),
        namespace: POD_FIELDS.namespace,
        name: str("the workload's name", { required: true }),
        replicas: { type: "integer", min: 0, max: 10_000, required: true },
      },
    },
    dnsChaos: {
      type: "object",
      description: "the cluster's CoreDNS answers matching A/AAAA queries with an error or a random address (Chaos Mesh DNSChaos)",
      fields: {
        cluster: ref(ctx, "cluster", "the cluster whose DNS misbehaves", { required: true }),
        action: str("error (SERVFAIL) or random (a random address)", { enum: ["error", "random"], required: true }),
        patterns: { type: "array", items: DNS_CHAOS_PATTERN, default: [], description: "names, with ? for one character and a trailing * (default: every name)" },
        from: {
          type: "object",
          description: "only queries from these pods (default: every client)",
          fields: POD_FIELDS,
        },
      },
    },
    httpFault: httpFaultSchema(ctx),
    apply: manifestSchema(ctx, "apply manifests (create or update)"),
    delete: {
      type: "object",
      description: "delete an object",
      fields: {
        cluster: ref(ctx, "cluster", "the cluster", { required: true }),
        kind: str("the object's kind, e.g. Service", { required: true, enum: Object.keys(API_VERSIONS) }),
        namespace: POD_FIELDS.namespace,
        name: str("the object's name", { required: true }),
      },
    },
    leave: mcsMember(ctx, "the cluster leaves the clusterset of spec.patterns.mcs: its MCS agent stops, and its endpoints leave the other members once its lease expires; with for, it joins again after"),
    join: mcsMember(ctx, "a member of spec.patterns.mcs that left joins the clusterset again: its agent syncs its exports and imports afresh"),
  };
  const actions = Object.keys(fields).filter((f) => !["name", "at", "for"].includes(f));
  return {
    type: "object",
    fields,
    oneOf: { fields: actions, what: "fault action", several: "split them into separate entries at the same time" },
    rules: [
      (f: Record<string, any>, fail) => {
        const action = actions.find((a) => f[a] !== undefined)!;
        if (f.for !== undefined && !TIMED.has(action)) fail(["for"], `${action} happens at one instant and has no duration; remove for`);
      },
    ],
    transform: (f: Record<string, any>) => {
      const kind = actions.find((a) => f[a] !== undefined)!;
      const v = f[kind];
      let action: FaultAction;
      switch (kind) {
        case "heal":
        case "release":
          action = { kind, ...(v === "all" ? {} : { fault: v }) };
          break;
        case "kill":
        case "failure":
          action = { kind, target: v as PodTarget };
          break;
        case "scale":
          action = { kind, cluster: v.cluster, workload: v.kind, namespace: v.namespace, name: v.name, replicas: v.replicas };
          break;
        case "delete":
          action = { kind, cluster: v.cluster, object: { kind: v.kind, namespace: v.namespace, name: v.name } };
          break;
        case "apply":
        case "httpFault":
          action = { kind, ...v };
          break;
        default:
          action = { kind, ...v } as FaultAction;
      }
      return { name: f.name ?? `${kind}@${formatDuration(f.at)}`, at: f.at, ...(f.for !== undefined ? { for: f.for } : {}), action };
    },
  };
}

/**
 * The codes a lookup ends with (`outcomeCode` in traffic.ts): a response code, NODATA, TIMEOUT, or
 * ERROR when no query could be sent. A misspelt one would count nothing, so it is refused.
 */
const OUTCOME_CODES = ["NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "REFUSED", "TIMEOUT", "FORMERR", "NOTIMP", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "ERROR"];
const OUTCOME_CODE: Format = {
  expected: `a lookup's outcome: ${OUTCOME_CODES.join(", ")}, or RCODE_<n> for another response code`,
  pattern: `^(${OUTCOME_CODES.join("|")}|RCODE_\\d+)$`,
  problem: (text) => {
    if (OUTCOME_CODES.includes(text) || /^RCODE_\d+$/.test(text)) return null;
    const guess = didYouMean(text, OUTCOME_CODES);
    return guess ? `did you mean ${JSON.stringify(guess)}?` : "";
  },
};

const RANGE = (what: string) => ({
  atLeast: bound(`${what} must be at least this`),
  atMost: bound(`${what} must be at most this`),
});

/** The checks an expectation may make, one each. */
const CHECKS = ["latency", "successRatio", "count", "rcode", "queriesPerLookup", "status", "error"];

/** An expectation of `spec.expect`, shared with the lab file's `expect` checks. */
export const EXPECTATION: ObjectSchema = {
  type: "object",
  fields: {
    description: str("what it checks, in words (default: made from the rest)"),
    stream: str("the stream it looks at", { required: true }),
    window: {
      type: "object",
      description: "only actions started in this window (default: the whole run after warmup)",
      fields: { from: duration("from"), to: duration("to") },
    },
    to: {
      type: "object",
      description: "only actions bound for one cluster: requests served by its endpoints, lookups answered with its addresses",
      fields: { cluster: str("the cluster", { required: true }) },
    },
    fault: str("with phase: the fault whose phase it looks at"),
    phase: str("only actions started before, during or after the fault", { enum: ["before", "during", "after"] }),
    latency: {
      type: "object",
      description: "a latency percentile of successful actions below a bound, above one, or between",
      fields: {
        percentile: { type: "number", min: 0, exclusiveMin: true, max: 100, required: true, description: "e.g. 50, 99, 99.9; 100 is the maximum" },
        below: duration("it must be less than this"),
        above: duration("it must be more than this"),
      },
      rules: [
        (l: Record<string, any>, fail) => {
          if (l.below === undefined && l.above === undefined) fail(["below"], "give below, above or both");
          if (l.below !== undefined && l.above !== undefined && l.above >= l.below) fail(["above"], "must be less than below");
        },
      ],
    },
    successRatio: { type: "object", description: "the fraction of actions that succeeded, 0 to 1", fields: RANGE("the ratio") },
    count: { type: "object", description: "how many actions there were", fields: RANGE("the count") },
    rcode: {
      type: "object",
      description: "how many lookups ended with this code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT, …",
      fields: { code: str("the code", { required: true, format: OUTCOME_CODE }), ...RANGE("the count") },
    },
    queriesPerLookup: { type: "object", description: "DNS queries sent per lookup, on average", fields: RANGE("the mean") },
    status: {
      type: "object",
      description: "how many calls of a request stream ended with this HTTP status",
      fields: { code: httpStatus("the status", { required: true }), ...RANGE("the count") },
    },
    error: {
      type: "object",
      description: "how many calls of a request stream ended in this error kind, with no response",
      fields: { kind: str("the error kind", { required: true, enum: [...ERROR_KINDS] }), ...RANGE("the count") },
      transform: ({ kind, ...range }: Record<string, any>) => ({ error: kind, ...range }),
    },
  },
  oneOf: { fields: CHECKS, what: "check", several: "split them into separate expectations" },
  rules: [
    (e: Record<string, any>, fail) => {
      if ((e.fault === undefined) !== (e.phase === undefined)) fail([e.fault === undefined ? "fault" : "phase"], "fault and phase go together: phase: during, fault: NAME");
      if (e.window && e.fault !== undefined) fail(["window"], "give a window or a fault's phase, not both");
      for (const check of CHECKS.slice(1)) {
        const c = e[check];
        if (!c) continue;
        if (c.atLeast === undefined && c.atMost === undefined) fail([check], "give atLeast, atMost or both");
        if (check === "successRatio" && (c.atLeast > 1 || c.atMost > 1)) fail([check, c.atLeast > 1 ? "atLeast" : "atMost"], "a ratio is at most 1");
      }
    },
  ],
  transform: (e: Record<string, any>) => {
    const kind = CHECKS.find((k) => e[k] !== undefined)!;
    const check = { kind, ...e[kind] } as ExpectCheck;
    const window: ExpectWindow = e.fault !== undefined
      ? { kind: "phase", fault: e.fault, phase: e.phase }
      : e.window
        ? { kind: "window", from: e.window.from ?? 0, to: e.window.to ?? -1 }
        : { kind: "run" };
    const to: { cluster: string } | undefined = e.to;
    return { stream: e.stream, window, check, ...(to ? { to } : {}), description: e.description ?? describeExpectation(e.stream, window, check, to?.cluster) };
  },
};

/** `p99 latency of local < 5ms during partition@20s`; with `to`, `count of web to west >= 100 during cut`. */
export function describeExpectation(stream: string, window: ExpectWindow, check: ExpectCheck, to?: string): string {
  const range = (what: string, c: { atLeast?: number; atMost?: number }) =>
    c.atLeast !== undefined && c.atMost !== undefined
      ? `${c.atLeast} <= ${what} <= ${c.atMost}`
      : c.atLeast !== undefined
        ? `${what} >= ${c.atLeast}`
        : `${what} <= ${c.atMost}`;
  if (to !== undefined) stream = `${stream} to ${to}`;
  let text: string;
  switch (check.kind) {
    case "latency":
      text = `${check.percentile === 100 ? "max" : `p${check.percentile}`} latency of ${stream}`;
      if (check.above !== undefined) text = `${text} > ${formatDuration(check.above)}`;
      if (check.below !== undefined) text = `${text}${check.above !== undefined ? " and" : ""} < ${formatDuration(check.below)}`;
      break;
    case "successRatio":
      text = range(`success ratio of ${stream}`, check);
      break;
    case "count":
      text = range(`count of ${stream}`, check);
      break;
    case "rcode":
      text = range(`${check.code} count of ${stream}`, check);
      break;
    case "queriesPerLookup":
      text = range(`queries per lookup of ${stream}`, check);
      break;
    case "status":
      text = range(`${check.code} count of ${stream}`, check);
      break;
    case "error":
      text = range(`${check.error} count of ${stream}`, check);
      break;
  }
  if (window.kind === "phase") return `${text} ${window.phase} ${window.fault}`;
  if (window.kind === "window") return `${text} from ${formatDuration(window.from)}${window.to >= 0 ? ` to ${formatDuration(window.to)}` : ""}`;
  return text;
}

/** The scenario document's schema; `rules` checks what refers to what across the file. */
export function scenarioSchema(ctx: SchemaContext, rules: readonly Rule<any>[] = []): ObjectSchema {
  return {
    type: "object",
    description: "an mcsim scenario: clusters, manifests, traffic, faults and expectations",
    fields: {
      apiVersion: str("the scenario format's version", { enum: [SCENARIO_API_VERSION], required: true }),
      kind: str("always Scenario", { enum: ["Scenario"], required: true }),
      metadata: {
        type: "object",
        required: true,
        fields: { name: str("the scenario's name", { required: true }), description: str("what it shows") },
      },
      spec: {
        type: "object",
        required: true,
        fields: {
          seed: { type: "integer", min: 0, max: Number.MAX_SAFE_INTEGER, default: 1, description: "the seed every random draw derives from" },
          duration: duration("simulated length of the run", { required: true, min: 1 }),
          warmup: duration("the start of the run left out of measurements", { default: 0 }),
          network: networkSchema(ctx),
          clusters: { type: "array", items: clusterSchema(ctx), min: 1, required: true, unique: [{ by: (c) => c.name, what: "cluster name" }] },
          patterns: patternsSchema(ctx),
          manifests: { type: "array", items: manifestSchema(ctx, "Kubernetes objects applied before the run starts"), default: [] },
          apps: { type: "array", items: appSchema(ctx), default: [], unique: [{ by: (a) => a.name, what: "app name" }] },
          traffic: { type: "array", items: streamSchema(ctx), default: [], unique: [{ by: (s) => s.name, what: "stream name" }] },
          faults: { type: "array", items: faultSchema(ctx), default: [], unique: [{ by: (f) => f.name, what: "fault name" }] },
          expect: { type: "array", items: EXPECTATION, default: [] },
        },
        rules,
      },
    },
  };
}

/** The scenario file's JSON Schema (draft-07), made from the same definition the loader validates with. */
export function scenarioJsonSchema(): JsonSchema {
  const unread = (): never => {
    throw new Error("the JSON Schema is made without reading files");
  };
  const body = toJsonSchema(scenarioSchema({ manifestFile: unread, inlineManifests: unread, corefileFile: unread, inlineCorefile: unread, checkDefined: unread }));
  return { $schema: "http://json-schema.org/draft-07/schema#", $id: "https://mcsim.dev/schema/scenario-v1alpha1.json", title: "mcsim scenario", ...body };
}
