/**
 * The schemas of Istio's kinds (see `istio.ts`): their CRDs' structural checks (types, enums,
 * required fields) and the checks Istio's validating webhook adds (istio/istio
 * pkg/config/validation), so that what Istio refuses on `kubectl apply` is refused when a manifest
 * is loaded, with the file, line and column.
 */
import { LABELS, PORT, boolean, integer, list, metadata, nonEmpty, number, oneOf, q, required, servedVersion, string, toStorageVersion } from "./fields.js";
import type {
  ConnectionPoolSettings,
  Destination,
  DestinationRule,
  Gateway,
  GatewayPort,
  GatewayServer,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRetry,
  HTTPRoute,
  HTTPRouteDestination,
  LoadBalancerSettings,
  LocalityLoadBalancerSetting,
  OutlierDetection,
  Percent,
  PeerAuthentication,
  ServiceEntry,
  ServiceEntryEndpoint,
  ServiceEntryPort,
  StringMatch,
  Subset,
  TrafficPolicy,
  VirtualService,
} from "./istio.js";
import { FORMATS, didYouMean, ipFamily, object, type DurationSchema, type Fail, type Format, type MapSchema, type ObjectSchema } from "./schema.js";
import { MILLISECOND } from "../sim/time.js";

// ---------------------------------------------------------------------------------------------
// Formats

/** Istio's durations: at least 1ms, to the millisecond (validation.ValidateDuration), kept as written. */
const DURATION: DurationSchema = { type: "duration", min: MILLISECOND, step: MILLISECOND, asWritten: true };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A host name with an optional wildcard first label, as Istio's ValidateWildcardDomain reads it. */
function wildcardDomainProblem(text: string): string | null {
  if (text === "*") return null;
  if (text.length > 255) return `it is ${text.length} characters long; the limit is 255`;
  const name = text.startsWith("*.") ? text.slice(2) : text;
  if (name.includes("*")) return "a wildcard may only be the whole first label ('*.example.com')";
  const bad = name.split(".").find((label) => !DNS_LABEL.test(label));
  return bad === undefined ? null : `${q(bad)} is not a DNS-1123 label`;
}

/** A route's host: a name, a wildcard domain, `*`, or an IP address. */
const HOST: Format = {
  expected: "a host: a short name (reviews), an FQDN (reviews.prod.svc.cluster.local), a wildcard (*.example.com, *) or an IP address",
  problem: (text) => (ipFamily(text) ? null : wildcardDomainProblem(text)),
};

/** A gateway server's host, optionally prefixed with the namespace whose routes may bind to it. */
const SERVER_HOST: Format = {
  expected: "a host, optionally prefixed with a namespace, '.' or '*' and '/' (istio-system/*.example.com, ./foo.com, */*)",
  problem(text) {
    const slash = text.indexOf("/");
    if (slash < 0) return wildcardDomainProblem(text);
    const ns = text.slice(0, slash);
    if (ns !== "*" && ns !== "." && !DNS_LABEL.test(ns)) return `the namespace ${q(ns)} is not '*', '.' or a DNS-1123 label`;
    return wildcardDomainProblem(text.slice(slash + 1));
  },
};

/** A VirtualService's gateway: `mesh`, or a Gateway's name, optionally with its namespace. */
const GATEWAY_NAME: Format = {
  expected: "mesh, or a Gateway as name or namespace/name",
  problem(text) {
    const parts = text.split("/");
    if (parts.length > 2) return "it has more than one '/'";
    if (parts.length === 2 && !DNS_LABEL.test(parts[0]!)) return `the namespace ${q(parts[0]!)} is not a DNS-1123 label`;
    return FORMATS.dnsSubdomain.problem(parts[parts.length - 1]!);
  },
};

const EXPORT_TO = list(
  string({ expected: "'.' (this namespace), '*' (all), '~' (none) or a namespace", problem: (t) => (t === "." || t === "*" || t === "~" ? null : FORMATS.dnsLabel.problem(t)) }),
  { unique: [{ by: (t: string) => t, what: "namespace" }] },
);

/** An address or a block of a ServiceEntry. */
const ADDRESS_OR_CIDR: Format = {
  expected: "an IP address or a CIDR block (e.g. 240.0.0.1 or 10.0.0.0/16)",
  problem(text) {
    const [address, bits, more] = text.split("/");
    const family = ipFamily(address!);
    if (!family || more !== undefined) return "";
    if (bits === undefined) return null;
    const max = family === "IPv4" ? 32 : 128;
    return /^\d+$/.test(bits) && Number(bits) <= max ? null : `the prefix length must be from 0 to ${max}`;
  },
};

