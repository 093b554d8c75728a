/**
 * mcsim's public API. Everything a program or a test needs is exported here by name; the
 * folders behind it are internal and may move.
 */

export { VERSION } from "./version.js";

// Kernel: time, scheduler, randomness, actors, trace.
export {
  type Micros,
  MICROSECOND,
  MILLISECOND,
  SECOND,
  MINUTE,
  HOUR,
  DURATION_FORMS,
  DurationError,
  parseDuration,
  formatDuration,
  ms,
  seconds,
} from "./sim/time.js";
export { Scheduler, Timer, type EventHandler, type RunResult, type StopReason, type SchedulerOptions } from "./sim/scheduler.js";
export { Rng, SeedError, type Seed } from "./sim/rng.js";
export {
  type Distribution,
  DistributionError,
  MAX_SAMPLE,
  constant,
  checkDistribution,
  sample,
  describeDistribution,
} from "./sim/distribution.js";
export {
  Actor,
  address,
  type Address,
  type ActorId,
  type Message,
  type MessageHandler,
  type ServiceModel,
  type Transport,
} from "./sim/actor.js";
export {
  Trace,
  TRACE_LEVELS,
  type TraceLevel,
  type TraceEvent,
  type TraceEventMap,
  type TraceHeader,
  type TraceSink,
  type TraceOptions,
} from "./sim/trace.js";
export { Sim, type SimOptions } from "./sim/sim.js";
export { Fifo } from "./sim/fifo.js";
export { checkDeterminism, firstDivergence, type Divergence } from "./sim/determinism.js";

// Network: topology, addressing, links, faults, delivery.
export { AddressError, Cidr, parseIpv4, formatIpv4 } from "./net/ip.js";
export {
  Topology,
  TopologyError,
  EXTERNAL_NETWORK,
  type Cluster,
  type ClusterSpec,
  type Node,
} from "./net/topology.js";
export {
  DEFAULT_LINKS,
  LINK_SCOPES,
  LinkError,
  checkLinkProfile,
  scopeBetween,
  type LinkProfile,
  type LinkScope,
} from "./net/link.js";
export { Host, type BoundAddress } from "./net/host.js";
export { selects, describeSelector, checkSelector, type HostSelector } from "./net/selector.js";
export {
  NetFault,
  type Direction,
  type NetFaultAction,
  type DelayParams,
  type LossParams,
  type DuplicateParams,
} from "./net/fault.js";
export {
  Network,
  type NetworkOptions,
  type NetworkStats,
  type HostSpec,
  type DropReason,
  type VirtualRoute,
} from "./net/network.js";

// Kubernetes: objects, API server, controllers, kube-proxy, clusters.
export type * from "./k8s/objects.js";
export { NAMESPACED, API_VERSIONS, SERVED_VERSIONS, MCS_API_VERSION, ABOUT_API_VERSION } from "./k8s/objects.js";
export type * from "./k8s/istio.js";
export { ISTIO_NETWORKING_VERSION, ISTIO_SECURITY_VERSION } from "./k8s/istio.js";
export {
  ApiServer,
  ApiError,
  RESOURCES,
  INITIAL_NAMESPACES,
  type Admission,
  type ApiReason,
  type ApiServerOptions,
  type WatchEvent,
} from "./k8s/apiserver.js";
export { ClusterIpAllocator, clusterIpAdmission } from "./k8s/ipam.js";
export { matchesLabels, matchesSelector } from "./k8s/labels.js";
export { formatTimestamp, parseTimestamp, SIM_EPOCH_UTC, SIM_EPOCH_UNIX_SECONDS } from "./k8s/timestamp.js";
export { Kubelet, type ContainerFactory, type KubeletOptions, type PodContext, type Process } from "./k8s/kubelet.js";
export {
  EndpointSliceController,
  SERVICE_NAME_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY,
  MAX_ENDPOINTS_PER_SLICE,
} from "./k8s/endpointslices.js";
export { WorkloadController, POD_TEMPLATE_HASH, STATEFULSET_POD_NAME } from "./k8s/workloads.js";
export { KubeProxy } from "./k8s/kube-proxy.js";
export { LoadBalancerController } from "./k8s/loadbalancer.js";
export { KubeCluster, KUBERNETES_SERVICE_INDEX, KUBE_DNS_SERVICE_INDEX, type KubeClusterOptions } from "./k8s/cluster.js";
export { loadManifests, ManifestError, KIND_SCHEMAS } from "./k8s/manifest.js";
export { toJsonSchema, DURATION_PATTERN, type JsonSchema } from "./k8s/json-schema.js";

