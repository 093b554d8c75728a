/**
 * Loading Kubernetes manifests: the multi-document YAML people already write, checked the way the
 * API server checks it (required fields, types, enumerations, names, ports, cross-field rules),
 * with the API server's defaults applied. Every problem is a {@link ManifestError} naming the file,
 * the document, the line and column, and the field path.
 *
 * Each kind is described by a schema (see `schema.ts`) in {@link KIND_SCHEMAS}; a new kind is a new
 * entry there (and its type in `objects.ts`).
 */
import {
  ANNOTATIONS,
  LABELS,
  META_UNSUPPORTED,
  PORT,
  boolean,
  defaulted,
  integer,
  labelSelector,
  list,
  metadata,
  nonEmpty,
  oneOf,
  ownerReference,
  prefixOf,
  q,
  required,
  servedVersion,
  string,
  toStorageVersion,
} from "./fields.js";
import { ISTIO_SCHEMAS } from "./istio-manifest.js";
import { LINKERD_SCHEMAS } from "./linkerd-manifest.js";
import { matchesSelector } from "./labels.js";
import {
  API_VERSIONS,
  SERVED_VERSIONS,
  type ClusterProperty,
  type ServiceExport,
  type ServiceImport,
  type ServiceImportPort,
  type Condition,
  type ConfigMap,
  type Container,
  type ContainerPort,
  type Deployment,
  type Endpoint,
  type EndpointConditions,
  type EndpointPort,
  type EndpointSlice,
  type EnvVar,
  type K8sObject,
  type Kind,
  type LabelSelector,
  type Namespace,
  type ObjectReference,
  type Pod,
  type PodDNSConfig,
  type PodDNSConfigOption,
  type PodSpec,
  type PodStatus,
  type PodTemplateSpec,
  type Probe,
  type ResourceRequirements,
  type Secret,
  type Service,
  type ServicePort,
  type ServiceSpec,
  type ServiceStatus,
  type StatefulSet,
} from "./objects.js";
import {
  FORMATS,
  LocatedError,
  describe,
  didYouMean,
  ipFamily,
  joinPath,
  object,
  readYamlDocuments,
  validate,
  type Fail,
  type Format,
  type IntOrStringSchema,
  type ObjectSchema,
  type PathSegment,
  type Rule,
  type StringMapSchema,
  type YamlNode,
} from "./schema.js";