/** The protocols Istio's protocol.Parse knows; it reads them in any case. */
const PROTOCOLS = ["HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "HTTP_PROXY", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP"];

const PROTOCOL: Format = {
  expected: `one of ${PROTOCOLS.join(", ")} (in any case)`,
  problem(text) {
    if (PROTOCOLS.includes(text.toUpperCase())) return null;
    const guess = didYouMean(text, PROTOCOLS);
    return guess ? `did you mean ${q(guess)}?` : "";
  },
};

/** Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on), as Istio's webhook accepts them. */
const RETRY_ON = [
  "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx", "refused-stream",
  "retriable-status-codes", "retriable-headers", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
  "resource-exhausted", "unavailable",
];

const RETRY_CONDITIONS: Format = {
  expected: "retry conditions separated by commas: Envoy's (5xx, gateway-error, connect-failure, ...) or HTTP status codes",
  problem(text) {
    for (const part of text.split(",")) {
      const p = part.trim();
      if (RETRY_ON.includes(p) || /^[1-5]\d\d$/.test(p)) continue;
      const guess = didYouMean(p, RETRY_ON);
      return `${q(p)} is neither a retry condition nor a status code${guess ? ` (did you mean ${q(guess)}?)` : ""}`;
    }
    return null;
  },
};

/** A regular expression. Istio's are RE2; JavaScript's syntax is close enough to catch the typos. */
const REGEX: Format = {
  expected: "a regular expression (RE2 syntax)",
  problem(text) {
    if (text === "") return "it is empty";
    try {
      new RegExp(text);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  },
};

const PORT_KEY: Format = {
  expected: "a port number from 1 to 65535",
  problem: (text) => (/^[1-9]\d*$/.test(text) && Number(text) <= 65535 ? null : ""),
};

const UINT32 = integer(0, 4_294_967_295);
const INT32 = integer(0, 2_147_483_647);
const PERCENT_INT = integer(0, 100);
const PERCENTAGE = object<Percent>({ fields: { value: number(0, 100) } });

// ---------------------------------------------------------------------------------------------
// VirtualService

const stringMatch = object<StringMatch>({
  fields: { exact: string(), prefix: string(), regex: string(REGEX) },
  oneOf: { fields: ["exact", "prefix", "regex"], what: "string match" },
});

const HEADERS: MapSchema = { type: "map", keys: { expected: "a header name", problem: (t) => (/^[-!#$%&'*+.^_`|~0-9A-Za-z:]+$/.test(t) ? null : "") }, values: stringMatch };

const httpMatch = object<HTTPMatchRequest>({
  fields: {
    name: string(),
    uri: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: HEADERS,
    port: PORT,
    sourceLabels: LABELS,
  },
  unsupported: ["scheme", "queryParams", "ignoreUriCase", "withoutHeaders", "gateways", "sourceNamespace", "statPrefix"],
});

const destination = object<Destination>({
  fields: {
    host: required(string(HOST)),
    subset: string(FORMATS.dnsLabel),
    port: object<{ number: number }>({ fields: { number: required(PORT) } }),
  },
});

const routeDestination = object<HTTPRouteDestination>({
  fields: { destination: required(destination), weight: INT32 },
  unsupported: ["headers"],
});

const retries = object<HTTPRetry>({
  fields: { attempts: INT32, perTryTimeout: DURATION, retryOn: string(RETRY_CONDITIONS), retryRemoteLocalities: boolean() },
  unsupported: ["retryIgnorePreviousHosts", "backoff"],
});

type Delay = NonNullable<HTTPFaultInjection["delay"]>;
type Abort = NonNullable<HTTPFaultInjection["abort"]>;

const fault = object<HTTPFaultInjection>({
  fields: {
    delay: object<Delay>({ fields: { fixedDelay: required(DURATION), percentage: PERCENTAGE }, unsupported: ["percent", "exponentialDelay"] }),
    // validateHTTPStatus: "HTTP status %d is not in range 200-599".
    abort: object<Abort>({ fields: { httpStatus: required(integer(200, 599)), percentage: PERCENTAGE }, unsupported: ["grpcStatus", "http2Error"] }),
  },
});

const httpRoute = object<HTTPRoute>({
  fields: {
    name: string(),
    match: list(httpMatch),
    // Required here because redirect, directResponse and delegate, the alternatives, are not modelled.
    route: required(list(routeDestination, { min: 1 })),
    timeout: DURATION,
    retries,
    fault,
  },
  // Weights need not sum to 100: Istio stopped requiring it and Envoy shares by relative weight.
  unsupported: ["redirect", "directResponse", "delegate", "rewrite", "mirror", "mirrors", "mirrorPercentage", "corsPolicy", "headers"],
});

const virtualService = object<VirtualService>({
  fields: {
    apiVersion: servedVersion("VirtualService"),
    kind: required(oneOf(["VirtualService"])),
    metadata: required(metadata("VirtualService", FORMATS.dnsSubdomain)),
    spec: required(
      object<VirtualService["spec"]>({
        fields: {
          hosts: required(list(string(HOST), { min: 1 })),
          gateways: list(string(GATEWAY_NAME)),
          http: list(httpRoute),
          exportTo: EXPORT_TO,
        },
        unsupported: ["tcp", "tls"],
      }),
    ),
  },
  unsupported: ["status"],
  finish: toStorageVersion,
});

// ---------------------------------------------------------------------------------------------
// DestinationRule

/** The topology labels `failover` already orders by (validateLocalityLbSetting). */
const TOPOLOGY_LABELS = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

const localityLbSetting = object<LocalityLoadBalancerSetting>({
  fields: {
    enabled: boolean(),
    failover: list(object<{ from: string; to: string }>({ fields: { from: required(string(nonEmpty)), to: required(string(nonEmpty)) } })),
    failoverPriority: list(string(nonEmpty)),
    distribute: list(
      object<{ from: string; to: Record<string, number> }>({
        fields: { from: required(string(nonEmpty)), to: required({ type: "map", values: integer(1, 100) }) },
        rules: [
          (d, fail) => {
            const total = Object.values(d.to).reduce((a, b) => a + b, 0);
            if (total !== 100) fail(["to"], `the weights total ${total}; they must total 100`);
          },
        ],
      }),
    ),
  },
  // Istio's webhook, validateLocalityLbSetting, in its words where it has them.
  rules: [
    (l, fail) => {
      if (l.distribute?.length && l.failover?.length) fail(["failover"], "can not simultaneously specify 'distribute' and 'failover'");
      if (l.failover?.length) {
        const topology = (l.failoverPriority ?? []).findIndex((p) => TOPOLOGY_LABELS.includes(p));
        if (topology >= 0) fail(["failoverPriority", topology], `can not simultaneously set 'failover' and topology label ${q(l.failoverPriority![topology]!)} in 'failoverPriority'`);
      }
      (l.failover ?? []).forEach((f, i) => {
        if (f.from === f.to) fail(["failover", i, "to"], "locality lb failover settings must specify different regions");
        if (`${f.from}${f.to}`.includes("/")) fail(["failover", i], "locality lb failover only specify region");
        if (`${f.from}${f.to}`.includes("*")) fail(["failover", i], "locality lb failover region should not contain '*' wildcard");
      });
    },
  ],
});

const loadBalancer = object<LoadBalancerSettings>({
  fields: {
    simple: oneOf(["UNSPECIFIED", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN"]),
    localityLbSetting,
  },
  unsupported: ["consistentHash", "warmupDurationSecs", "warmup"],
});

const outlierDetection = object<OutlierDetection>({
  fields: {
    consecutive5xxErrors: UINT32,
    consecutiveGatewayErrors: UINT32,
    interval: DURATION,
    baseEjectionTime: DURATION,
    maxEjectionPercent: PERCENT_INT,
    minHealthPercent: PERCENT_INT,
    splitExternalLocalOriginErrors: boolean(),
    consecutiveLocalOriginFailures: UINT32,
  },
  unsupported: ["consecutiveErrors"],
});

type TcpSettings = NonNullable<ConnectionPoolSettings["tcp"]>;
type HttpSettings = NonNullable<ConnectionPoolSettings["http"]>;

const connectionPool = object<ConnectionPoolSettings>({
  fields: {
    tcp: object<TcpSettings>({ fields: { maxConnections: INT32, connectTimeout: DURATION }, unsupported: ["tcpKeepalive", "maxConnectionDuration", "idleTimeout"] }),
    http: object<HttpSettings>({
      fields: { http1MaxPendingRequests: INT32, http2MaxRequests: INT32, maxRequestsPerConnection: INT32, maxRetries: INT32 },
      unsupported: ["idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams"],
    }),
  },
});

const trafficPolicy = object<TrafficPolicy>({
  fields: {
    loadBalancer,
    connectionPool,
    outlierDetection,
    tls: object<NonNullable<TrafficPolicy["tls"]>>({
      fields: { mode: oneOf(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]), sni: string() },
      unsupported: ["clientCertificate", "privateKey", "caCertificates", "credentialName", "subjectAltNames", "insecureSkipVerify", "caCrl"],
    }),
  },
  unsupported: ["portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"],
});

const subset = object<Subset>({
  fields: { name: required(string(FORMATS.dnsLabel)), labels: LABELS, trafficPolicy },
});

const destinationRule = object<DestinationRule>({
  fields: {
    apiVersion: servedVersion("DestinationRule"),
    kind: required(oneOf(["DestinationRule"])),
    metadata: required(metadata("DestinationRule", FORMATS.dnsSubdomain)),
    spec: required(
      object<DestinationRule["spec"]>({
        fields: {
          host: required(string(HOST)),
          trafficPolicy,
          subsets: list(subset, { unique: [{ by: (s: Subset) => s.name, what: "subset name" }] }),
          exportTo: EXPORT_TO,
        },
        unsupported: ["workloadSelector"],
      }),
    ),
  },
  unsupported: ["status"],
  finish: toStorageVersion,
});

// ---------------------------------------------------------------------------------------------
// ServiceEntry

const serviceEntryPort = object<ServiceEntryPort>({
  fields: { number: required(PORT), protocol: string(PROTOCOL), name: required(string(nonEmpty)), targetPort: PORT },
});

/** An endpoint's address: an IP, a host name, or a Unix socket. */
const ENDPOINT_ADDRESS: Format = {
  expected: "an IP address, a DNS name, or unix:///path",
  problem: (text) => (text.startsWith("unix://") || ipFamily(text) ? null : FORMATS.dnsName.problem(text)),
};

const serviceEntryEndpoint = object<ServiceEntryEndpoint>({
  fields: {
    address: string(ENDPOINT_ADDRESS),
    ports: { type: "map", values: PORT },
    labels: LABELS,
    network: string(),
    locality: string(),
    weight: UINT32,
    serviceAccount: string(),
  },
  rules: [
    (e, fail) => {
      if (e.address === undefined && e.network === undefined) fail(["address"], "required unless network is given (an endpoint reached through its network's gateway)");
    },
  ],
});

/** Istio's webhook, ValidateServiceEntry, in its words where it has them. */
function serviceEntryRules(spec: ServiceEntry["spec"], fail: Fail): void {
  const resolution = spec.resolution ?? "NONE";
  spec.hosts.forEach((h, i) => {
    if (h === "*") fail(["hosts", i], "a ServiceEntry may not have the host '*'");
  });
  (spec.addresses ?? []).forEach((a, i) => {
    if (a.includes("/") && resolution !== "NONE" && resolution !== "STATIC") fail(["addresses", i], "CIDR addresses are allowed only for NONE/STATIC resolution types");
  });
  const endpoints = spec.endpoints ?? [];
  if ((resolution === "DNS" || resolution === "DNS_ROUND_ROBIN") && endpoints.length === 0) {
    spec.hosts.forEach((h, i) => {
      if (h.includes("*")) fail(["hosts", i], `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
    });
  }
  if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) fail(["endpoints", 1], "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN");
  const names = new Set((spec.ports ?? []).map((p) => p.name));
  endpoints.forEach((e, i) => {
    if (resolution === "STATIC" && e.address !== undefined && !e.address.startsWith("unix://") && !ipFamily(e.address)) {
      fail(["endpoints", i, "address"], `endpoint address ${q(e.address)} is not a valid IP address, as resolution STATIC needs`);
    }
    for (const name of Object.keys(e.ports ?? {})) {
      if (!names.has(name)) fail(["endpoints", i, "ports", { key: name }], `endpoint port ${q(name)} is not defined by the service entry`);
    }
  });
}

const serviceEntry = object<ServiceEntry>({
  fields: {
    apiVersion: servedVersion("ServiceEntry"),
    kind: required(oneOf(["ServiceEntry"])),
    metadata: required(metadata("ServiceEntry", FORMATS.dnsSubdomain)),
    spec: required(
      object<ServiceEntry["spec"]>({
        fields: {
          hosts: required(list(string(HOST), { min: 1 })),
          addresses: list(string(ADDRESS_OR_CIDR)),
          ports: list(serviceEntryPort, {
            unique: [
              { by: (p: ServiceEntryPort) => String(p.number), what: "port number" },
              { by: (p: ServiceEntryPort) => p.name, what: "port name" },
            ],
          }),
          location: oneOf(["MESH_EXTERNAL", "MESH_INTERNAL"]),
          resolution: oneOf(["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"]),
          endpoints: list(serviceEntryEndpoint),
          exportTo: EXPORT_TO,
          subjectAltNames: list(string(nonEmpty)),
        },
        unsupported: ["workloadSelector"],
        rules: [serviceEntryRules],
      }),
    ),
  },
  unsupported: ["status"],
  finish: toStorageVersion,
});

// ---------------------------------------------------------------------------------------------
// Gateway

const gatewayPort = object<GatewayPort>({
  fields: { number: required(PORT), protocol: required(string(PROTOCOL)), name: string(), targetPort: PORT },
});

const server = object<GatewayServer>({
  fields: {
    port: required(gatewayPort),
    hosts: required(list(string(SERVER_HOST), { min: 1 })),
    tls: object<NonNullable<GatewayServer["tls"]>>({
      fields: {
        mode: oneOf(["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"]),
        credentialName: string(nonEmpty),
        httpsRedirect: boolean(),
      },
      unsupported: ["serverCertificate", "privateKey", "caCertificates", "caCrl", "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash",
        "minProtocolVersion", "maxProtocolVersion", "cipherSuites", "credentialNames", "tlsCertificates"],
    }),
    name: string(),
  },
  unsupported: ["bind", "defaultEndpoint"],
  rules: [
    (s, fail) => {
      const protocol = s.port.protocol.toUpperCase();
      // validateTLSOptions: HTTPS and TLS servers terminate or pass through TLS, so they say how.
      if ((protocol === "HTTPS" || protocol === "TLS") && s.tls?.mode === undefined) fail(["tls"], "server must have TLS settings for HTTPS/TLS protocols");
      const mode = s.tls?.mode;
      if ((mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") && s.tls?.credentialName === undefined) {
        fail(["tls", "credentialName"], `required when mode is ${mode} (mcsim does not model serverCertificate and privateKey)`);
      }
    },
  ],
});

const gateway = object<Gateway>({
  fields: {
    apiVersion: servedVersion("Gateway"),
    kind: required(oneOf(["Gateway"])),
    metadata: required(metadata("Gateway", FORMATS.dnsSubdomain)),
    spec: required(
      object<Gateway["spec"]>({
        // "gateway must have at least one server".
        fields: { selector: LABELS, servers: required(list(server, { min: 1 })) },
      }),
    ),
  },
  unsupported: ["status"],
  finish: toStorageVersion,
});

// ---------------------------------------------------------------------------------------------
// PeerAuthentication

const MTLS_MODE = oneOf(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);
const MTLS = object<{ mode?: string }>({ fields: { mode: MTLS_MODE } });

const peerAuthentication = object<PeerAuthentication>({
  fields: {
    apiVersion: servedVersion("PeerAuthentication"),
    kind: required(oneOf(["PeerAuthentication"])),
    metadata: required(metadata("PeerAuthentication", FORMATS.dnsSubdomain)),
    spec: object<NonNullable<PeerAuthentication["spec"]>>({
      fields: {
        selector: object<{ matchLabels?: Record<string, string> }>({ fields: { matchLabels: LABELS } }),
        mtls: MTLS,
        portLevelMtls: { type: "map", keys: PORT_KEY, values: MTLS },
      },
      rules: [
        (spec, fail) => {
          // The CRD's rule: per-port modes belong to the workloads a selector picks.
          if (spec.portLevelMtls && Object.keys(spec.portLevelMtls).length > 0 && !Object.keys(spec.selector?.matchLabels ?? {}).length) {
            fail(["portLevelMtls"], "portLevelMtls requires selector");
          }
        },
      ],
    }),
  },
  unsupported: ["status"],
  finish: toStorageVersion,
});

/** The schemas of Istio's kinds, for `KIND_SCHEMAS`. */
export const ISTIO_SCHEMAS = {
  VirtualService: virtualService,
  DestinationRule: destinationRule,
  ServiceEntry: serviceEntry,
  Gateway: gateway,
  PeerAuthentication: peerAuthentication,
} as const satisfies Record<string, ObjectSchema>;