// Metrics.
export { LatencyRecorder, type LatencySummary } from "./metrics/latency.js";

// DNS: pod stub resolvers (kubelet resolv.conf; glibc, musl and Go lookups; busybox and dig plans).
export * from "./dns/resolver/index.js";

// DNS: the Corefile.
export {
  parseCorefile,
  orderDirectives,
  CorefileError,
  PLUGIN_ORDER,
  DEFAULT_KUBEADM_COREFILE,
  kubeadmCorefile,
  DEFAULT_PORTS,
  MAX_IMPORTS,
  MAX_BLOCK_DEPTH,
  parseServerKey,
  reverseZones,
  ZoneError,
  type Corefile,
  type CorefileOptions,
  type ServerBlock,
  type ServerKey,
  type Directive,
  type Scheme,
} from "./dns/corefile.js";

// DNS: messages, the CoreDNS model, cluster DNS, pod resolvers on the network, the internet's resolver.
export {
  RCODE,
  FLAGS,
  DNS_QUERY,
  DNS_RESPONSE,
  makeQuery,
  makeReply,
  errorReply,
  rcodeOf,
  canonical,
  wireName,
  fqdn,
  truncate,
  udpLimit,
  wireSize,
  roundTrip,
  type Packet,
  type Question,
  type Answer,
  type RecordType,
  type DnsQueryBody,
  type DnsResponseBody,
  type QueryOptions,
  type ReplyParts,
} from "./dns/message.js";
export type { DnsRequest, DnsServer, Plugin, PluginFactory, ResponseWriter, NextHandler, SetupContext } from "./dns/plugin.js";
export { PLUGINS, IMPLEMENTED_PLUGINS } from "./dns/plugins/index.js";
/**
 * The CoreDNS `multicluster` plugin (github.com/coredns/multicluster): answers `clusterset.local`
 * from the cluster's ServiceImports and imported EndpointSlices, per the MCS DNS spec
 * (mcs.md §2, §4). `multicluster [ZONES...] { noendpoints; fallthrough [ZONES...] }` in a Corefile.
 */
export { multicluster } from "./dns/plugins/multicluster/index.js";
/**
 * Submariner Lighthouse's `lighthouse` plugin: answers `clusterset.local` as lighthouse-coredns
 * does, one A record per ClusterIP service, the local cluster first, then round robin (mcs.md
 * §5.3). `lighthouse [ZONES...] { fallthrough [ZONES...]; ttl SECONDS }` in a Corefile.
 */
export { lighthouse } from "./dns/plugins/lighthouse/index.js";
export { CoreDns, DNS_PORT, DEFAULT_COREDNS_SERVICE, type CoreDnsOptions, type LogLine } from "./dns/coredns.js";
export { installClusterDns, installCoreDns, COREDNS_IMAGE, type ClusterDnsOptions, type CoreDnsDeployment, type CoreDnsRuntime } from "./dns/cluster-dns.js";
// DNS: Chaos Mesh's DNSChaos, the rules a cluster's CoreDNS replicas fail or lie by.
export { DnsChaos, DnsChaosError, type DnsChaosAction, type DnsChaosRule, type DnsChaosHandle } from "./dns/chaos.js";
export { PodResolver, toStubResponse, type PodLookup } from "./dns/pod-resolver.js";
export { UpstreamDns, DEFAULT_UPSTREAM_SERVICE, type UpstreamRecord } from "./dns/upstream.js";
// DNS federation: the Corefiles that forward each member's zones to the others (dns.md §4.2).
export { federationCorefile, federationZone, CLUSTER_PLACEHOLDER, type FederatedCluster, type FederationPlan, type FederationAnswer, type FederationForward } from "./dns/federation.js";
// DNS: what real tools print — BIND 9.18 dig, busybox and BIND nslookup (dns.md §6).
export {
  formatDig,
  DIG_VERSION,
  formatNslookup,
  rdataText,
  recordLine,
  questionLine,
  type ToolOutput,
  type Endpoint,
  type DigRun,
  type DigReply,
  type DigRetry,
  type NslookupRun,
  type BusyboxNslookupRun,
  type BusyboxLibcNslookupRun,
  type BusyboxReply,
  type LibcAddress,
  type BindNslookupRun,
  type BindNslookupEvent,
} from "./dns/format/index.js";
// DNS: real clients — a socket inside the simulation, the serve-dns wire bridge, pcap captures.
export { DnsClientSocket, openClientSocket, runUntilDone, FIRST_EPHEMERAL_PORT, LAST_EPHEMERAL_PORT, type DnsClientReply } from "./dns/client-socket.js";
export { DnsBridge, addBridgeHost, DEFAULT_BRIDGE_DEADLINE, DEFAULT_BRIDGE_SOCKETS, type DnsBridgeOptions, type DnsBridgeStats, type WireTransport } from "./dns/bridge.js";
export { DnsCapture, type DnsCaptureStats, type PcapSink } from "./dns/capture.js";
export {
  pcapFileHeader,
  pcapRecord,
  ipv4Udp,
  ipv4Tcp,
  PCAP_MAGIC,
  LINKTYPE_RAW,
  PCAP_SNAPLEN,
  MAX_UDP_PAYLOAD,
  MAX_TCP_PAYLOAD,
  TCP_FLAGS,
  type Endpoint as PcapEndpoint,
  type TcpHeader,
} from "./dns/pcap.js";
export { TCP_SYN, TCP_RST, type NetworkTap } from "./net/network.js";