/**
 * A manifest that cannot be loaded. The message reads
 * `manifests/app.yaml:14:7 (document 2): spec.ports[0].port: expected a number from 1 to 65535, got "http"`.
 */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
  constructor(
    /** The file as the caller named it. */
    readonly file: string,
    /** 1-based: the first document of the file (before or without a `---`) is document 1. */
    readonly document: number,
    /** 1-based. */
    readonly line: number,
    /** 1-based. */
    readonly column: number,
    /** The field path (`spec.ports[0].port`; inside a `kind: List`, `items[2].spec…`); empty for the document itself. */
    readonly path: string,
    /** What is wrong, without the place. */
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column} (document ${document}): ${path ? `${path}: ` : ""}${detail}`);
  }
}

/**
 * Reads the Kubernetes objects of a YAML file: `---`-separated documents, empty documents skipped,
 * `kind: List` expanded into its items, each object checked against its kind's schema and
 * defaulted as the API server defaults it (namespace `default`, Service `type: ClusterIP`, port
 * `protocol: TCP`, `targetPort` = `port`, `replicas: 1`, `dnsPolicy: ClusterFirst`). What the API
 * server assigns (uid, resourceVersion, clusterIP) is left for it to assign.
 *
 * The YAML is read as kubectl reads it (YAML 1.1: `yes` and `on` are booleans), so a label written
 * `enabled: yes` is refused here as the API server refuses it.
 *
 * @param file names the file in errors; nothing is read from it.
 * @throws ManifestError for the first problem in the file; never anything else.
 */
export function loadManifests(text: string, file: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of readYamlDocuments(text)) {
    try {
      const root = doc.read();
      if (root) objects.push(...loadObjects(root, ""));
    } catch (e) {
      if (e instanceof LocatedError) throw new ManifestError(file, doc.index, e.position.line, e.position.column, e.path, e.detail);
      throw e;
    }
  }
  return objects;
}

/** One document's objects: itself, or the items of a List. */
function loadObjects(node: YamlNode, path: string): K8sObject[] {
  if (node.kind !== "map") {
    throw new LocatedError(node.position, path, `expected a Kubernetes object (a map with apiVersion, kind and metadata), got ${describe(node)}`);
  }
  const field = (name: string) => node.entries.find((e) => e.key === name);
  const kindEntry = field("kind");
  if (!kindEntry || (kindEntry.value.kind === "scalar" && kindEntry.value.value === null)) {
    throw new LocatedError(node.position, joinPath(path, "kind"), "required field missing");
  }
  const kindNode = kindEntry.value;
  const kindPath = joinPath(path, "kind");
  if (kindNode.kind !== "scalar" || typeof kindNode.value !== "string") {
    throw new LocatedError(kindNode.position, kindPath, `expected the name of a kind such as Service, got ${describe(kindNode)}`);
  }
  const kind = kindNode.value;
  const known = [...Object.keys(KIND_SCHEMAS), "List"].sort();
  if (!known.includes(kind)) {
    const guess = didYouMean(kind, known);
    throw new LocatedError(
      kindNode.position,
      kindPath,
      `unknown kind ${JSON.stringify(kind)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ""}; mcsim knows ${known.join(", ")}`,
    );
  }
  const served = kind === "List" ? ["v1"] : SERVED_VERSIONS[kind as Kind];
  const want = served.map((v) => JSON.stringify(v)).join(" or ");
  const versionEntry = field("apiVersion");
  const versionPath = joinPath(path, "apiVersion");
  if (!versionEntry || (versionEntry.value.kind === "scalar" && versionEntry.value.value === null)) {
    throw new LocatedError(node.position, versionPath, `required field missing (${kind} is served at apiVersion ${served.join(" or ")})`);
  }
  const version = versionEntry.value;
  if (version.kind !== "scalar" || typeof version.value !== "string" || !served.includes(version.value)) {
    throw new LocatedError(version.position, versionPath, `expected ${want} for kind ${kind}, got ${describe(version)}`);
  }
  if (kind === "List") {
    const list = validate(node, LIST, path) as { items: YamlNode[] };
    return list.items.flatMap((item, i) => loadObjects(item, joinPath(joinPath(path, "items"), i)));
  }
  return [validate(node, KIND_SCHEMAS[kind as Kind], path) as K8sObject];
}

// ---------------------------------------------------------------------------------------------
// Formats and schemas of the core kinds

/** Empty (as `kubectl get -o yaml` writes an unnamed EndpointSlice port) or a DNS label. */
const optionalDnsLabel: Format = { expected: `empty or ${FORMATS.dnsLabel.expected}`, problem: (t) => (t === "" ? null : FORMATS.dnsLabel.problem(t)) };

/** `None` for a headless Service, empty to have one assigned, or an IP address. */
const clusterIPFormat: Format = {
  expected: "None, empty, or an IP address (e.g. 10.96.0.10 or fd00:10:96::a)",
  problem: (t) => (t === "None" || t === "" || ipFamily(t) ? null : ""),
};

const PORT_OR_NAME: IntOrStringSchema = {
  type: "intOrString",
  min: 1,
  max: 65535,
  format: FORMATS.portName,
  expected: "a port number from 1 to 65535 or a port name",
};
const PROTOCOL = defaulted(oneOf(["TCP", "UDP", "SCTP"]), "TCP");

type TemplateMeta = NonNullable<PodTemplateSpec["metadata"]>;

const templateMetadata = object<TemplateMeta>({
  fields: {
    name: string(FORMATS.dnsSubdomain),
    labels: LABELS,
    annotations: ANNOTATIONS,
    uid: string(),
    resourceVersion: string(),
    creationTimestamp: string(FORMATS.timestamp),
    ownerReferences: list(ownerReference),
    generateName: string(prefixOf(FORMATS.dnsSubdomain)),
  },
  unsupported: [...META_UNSUPPORTED, "namespace"],
});

// ---------------------------------------------------------------------------------------------
// selectors and conditions

const condition = object<Condition>({
  fields: {
    type: required(string(nonEmpty)),
    status: required(oneOf(["True", "False", "Unknown"])),
    reason: string(),
    message: string(),
    lastTransitionTime: string(FORMATS.timestamp),
  },
  unsupported: ["lastProbeTime", "observedGeneration"],
});

// ---------------------------------------------------------------------------------------------
// Pod

const containerPort = object<ContainerPort>({
  fields: { name: string(FORMATS.portName), containerPort: required(PORT), protocol: PROTOCOL },
  unsupported: ["hostPort", "hostIP"],
});

const envVar = object<EnvVar>({
  fields: { name: required(string(nonEmpty)), value: string() },
  unsupported: ["valueFrom"],
});

const QUANTITIES: StringMapSchema = { type: "stringMap", keys: FORMATS.qualifiedName, values: FORMATS.quantity, numbersAsStrings: true };

const resources = object<ResourceRequirements>({
  fields: { limits: QUANTITIES, requests: QUANTITIES },
  unsupported: ["claims"],
});

type HttpGet = NonNullable<Probe["httpGet"]>;
type TcpSocket = NonNullable<Probe["tcpSocket"]>;
type Exec = NonNullable<Probe["exec"]>;
type Grpc = NonNullable<Probe["grpc"]>;
const HANDLERS = ["httpGet", "tcpSocket", "exec", "grpc"] as const;

const probe = object<Probe>({
  fields: {
    httpGet: object<HttpGet>({
      fields: { path: string(), port: required(PORT_OR_NAME), host: string(), scheme: oneOf(["HTTP", "HTTPS"]) },
      unsupported: ["httpHeaders"],
    }),
    tcpSocket: object<TcpSocket>({ fields: { port: required(PORT_OR_NAME), host: string() } }),
    exec: object<Exec>({ fields: { command: list(string()) } }),
    grpc: object<Grpc>({ fields: { port: required(PORT), service: string() } }),
    initialDelaySeconds: integer(0),
    periodSeconds: integer(1),
    timeoutSeconds: integer(1),
    successThreshold: integer(1),
    failureThreshold: integer(1),
  },
  unsupported: ["terminationGracePeriodSeconds"],
  rules: [
    (p, fail) => {
      const given = HANDLERS.filter((h) => p[h] !== undefined);
      if (given.length === 0) fail([], `needs one of ${HANDLERS.join(", ")}`);
      if (given.length > 1) fail([given[1]!], `may not be given with ${given[0]}: a probe has one handler`);
    },
  ],
});

const container = object<Container>({
  fields: {
    name: required(string(FORMATS.dnsLabel)),
    image: required(string(nonEmpty)),
    ports: list(containerPort, { unique: [{ by: (p: ContainerPort) => p.name, what: "port name" }] }),
    command: list(string()),
    args: list(string()),
    imagePullPolicy: oneOf(["Always", "IfNotPresent", "Never"]),
    env: list(envVar),
    resources,
    readinessProbe: probe,
    livenessProbe: probe,
  },
  unsupported: ["volumeMounts", "volumeDevices", "securityContext", "startupProbe", "lifecycle", "envFrom", "workingDir", "stdin", "stdinOnce",
    "tty", "terminationMessagePath", "terminationMessagePolicy", "resizePolicy", "restartPolicy"],
  rules: [
    (c, fail) => {
      if (c.livenessProbe?.successThreshold !== undefined && c.livenessProbe.successThreshold !== 1) {
        fail(["livenessProbe", "successThreshold"], "must be 1 for a liveness probe");
      }
    },
  ],
});

const dnsConfig = object<PodDNSConfig>({
  fields: {
    nameservers: list(string(FORMATS.ip), { max: 3 }),
    searches: list(string(FORMATS.dnsName), { max: 32 }),
    options: list(object<PodDNSConfigOption>({ fields: { name: required(string(nonEmpty)), value: string() } })),
  },
});

const podSpec = object<PodSpec>({
  fields: {
    containers: required(list(container, { min: 1, unique: [{ by: (c: Container) => c.name, what: "container name" }] })),
    hostname: string(FORMATS.dnsLabel),
    subdomain: string(FORMATS.dnsLabel),
    setHostnameAsFQDN: boolean(),
    nodeName: string(FORMATS.dnsSubdomain),
    hostNetwork: boolean(),
    dnsPolicy: defaulted(oneOf(["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]), "ClusterFirst"),
    dnsConfig,
    serviceAccountName: string(FORMATS.dnsSubdomain),
    nodeSelector: LABELS,
    terminationGracePeriodSeconds: integer(0),
  },
  unsupported: ["volumes", "initContainers", "ephemeralContainers", "affinity", "tolerations", "topologySpreadConstraints", "securityContext",
    "restartPolicy", "imagePullSecrets", "priorityClassName", "priority", "preemptionPolicy", "schedulerName", "runtimeClassName",
    "enableServiceLinks", "automountServiceAccountToken", "serviceAccount", "hostAliases", "hostPID", "hostIPC", "shareProcessNamespace",
    "activeDeadlineSeconds", "readinessGates", "overhead", "os"],
  rules: [
    (spec, fail) => {
      // The API server: "must provide at least one DNS nameserver when DNSPolicy is None".
      if (spec.dnsPolicy === "None" && !spec.dnsConfig?.nameservers?.length) {
        fail(["dnsConfig", "nameservers"], "at least one nameserver is required when dnsPolicy is None");
      }
    },
  ],
});

/** Two addresses of a dual-stack list must be one of each family; `at` says where address i is. */
function dualStack(addresses: readonly string[], at: (i: number) => readonly PathSegment[], fail: Fail): void {
  if (addresses.length === 2 && ipFamily(addresses[0]!) === ipFamily(addresses[1]!)) {
    fail(at(1), `two addresses must be one IPv4 and one IPv6 (dual-stack); both are ${ipFamily(addresses[0]!)}`);
  }
}

const podStatus = object<PodStatus>({
  fields: {
    phase: oneOf(["Pending", "Running", "Succeeded", "Failed", "Unknown"]),
    podIP: string(FORMATS.ip),
    podIPs: list(object<{ ip: string }>({ fields: { ip: required(string(FORMATS.ip)) } }), { max: 2 }),
    hostIP: string(FORMATS.ip),
    conditions: list(condition, { unique: [{ by: (c: Condition) => c.type, what: "condition type" }] }),
  },
  unsupported: ["containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses", "hostIPs", "startTime", "qosClass", "message", "reason",
    "nominatedNodeName", "resize", "resourceClaimStatuses", "observedGeneration"],
  rules: [
    (s, fail) => {
      const ips = (s.podIPs ?? []).map((p) => p.ip);
      if (s.podIP !== undefined && ips.length > 0 && ips[0] !== s.podIP) fail(["podIPs", 0, "ip"], `must equal podIP (${q(s.podIP)})`);
      dualStack(ips, (i) => ["podIPs", i, "ip"], fail);
    },
  ],
});

const pod = object<Pod>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.Pod])),
    kind: required(oneOf(["Pod"])),
    metadata: required(metadata("Pod", FORMATS.dnsSubdomain)),
    spec: required(podSpec),
    status: podStatus,
  },
});

// ---------------------------------------------------------------------------------------------
// Service

const servicePort = object<ServicePort>({
  fields: {
    name: string(FORMATS.dnsLabel),
    protocol: PROTOCOL,
    port: required(PORT),
    targetPort: PORT_OR_NAME,
    nodePort: PORT,
    appProtocol: string(FORMATS.qualifiedName),
  },
  // The API server's default: a Service port forwards to the same port on the pods.
  finish: (p: ServicePort) => {
    p.targetPort ??= p.port;
  },
});

const serviceRules: Rule<ServiceSpec>[] = [
  (spec, fail) => {
    const headless = spec.clusterIP === "None";
    if (!spec.ports?.length && !headless && spec.type !== "ExternalName") {
      fail(["ports"], "required unless clusterIP is None (headless) or type is ExternalName");
    }
    const ports = spec.ports ?? [];
    ports.forEach((p, i) => {
      if (ports.length > 1 && p.name === undefined) fail(["ports", i, "name"], "required when a Service has more than one port");
      if (p.nodePort !== undefined && spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
        fail(["ports", i, "nodePort"], `may not be set when type is ${spec.type}`);
      }
    });
  },
  (spec, fail) => {
    const ips = spec.clusterIPs ?? [];
    if (spec.type === "ExternalName") {
      if (spec.clusterIP) fail(["clusterIP"], "may not be set when type is ExternalName");
      if (ips.length) fail(["clusterIPs"], "may not be set when type is ExternalName");
    }
    if (spec.clusterIP === "None" && (spec.type === "NodePort" || spec.type === "LoadBalancer")) {
      fail(["clusterIP"], `may not be None when type is ${spec.type}`);
    }
    // An empty clusterIP means "assign one", and the API server then takes clusterIPs[0].
    if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) fail(["clusterIPs", 0], `must equal clusterIP (${q(spec.clusterIP)})`);
    ips.forEach((ip, i) => {
      if (ip === "") fail(["clusterIPs", i], "expected an IP address or None, got \"\"");
      if (ip === "None" && ips.length > 1) fail(["clusterIPs", i], "None must be the only entry");
    });
    if (ips[0] !== "None") dualStack(ips, (i) => ["clusterIPs", i], fail);
    const families = spec.ipFamilies ?? [];
    ips.forEach((ip, i) => {
      const family = ipFamily(ip);
      if (family && families[i] !== undefined && families[i] !== family) {
        fail(["ipFamilies", i], `is ${families[i]} but clusterIPs[${i}] (${q(ip)}) is ${family}`);
      }
    });
    if (spec.ipFamilyPolicy === "SingleStack") {
      if (families.length > 1) fail(["ipFamilies", 1], "a SingleStack Service has one IP family");
      if (ips.length > 1) fail(["clusterIPs", 1], "a SingleStack Service has one cluster IP");
    }
    if (spec.externalTrafficPolicy !== undefined && spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
      fail(["externalTrafficPolicy"], `may only be set when type is NodePort or LoadBalancer, not ${spec.type}`);
    }
  },
];

const serviceSpec = object<ServiceSpec>({
  fields: {
    type: defaulted(oneOf(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]), "ClusterIP"),
    selector: LABELS,
    ports: list(servicePort, {
      unique: [
        { by: (p: ServicePort) => p.name, what: "port name" },
        { by: (p: ServicePort) => `${p.port}/${p.protocol}`, what: "port and protocol" },
      ],
    }),
    clusterIP: string(clusterIPFormat),
    clusterIPs: list(string(clusterIPFormat), { max: 2 }),
    ipFamilies: list(oneOf(["IPv4", "IPv6"]), { max: 2, unique: [{ by: (f: string) => f, what: "IP family" }] }),
    ipFamilyPolicy: oneOf(["SingleStack", "PreferDualStack", "RequireDualStack"]),
    externalName: { ...string(FORMATS.dnsName), required: { when: (s: ServiceSpec) => s.type === "ExternalName", because: "type is ExternalName" } },
    publishNotReadyAddresses: boolean(),
    sessionAffinity: oneOf(["None", "ClientIP"]),
    internalTrafficPolicy: oneOf(["Cluster", "Local"]),
    externalTrafficPolicy: oneOf(["Cluster", "Local"]),
  },
  unsupported: ["loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass", "externalIPs", "sessionAffinityConfig", "healthCheckNodePort",
    "allocateLoadBalancerNodePorts", "trafficDistribution", "topologyKeys"],
  rules: serviceRules,
});

type LoadBalancerStatus = NonNullable<ServiceStatus["loadBalancer"]>;
type LoadBalancerIngress = NonNullable<LoadBalancerStatus["ingress"]>[number];

const serviceStatus = object<ServiceStatus>({
  fields: {
    loadBalancer: object<LoadBalancerStatus>({
      fields: {
        ingress: list(
          object<LoadBalancerIngress>({
            fields: { ip: string(FORMATS.ip), hostname: string(FORMATS.dnsSubdomain) },
            unsupported: ["ipMode", "ports"],
          }),
        ),
      },
    }),
  },
  unsupported: ["conditions"],
});

const service = object<Service>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.Service])),
    kind: required(oneOf(["Service"])),
    metadata: required(metadata("Service", FORMATS.dns1035Label)),
    spec: required(serviceSpec),
    status: serviceStatus,
  },
});

// ---------------------------------------------------------------------------------------------
// EndpointSlice

const objectReference = object<ObjectReference>({
  fields: {
    kind: required(string(nonEmpty)),
    name: required(string(nonEmpty)),
    namespace: string(FORMATS.dnsLabel),
    uid: string(),
  },
  unsupported: ["apiVersion", "resourceVersion", "fieldPath"],
});

const endpoint = object<Endpoint>({
  fields: {
    addresses: required(list(string(nonEmpty), { min: 1, max: 100 })),
    conditions: object<EndpointConditions>({ fields: { ready: boolean(), serving: boolean(), terminating: boolean() } }),
    hostname: string(FORMATS.dnsLabel),
    nodeName: string(FORMATS.dnsSubdomain),
    zone: string(),
    targetRef: objectReference,
  },
  unsupported: ["deprecatedTopology", "hints"],
});

const endpointPort = object<EndpointPort>({
  fields: { name: string(optionalDnsLabel), protocol: PROTOCOL, port: PORT, appProtocol: string(FORMATS.qualifiedName) },
});

const ADDRESS_FORMATS: Readonly<Record<EndpointSlice["addressType"], Format>> = {
  IPv4: FORMATS.ipv4,
  IPv6: FORMATS.ipv6,
  FQDN: FORMATS.dnsSubdomain,
};

/**
 * An EndpointSlice. The label `kubernetes.io/service-name` ties a slice to its Service (it is how
 * kube-proxy and CoreDNS find a selector-less Service's hand-written slices); like the API server,
 * the loader does not require it, since a slice may exist before or without its Service.
 */
const endpointSlice = object<EndpointSlice>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.EndpointSlice])),
    kind: required(oneOf(["EndpointSlice"])),
    metadata: required(metadata("EndpointSlice", FORMATS.dnsSubdomain)),
    addressType: required(oneOf(["IPv4", "IPv6", "FQDN"])),
    // `endpoints: null` is valid (a slice with no endpoints yet); the type says a list.
    endpoints: defaulted(list(endpoint, { max: 1000 }), []),
    ports: list(endpointPort, { max: 100, unique: [{ by: (p: EndpointPort) => p.name ?? "", what: "port name" }] }),
  },
  rules: [
    (slice, fail) => {
      const format = ADDRESS_FORMATS[slice.addressType];
      slice.endpoints.forEach((e, i) =>
        e.addresses.forEach((address, j) => {
          if (format.problem(address) !== null) {
            fail(["endpoints", i, "addresses", j], `expected ${format.expected} since addressType is ${slice.addressType}, got ${q(address)}`);
          }
        }),
      );
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Namespace, ConfigMap, Secret

const namespace = object<Namespace>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.Namespace])),
    kind: required(oneOf(["Namespace"])),
    metadata: required(metadata("Namespace", FORMATS.dnsLabel)),
  },
  unsupported: ["spec", "status"],
});

const configMap = object<ConfigMap>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.ConfigMap])),
    kind: required(oneOf(["ConfigMap"])),
    metadata: required(metadata("ConfigMap", FORMATS.dnsSubdomain)),
    data: { type: "stringMap", keys: FORMATS.configMapKey, maxSize: 1024 * 1024 },
  },
  unsupported: ["binaryData", "immutable"],
});

/**
 * Standard base64 with padding, as the API server decodes `data` (Go's encoding/json for []byte,
 * which skips line breaks).
 */
const base64: Format = {
  expected: "base64 (as `base64` writes it: A-Z, a-z, 0-9, '+' and '/', padded with '=' to a multiple of 4)",
  problem(text) {
    const compact = text.replace(/[\r\n]/g, "");
    const bad = compact.search(/[^A-Za-z0-9+/=]/);
    if (bad >= 0) return `illegal base64 data at input byte ${bad}; write a value in stringData to have it encoded`;
    if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return "it is not padded to a multiple of 4 characters, or has '=' inside";
    return null;
  },
};

/** The keys the API server requires in a Secret of each type (k8s.io/kubernetes pkg/apis/core/validation ValidateSecret). */
const SECRET_TYPE_KEYS: Readonly<Record<string, readonly string[]>> = {
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
};

/** The API server's limit on a Secret's data, decoded (MaxSecretSize). */
const MAX_SECRET_BYTES = 1024 * 1024;

const SECRET_DATA: StringMapSchema = { type: "stringMap", keys: FORMATS.configMapKey, values: base64 };

/**
 * A Secret. `stringData` is checked here and merged into `data` by the API server on write (see
 * `Secret`), so a loaded Secret still has it; the type's required keys may come from either.
 */
const secret = object<Secret>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.Secret])),
    kind: required(oneOf(["Secret"])),
    metadata: required(metadata("Secret", FORMATS.dnsSubdomain)),
    type: string(),
    data: SECRET_DATA,
    stringData: { type: "stringMap", keys: FORMATS.configMapKey },
  },
  unsupported: ["immutable"],
  // `type: ""` is defaulted as an absent type is.
  finish: (s: Secret) => {
    if (!s.type) s.type = "Opaque";
  },
  rules: [
    (s, fail) => {
      const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
      for (const key of Object.hasOwn(SECRET_TYPE_KEYS, s.type!) ? SECRET_TYPE_KEYS[s.type!]! : []) if (!keys.has(key)) fail(["data"], `a Secret of type ${s.type} needs the key ${q(key)}`);
      if (s.type === "kubernetes.io/service-account-token" && s.metadata.annotations?.["kubernetes.io/service-account.name"] === undefined) {
        fail(["metadata", "annotations"], `a Secret of type ${s.type} needs the annotation "kubernetes.io/service-account.name"`);
      }
      let bytes = 0;
      for (const [key, value] of Object.entries(s.data ?? {})) if (s.stringData?.[key] === undefined) bytes += Buffer.byteLength(value, "base64");
      for (const value of Object.values(s.stringData ?? {})) bytes += Buffer.byteLength(value, "utf8");
      if (bytes > MAX_SECRET_BYTES) fail([], `its data is ${bytes} bytes; a Secret holds at most ${MAX_SECRET_BYTES}`);
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Deployment, StatefulSet

const podTemplate = object<PodTemplateSpec>({
  fields: { metadata: templateMetadata, spec: required(podSpec) },
});

/** The API server's checks of a workload's selector against its pod template. */
function workloadRules(kind: string): Rule<{ selector: LabelSelector; template: PodTemplateSpec }>[] {
  return [
    (spec, fail) => {
      const s = spec.selector;
      if (!Object.keys(s.matchLabels ?? {}).length && !(s.matchExpressions ?? []).length) {
        fail(["selector"], `an empty selector is invalid for a ${kind}: it would select every pod`);
      }
      if (!matchesSelector(spec.template.metadata?.labels, s)) {
        fail(["template", "metadata", "labels"], "`selector` does not match template `labels`");
      }
    },
  ];
}

const WORKLOAD_STATUS = object<NonNullable<Deployment["status"]>>({
  fields: { replicas: integer(0), readyReplicas: integer(0) },
  unsupported: ["observedGeneration", "updatedReplicas", "availableReplicas", "unavailableReplicas", "terminatingReplicas", "currentReplicas",
    "currentRevision", "updateRevision", "collisionCount", "conditions"],
});

const deployment = object<Deployment>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.Deployment])),
    kind: required(oneOf(["Deployment"])),
    metadata: required(metadata("Deployment", FORMATS.dnsSubdomain)),
    spec: required(
      object<Deployment["spec"]>({
        fields: { replicas: defaulted(integer(0), 1), selector: required(labelSelector), template: required(podTemplate) },
        unsupported: ["strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"],
        rules: workloadRules("Deployment"),
      }),
    ),
    status: WORKLOAD_STATUS,
  },
});

const statefulSet = object<StatefulSet>({
  fields: {
    apiVersion: required(oneOf([API_VERSIONS.StatefulSet])),
    kind: required(oneOf(["StatefulSet"])),
    metadata: required(metadata("StatefulSet", FORMATS.dnsSubdomain)),
    spec: required(
      object<StatefulSet["spec"]>({
        fields: {
          replicas: defaulted(integer(0), 1),
          // The governing headless Service: its name is the pods' DNS subdomain, so a DNS label.
          serviceName: required(string(FORMATS.dnsLabel)),
          selector: required(labelSelector),
          template: required(podTemplate),
        },
        unsupported: ["volumeClaimTemplates", "podManagementPolicy", "updateStrategy", "revisionHistoryLimit", "minReadySeconds",
          "persistentVolumeClaimRetentionPolicy", "ordinals"],
        rules: workloadRules("StatefulSet"),
      }),
    ),
    status: WORKLOAD_STATUS,
  },
});

// ---------------------------------------------------------------------------------------------
// Multi-Cluster Services (mcs-api v0.5.0's CRDs) and the About API's ClusterProperty

const CONDITIONS = list(condition, { unique: [{ by: (c: Condition) => c.type, what: "condition type" }] });

const serviceExport = object<ServiceExport>({
  fields: {
    apiVersion: servedVersion("ServiceExport"),
    kind: required(oneOf(["ServiceExport"])),
    // Name-mapped to its Service, so a Service's name format.
    metadata: required(metadata("ServiceExport", FORMATS.dns1035Label)),
    spec: object<NonNullable<ServiceExport["spec"]>>({ fields: { exportedLabels: LABELS, exportedAnnotations: ANNOTATIONS } }),
    status: object<NonNullable<ServiceExport["status"]>>({ fields: { conditions: CONDITIONS } }),
  },
  finish: toStorageVersion,
});

const serviceImportPort = object<ServiceImportPort>({
  fields: { name: string(optionalDnsLabel), protocol: PROTOCOL, appProtocol: string(FORMATS.qualifiedName), port: required(PORT) },
});

type ServiceImportSpec = ServiceImport["spec"];

const serviceImport = object<ServiceImport>({
  fields: {
    apiVersion: servedVersion("ServiceImport"),
    kind: required(oneOf(["ServiceImport"])),
    metadata: required(metadata("ServiceImport", FORMATS.dns1035Label)),
    spec: required(
      object<ServiceImportSpec>({
        fields: {
          ports: required(
            list(serviceImportPort, {
              unique: [
                { by: (p: ServiceImportPort) => p.name ?? "", what: "port name" },
                { by: (p: ServiceImportPort) => `${p.port}/${p.protocol}`, what: "port and protocol" },
              ],
            }),
          ),
          ips: list(string(FORMATS.ip), { max: 2 }),
          type: required(oneOf(["ClusterSetIP", "Headless"])),
          sessionAffinity: oneOf(["None", "ClientIP"]),
          sessionAffinityConfig: object<NonNullable<ServiceImportSpec["sessionAffinityConfig"]>>({
            fields: { clientIP: object<{ timeoutSeconds?: number }>({ fields: { timeoutSeconds: integer(1, 86_400) } }) },
          }),
          ipFamilies: list(oneOf(["IPv4", "IPv6"]), { max: 2, unique: [{ by: (f: string) => f, what: "IP family" }] }),
          internalTrafficPolicy: oneOf(["Cluster", "Local"]),
          trafficDistribution: string(nonEmpty),
        },
        rules: [
          (spec, fail) => {
            if (spec.type === "Headless" && (spec.ips ?? []).length > 0) fail(["ips"], "a Headless ServiceImport has no clusterset IPs");
          },
        ],
      }),
    ),
    status: object<NonNullable<ServiceImport["status"]>>({
      fields: {
        clusters: list(object<{ cluster: string }>({ fields: { cluster: required(string(FORMATS.dnsLabel)) } }), {
          unique: [{ by: (c: { cluster: string }) => c.cluster, what: "cluster" }],
        }),
        conditions: CONDITIONS,
      },
      unsupported: ["endpointSliceObjects"],
    }),
  },
  finish: toStorageVersion,
});

const clusterProperty = object<ClusterProperty>({
  fields: {
    apiVersion: servedVersion("ClusterProperty"),
    kind: required(oneOf(["ClusterProperty"])),
    metadata: required(metadata("ClusterProperty", FORMATS.dnsSubdomain)),
    spec: required(object<ClusterProperty["spec"]>({ fields: { value: required(string(nonEmpty)) } })),
  },
  finish: toStorageVersion,
});

// ---------------------------------------------------------------------------------------------

/**
 * The schema of each kind mcsim knows. A kind added to `objects.ts` must be added here (the type
 * requires it); `apiVersion` and namespacing come from `API_VERSIONS` and `NAMESPACED` there.
 */
export const KIND_SCHEMAS: Readonly<Record<Kind, ObjectSchema>> = {
  Namespace: namespace,
  Pod: pod,
  Service: service,
  EndpointSlice: endpointSlice,
  ConfigMap: configMap,
  Secret: secret,
  Deployment: deployment,
  StatefulSet: statefulSet,
  ServiceExport: serviceExport,
  ServiceImport: serviceImport,
  ClusterProperty: clusterProperty,
  ...ISTIO_SCHEMAS,
  ...LINKERD_SCHEMAS,
};

/** `kind: List`, as `kubectl get -o yaml` writes several objects; its items are loaded one by one. */
const LIST = object<{ apiVersion: string; kind: string; metadata?: { resourceVersion?: string; continue?: string }; items: unknown[] }>({
  fields: {
    apiVersion: required(oneOf(["v1"])),
    kind: required(oneOf(["List"])),
    metadata: object<{ resourceVersion?: string; continue?: string }>({ fields: { resourceVersion: string(), continue: string() } }),
    items: required(list({ type: "raw" })),
  },
});