// Requests: HTTP calls over the simulated network, and the apps that serve them.
export {
  TCP_SYNACK,
  HTTP_REQUEST,
  HTTP_RESPONSE,
  ERROR_KINDS,
  resultCode,
  succeeded,
  parseUrl,
  UrlError,
  type HttpRequest,
  type SegmentBody,
  type SynAckBody,
  type RequestBody,
  type ResetBody,
  type TlsHello,
  type ResponseBody,
  type ErrorKind,
  type ResponseFlag,
  joinFlags,
  type RequestResult,
  type ParsedUrl,
} from "./http/message.js";
export { HttpClient, DEFAULT_CONNECT_TIMEOUT, SYN_RETRANSMIT, type HostResolver, type RequestOptions, type PendingRequest } from "./http/client.js";
export { HttpServer, DEFAULT_APP_SERVICE, TLS_WRONG_VERSION, type HttpFault, type HttpServerOptions } from "./http/server.js";
export { HttpApps, appPorts, type AppSpec } from "./http/apps.js";

// Worlds: clusters with their DNS, and lookups from pods.
export { World, WorldError, UPSTREAM_DNS_IP, type WorldOptions, type WorldClusterSpec, type ResolveOptions, type WorldRequestOptions } from "./scenario/world.js";

// Scenarios: files that build a world, drive traffic, play faults and check expectations.
export { loadScenario, ScenarioError, type LoadScenarioOptions } from "./scenario/load.js";
export { runScenario, buildScenarioWorld, type RunScenarioOptions, type ScenarioReport, type ScenarioWorld, type Progress } from "./scenario/run.js";
export { applyDnsFederation, federationMembers, PATTERN_SOURCE, FEDERATION_SERVICE, MAX_FEDERATION_MEMBERS } from "./scenario/federation.js";
export { scenarioJsonSchema, describeExpectation } from "./scenario/schema.js";
export { formatReport, reportJson, type WallTime } from "./scenario/report-format.js";
export type { StreamReport, Figures, LatencyMs, ServedBy } from "./scenario/report.js";
export { patternsReport, type PatternsReport, type PatternReport } from "./scenario/patterns-report.js";
export type { ExpectationResult } from "./scenario/expect.js";
export type { FaultRecord } from "./scenario/faults.js";
export { McsObserver, type McsReport, type McsFailure } from "./scenario/mcs-report.js";
export {
  PATTERN_NAMES,
  SCENARIO_API_VERSION,
  type PatternName,
  type Scenario,
  type ScenarioSpec,
  type NetworkSpec,
  type ClusterPairLink,
  type ClusterEntry,
  type DnsSettings,
  type ManifestEntry,
  type PodSelection,
  type ResolveAction,
  type RequestAction,
  type AppEntry,
  type Arrival,
  type StreamSpec,
  type PodTarget,
  type ApplyAction,
  type FaultAction,
  type FaultSpec,
  type ExpectWindow,
  type Phase,
  type ExpectCheck,
  type ExpectationSpec,
  type PatternsSpec,
  type DnsFederationSpec,
} from "./scenario/spec.js";

// Multi-Cluster Services: the clusterset, its controller actors, conflict resolution, profiles.
export { ClusterSet, CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY, type ClusterSetOptions } from "./mcs/clusterset.js";
export { installLighthouseDns, withLighthouseSection, LIGHTHOUSE_COREDNS_IMAGE, LIGHTHOUSE_COREFILE, LIGHTHOUSE_DNS_NAME, LIGHTHOUSE_NAMESPACE } from "./mcs/lighthouse-dns.js";
export {
  McsHub,
  McsAgent,
  MCS_PORT,
  SERVICE_NAME_LABEL as MCS_SERVICE_NAME_LABEL,
  SOURCE_CLUSTER_LABEL,
  DERIVED_SERVICE_ANNOTATION,
  USE_CLUSTERSET_IP_ANNOTATION,
  derivedName,
  recordOf,
  type McsAgentOptions,
} from "./mcs/controller.js";
export {
  aggregate,
  byPrecedence,
  CONFLICT_REASONS,
  type AggregateImport,
  type AggregateOptions,
  type ConflictReason,
  type ExportConflict,
  type ExportRecord,
  type ExportedEndpoint,
  type ServiceProperties,
  type PortMerge,
} from "./mcs/aggregate.js";
export { PROFILES, PROFILE_NAMES, type McsProfile, type ProfileName, type HubPlacement } from "./mcs/profiles.js";

// The lab's commands in pods: dig, nslookup and cat /etc/resolv.conf through the simulated network.
export { PodShell, podShell } from "./shell/pod.js";
export { execInPod, startPod } from "./shell/exec.js";
export { dig } from "./shell/dig.js";
export { nslookup, busyboxVersion } from "./shell/nslookup.js";
export { kubectl, type KubectlTarget } from "./shell/kubectl/kubectl.js";
export { RESOURCE_TYPES, resourceType, type ResourceType, type PrintContext } from "./shell/kubectl/resources.js";
export { humanDuration } from "./shell/kubectl/age.js";
export { parseSelector, SelectorError } from "./shell/kubectl/selector.js";
export { formatTable } from "./shell/kubectl/table.js";
// Labs: the lab file, its checks, the engine a lab server runs, and the platforms' exports.
export { LabFileError, labChecks, loadLab, type Lab, type LabCheck, type LabStep, type LoadedLab, type LookupCheck, type ObjectCheck, type PodRef, type RequestCheck } from "./shell/lab/labfile.js";
export { runCheck, type CheckResult, type CheckTarget } from "./shell/lab/checks.js";
export { LabEngine, quote, type LabEngineOptions, type LabOutput } from "./shell/lab/engine.js";
export { EXPORT_PLATFORMS, exportLab, type ExportPlatform, type LabSources } from "./shell/lab/export.js";

// Cilium ClusterMesh: global services, clustermesh-apiserver, agents with the socket LB (mesh.md §6).
export { globalServiceOf, selectBackends, usesRemote, GLOBAL_ANNOTATION, SHARED_ANNOTATION, AFFINITY_ANNOTATION, type Affinity, type GlobalService } from "./mesh/cilium/annotations.js";
export { CiliumAgent, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT, type AgentTuning, type RemoteClusterStatus, type RemoteState, type SocketLb } from "./mesh/cilium/agent.js";
export { ClusterMesh, ClusterMeshError, CILIUM_NAMESPACE, MAX_CLUSTER_ID, type ClusterMeshMember, type ClusterMeshOptions } from "./mesh/cilium/clustermesh.js";
export { ClusterMeshApiserver, CLUSTERMESH_PORT, KEEPALIVE_PING, KEEPALIVE_PONG, type KeepaliveBody } from "./mesh/cilium/clustermesh-apiserver.js";
export { ServiceCache } from "./mesh/cilium/service-cache.js";
export { backendsByPort } from "./k8s/kube-proxy.js";
export type { ApiServerEndpointOptions } from "./k8s/remote-watch.js";
export type { ConnectTranslator } from "./http/client.js";
export { cilium, clustermeshStatus, CILIUM_COMMANDS, type ClusterMeshStatusView } from "./shell/cilium.js";
export { executeJsonPath, JsonPathError, parseJsonPath, type JsonPath } from "./shell/kubectl/jsonpath.js";
export { tabwriteBlocks } from "./shell/kubectl/tabwriter.js";
export { curl, wget } from "./shell/curl.js";
export { host } from "./shell/host.js";
export { imageHas, type PodTool } from "./shell/images.js";
export { SimVerbs } from "./shell/sim-verbs.js";

// Istio mesh: istiod, xDS, sidecars, locality load balancing; istioctl's formatters.
export { Debouncer, DEBOUNCE_AFTER, DEBOUNCE_MAX, mergePush, type DebounceOptions, type PushRequest } from "./mesh/istio/debounce.js";
export {
  Istiod,
  REMOTE_CLUSTER_TIMEOUT,
  DEFAULT_MESH_CONNECT_TIMEOUT,
  DEFAULT_PUSH_THROTTLE,
  type ClusterSyncStatus,
  type RemoteClusterSecret,
  type IstiodOptions,
  type IstiodTuning,
  type ClusterDebugInfo,
  type ProxySyncInfo,
  type IstiodDebug,
} from "./mesh/istio/istiod.js";
export { IstioMesh, injected, INJECTION_LABEL, INJECT_ANNOTATION, NETWORK_LABEL, CONTROL_PLANE_CLUSTERS, ISTIO_NAMESPACE, type IstioMeshOptions, type MeshClusterOptions } from "./mesh/istio/mesh.js";
export {
  podLocality,
  formatLocality,
  localityPriority,
  failoverPriority,
  localityMatches,
  distributeWeights,
  compactPriorities,
  priorityLoad,
  hostSelection,
  pickLevel,
  OVERPROVISIONING_FACTOR,
  DEFAULT_PANIC_THRESHOLD,
  NETWORK_KEY,
  type FailoverRule,
  type PriorityPeer,
  type DistributeRule,
  type HostSelection,
  REGION_LABEL,
  ZONE_LABEL,
  SUBZONE_LABEL,
  LOCALITY_LABEL,
  LEGACY_LOCALITY_LABEL,
  type Locality,
  type LevelHealth,
} from "./mesh/istio/locality.js";
export { ServiceRegistry, WATCHED_KINDS, type MeshEndpoint } from "./mesh/istio/registry.js";
export { Sidecar, SIDECAR_XDS_PORT, SIDECAR_OUTBOUND_PORT, type SidecarView } from "./mesh/istio/sidecar.js";
export { OutlierDetector, MAX_EJECTION_TIME, type OutlierPolicy, type AttemptOutcome } from "./mesh/istio/sidecar-outlier.js";
export { ConnectionPool, sameBreakers, UNLIMITED, type CircuitBreakers } from "./mesh/istio/sidecar-pool.js";
export { defaultRetryPolicy, routeRetryPolicy, retriable, retryBackoff, retriesNo503, DEFAULT_RETRY_ON, HOST_SELECTION_ATTEMPTS, type RetryPolicy, type AttemptFailure } from "./mesh/istio/sidecar-retry.js";
export { routeMatches, stringMatches, type RouteRequest } from "./mesh/istio/sidecar-route.js";
export { ConfigStore, CONFIG_KINDS, resolveHost, effectivePolicy, clusterPolicy, type ConfigKind, type ClusterPolicy } from "./mesh/istio/config.js";
export { virtualHost, virtualHostDomains, clusterName, type VirtualHostInput } from "./mesh/istio/routes.js";
export {
  DEFAULT_ROOT_CA,
  DEFAULT_TRUST_DOMAIN,
  inboundMtls,
  inboundVerdict,
  istioSni,
  parseIstioSni,
  portMtls,
  TLS_MODE_LABEL,
  TLS_VERIFY_FAILED,
  tlsFailureDetail,
  usesIstioMtls,
  type EffectiveMtls,
  type InboundMtls,
  type InboundVerdict,
  type MtlsWorkload,
} from "./mesh/istio/mtls.js";
export { GATEWAY_PORT_LABEL, NETWORK_GATEWAY_PORT, splitHorizon, type HorizonEndpoint, type NetworkGateway, type WeightedEndpoint } from "./mesh/istio/split-horizon.js";
export { EastWestGateway, EASTWEST_NAME, EASTWEST_SELECTOR, eastWestObjects, TLS_CONNECTION_RESET } from "./mesh/istio/eastwest.js";
export {
  XDS_PORT,
  XDS_TYPES,
  SUBSCRIPTION_ORDER,
  XDS_CONNECT,
  XDS_RESPONSE,
  XDS_ACK,
  syncStatus,
  type XdsType,
  type ProxyMetadata,
  type ClusterResource,
  type LbEndpoint,
  type LoadAssignment,
  type ListenerResource,
  type RouteResource,
  type VirtualHostResource,
  type WeightedCluster,
  type FaultPolicy,
  type RouteEntry,
  type XdsResponse,
  type UnsentResponse,
  type XdsAck,
  type XdsTypeState,
  type SyncStatus,
} from "./mesh/istio/xds.js";
export { ApiServerEndpoint, RemoteWatch, APISERVER_PORT, WATCH_RETRY, WATCH_RETRY_MAX, GAP_TIMEOUT, nodeInfo, type NodeInfo, type RemoteWatchHandler } from "./k8s/remote-watch.js";
export { InOrder } from "./net/in-order.js";
export { remoteClusters, proxyStatus, tabwrite, type ProxyStatusOptions } from "./shell/istioctl.js";
// ServiceEntries, DNS proxying and istioctl analyze (mesh.md §4)
export { entryServices, exportedTo, autoAllocate, type EntryService, type EntryContext } from "./mesh/istio/service-entries.js";
export { nameTable, type ServiceView } from "./mesh/istio/name-table.js";
export { DnsProxy, dnsCaptureRule, lookupTable, DNS_PROXY_PORT, DNS_PROXY_TTL, UPSTREAM_TIMEOUT } from "./mesh/istio/dns-proxy.js";
export { EnvoyDns } from "./mesh/istio/envoy-dns.js";
export { NDS, type ClusterType, type NameTableEntry } from "./mesh/istio/xds.js";
export { ENTRY_KIND } from "./mesh/istio/config.js";
export { ANY_ADDRESS } from "./mesh/istio/istiod.js";
export { proxyMetadata, PROXY_CONFIG_ANNOTATION, DNS_CAPTURE, DNS_AUTO_ALLOCATE } from "./mesh/istio/mesh.js";
export { type OutboundRedirect } from "./net/host.js";
export { analyzeCluster, formatAnalysis, parseLevel, ANALYZER_FOUND_ISSUES, type AnalysisLevel, type AnalysisMessage, type AnalyzeOptions } from "./shell/istioctl-analyze.js";

// Linkerd multicluster: Links and TrafficSplits, service mirrors, gateway probes, proxies, failover; linkerd's formatters.
export type * from "./k8s/linkerd.js";
export { LINK_VERSION, TRAFFIC_SPLIT_VERSION } from "./k8s/linkerd.js";
export { ApiServerEndpoints, apiServerUrl } from "./mesh/api-endpoints.js";
export { PeakEwma, powerOfTwo, EWMA_DECAY, EWMA_DEFAULT_RTT } from "./mesh/balance.js";
export { kubeconfigFor } from "./mesh/kubeconfig.js";
export { EwmaBalancer, LINKERD_CONNECT_TIMEOUT, proxyStatus as linkerdProxyStatus, type ForwardRequest, type Forwarded } from "./mesh/linkerd/balancer.js";
export { Destinations, type Destination, type Target } from "./mesh/linkerd/destinations.js";
export { FailoverController, failoverWeights, CONTROLLED_BY_LABEL, PRIMARY_ANNOTATION } from "./mesh/linkerd/failover.js";
export { LinkerdGateway, GATEWAY_PORT, PROBE_PORT, PROBE_PATH, DST_HEADER } from "./mesh/linkerd/gateway.js";
export {
  LinkerdMesh,
  linkerdInjected,
  LINKERD_INJECT,
  LINKERD_NAMESPACE,
  MULTICLUSTER_NAMESPACE,
  DEFAULT_LINKERD_VERSION,
  DEFAULT_TRUST_ANCHOR,
  type LinkerdMeshOptions,
  type LinkerdClusterOptions,
  type LinkerdLinkOptions,
} from "./mesh/linkerd/mesh.js";
export { ServiceMirror, MIRRORED_LABEL, CLUSTER_NAME_LABEL, EXPORTED_LABEL, REMOTE_FQ_NAME } from "./mesh/linkerd/mirror.js";
export { ProbeWorker, type ProbeSettings } from "./mesh/linkerd/probe.js";
export { LinkerdProxy, PROXY_OUTBOUND_PORT, type ProxyContext } from "./mesh/linkerd/proxy.js";
export { linkerd, gatewaysTable, gatewayRows, multiclusterCheck, LINKERD_COMMANDS, type GatewayRow, type LinkerdTarget } from "./shell/linkerd.js";
