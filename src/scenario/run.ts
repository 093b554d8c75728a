import { DnsChaos } from "../dns/chaos.js";
import { DEFAULT_COREDNS_SERVICE } from "../dns/coredns.js";
import { ApiError } from "../k8s/apiserver.js";
import { ClusterSet } from "../mcs/clusterset.js";
import { ciliumOptions } from "./cilium.js";
import { mcsMembers } from "./mcs.js";
import { DNS_AUTO_ALLOCATE, DNS_CAPTURE, type IstioMeshOptions } from "../mesh/istio/mesh.js";
import { McsObserver, type McsReport } from "./mcs-report.js";
import { PROFILES } from "../mcs/profiles.js";
import { isIPv4 } from "../k8s/schema.js";
import { parseIpv4 } from "../net/ip.js";
import type { NetworkStats, NetworkTap } from "../net/network.js";
import type { Cluster } from "../net/topology.js";
import type { StopReason } from "../sim/scheduler.js";
import { SECOND, type Micros } from "../sim/time.js";
import type { TraceLevel, TraceSink, TraceSource } from "../sim/trace.js";
import { VERSION } from "../version.js";
import { evaluate, type ExpectationResult } from "./expect.js";
import { FaultTimeline, type FaultRecord } from "./faults.js";
import { Measurements } from "./measure.js";
import { patternsReport, type PatternsReport } from "./patterns-report.js";
import { phaseWindows, streamReport, type StreamReport } from "./report.js";
import type { ManifestEntry, McsSpec, MeshClusterEntry, MeshSpec, Scenario, ScenarioSpec } from "./spec.js";
import { Stream, clientPods, type StreamCounters } from "./traffic.js";
import { World, WorldError } from "./world.js";

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Stops the run early, at this simulated instant (the report says it is partial). */
  readonly until?: Micros;
  readonly traceLevel?: TraceLevel;
  readonly traceSinks?: readonly TraceSink[];
  /** The scenario's files, written in the trace header so that `mcsim replay` can run it again. */
  readonly source?: TraceSource;
  /** Stops a runaway run after this many events, with a partial report. */
  readonly maxEvents?: number;
  /**
   * Called after each simulated second (and at the end) with how far the run is; returning a
   * string stops the run there, with that reason in the report (the CLI's `--max-wall`). The
   * model never reads a clock: wall time exists only out here.
   */
  readonly onProgress?: (progress: Progress) => string | void;
  /** Sees every message the world's network carries (the CLI's `--pcap`). */
  readonly networkTap?: NetworkTap;
}

/** How far a run is. */
export interface Progress {
  readonly now: Micros;
  readonly end: Micros;
  readonly events: number;
}

/** What a scenario run measured. */
export interface ScenarioReport {
  readonly scenario: string;
  readonly description?: string;
  readonly seed: number;
  readonly version: string;
  /** SHA-256 of the trace: equal runs have equal digests. */
  readonly digest: string;
  /** Simulated seconds run. */
  readonly simulated: number;
  readonly events: number;
  /** True when the run stopped before its end (`--until`, the event budget, `--max-wall`). */
  readonly partial: boolean;
  /** Why a partial run stopped, in a sentence. */
  readonly stopReason?: string;
  readonly warmup: Micros;
  readonly duration: Micros;
  readonly streams: readonly StreamReport[];
  readonly faults: readonly FaultRecord[];
  readonly expectations: readonly ExpectationResult[];
  readonly network: NetworkStats;
  readonly trace: { readonly level: TraceLevel; readonly events: number };
  /** The Multi-Cluster Services pattern's convergence, when the scenario has one. */
  readonly mcs?: McsReport;
  /** The patterns side by side, when streams are tagged with them. */
  readonly patterns?: PatternsReport;
}

/** A scenario's world, built and with its traffic and faults scheduled, but not yet run. */
export interface ScenarioWorld {
  readonly world: World;
  /** The seed the world was made with (the scenario's, or the override). */
  readonly seed: number;
  readonly measurements: Measurements;
  readonly streams: readonly Stream[];
  readonly faults: FaultTimeline;
  /** The ClusterSet of `spec.patterns.mcs`, if any. */
  readonly clusterSet?: ClusterSet;
  /** What the report says of the ClusterSet, measured as the run goes. */
  readonly mcs?: McsObserver;
}

/**
 * Builds the scenario's world (clusters with their DNS, links, manifests, client pods) and
 * schedules its traffic and fault timeline, without running the clock: for callers that drive
 * the world themselves (`mcsim serve-dns`). `until` and `onProgress` are for running, and unused.
 */
export function buildScenarioWorld(scenario: Scenario, options: RunScenarioOptions = {}): ScenarioWorld {
  const spec = scenario.spec;
  const seed = options.seed ?? spec.seed;
  const world = new World({
    seed,
    name: scenario.metadata.name,
    links: spec.network.links,
    traceLevel: options.traceLevel ?? "off",
    ...(options.traceSinks ? { traceSinks: options.traceSinks } : {}),
    ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
    ...(options.source ? { source: options.source } : {}),
  });
  if (options.networkTap) world.network.tap = options.networkTap;
  const chaos = new Map<string, DnsChaos>();
  for (const c of spec.clusters) {
    const table = new DnsChaos();
    chaos.set(c.name, table);
    const dns = c.dns;
    world.addCluster({
      name: c.name,
      region: c.region,
      zones: c.zones,
      nodesPerZone: c.nodesPerZone,
      ...(c.network ? { network: c.network } : {}),
      ...(c.podCidr ? { podCidr: c.podCidr } : {}),
      ...(c.serviceCidr ? { serviceCidr: c.serviceCidr } : {}),
      ...(c.domain ? { domain: c.domain } : {}),
      ...(c.nodeSearch ? { nodeSearch: c.nodeSearch } : {}),
      ...(c.podStartup ? { podStartup: c.podStartup } : {}),
      ...(c.watchDelay ? { watchDelay: c.watchDelay } : {}),
      dns: {
        replicas: dns.replicas,
        ...(dns.corefile ? { corefile: dns.corefile } : {}),
        service: {
          ...DEFAULT_COREDNS_SERVICE,
          ...(dns.workers !== undefined ? { workers: dns.workers } : {}),
          ...(dns.serviceTime ? { serviceTime: dns.serviceTime } : {}),
          ...(dns.queueLimit !== undefined ? { queueLimit: dns.queueLimit } : {}),
        },
        chaos: table,
      },
    });
  }
  for (const pair of spec.network.clusterPairs) {
    const { clusters, oneWay, ...profile } = pair;
    world.network.setClusterLink(clusters[0], clusters[1], profile, { oneWay: oneWay ?? false });
  }
  // Apps first, so that the pods the manifests make run them from their start.
  for (const c of spec.clusters) world.serveHttp(c.name, spec.apps.filter((a) => a.cluster === c.name));
  for (const m of spec.manifests) for (const c of m.clusters) applyManifests(world, c, m);
  if (spec.patterns.mesh) world.installIstio(meshOptions(spec, spec.patterns.mesh));
  if (spec.patterns.cilium) world.installCilium(ciliumOptions(spec, spec.patterns.cilium));
  const linkerd = spec.patterns.linkerd;
  if (linkerd) {
    const members = linkerd.clusters.length > 0 ? linkerd.clusters : spec.clusters.map((c) => ({ name: c.name }));
    world.installLinkerd({ version: linkerd.version, clusters: members, links: linkerd.links, injectNamespaces: linkerd.injection.namespaces });
  }
  const clusterSet = spec.patterns.mcs ? startClusterSet(world, spec, spec.patterns.mcs) : undefined;
  const mcs = clusterSet ? new McsObserver(world, clusterSet) : undefined;

  const measurements = new Measurements();
  const streams = spec.traffic.map((s, i) => {
    world.apply(s.from.cluster, clientPods(s.from));
    const destinationOf = destinations(world, s.from.cluster);
    return new Stream(world, s, i, measurements, destinationOf, spec.warmup, mcs?.lookupObserver(s, destinationOf));
  });
  const faults = new FaultTimeline(world, spec.faults, chaos, clusterSet && mcs ? { clusterSet, onChange: (name, phase) => mcs.faultChanged(name, phase) } : {});
  for (const s of streams) s.start();
  faults.schedule();
  return { world, seed, measurements, streams, faults, ...(clusterSet && mcs ? { clusterSet, mcs } : {}) };
}

/** The scenario's ClusterSet over its members, with the profile's timings as the spec overrides them. */
/** `spec.patterns.mesh` as the mesh takes it: the members (every cluster, each a primary, by default) and their networks. */
function meshOptions(spec: ScenarioSpec, mesh: MeshSpec): IstioMeshOptions {
  const members: readonly MeshClusterEntry[] = mesh.clusters.length > 0 ? mesh.clusters : spec.clusters.map((c) => ({ name: c.name }));
  return {
    version: mesh.version,
    revision: "default",
    model: mesh.model,
    clusters: members.map((m) => ({
      name: m.name,
      network: m.network ?? spec.clusters.find((c) => c.name === m.name)!.network ?? "default",
      ...(mesh.model === "primary-remote" && m.primary !== undefined ? { primary: m.primary } : {}),
      ...(m.trustDomain !== undefined ? { trustDomain: m.trustDomain } : {}),
      ...(m.rootCA !== undefined ? { rootCA: m.rootCA } : {}),
      ...(m.eastWestGateway !== undefined ? { eastWestGateway: m.eastWestGateway } : {}),
    })),
    injectNamespaces: mesh.injection.namespaces,
    istiod: mesh.connectTimeout !== undefined ? { connectTimeout: mesh.connectTimeout } : {},
    ...(mesh.dnsCapture || mesh.dnsAutoAllocate ? { proxyMetadata: { ...(mesh.dnsCapture ? { [DNS_CAPTURE]: "true" } : {}), ...(mesh.dnsAutoAllocate ? { [DNS_AUTO_ALLOCATE]: "true" } : {}) } } : {}),
  };
}

function startClusterSet(world: World, spec: ScenarioSpec, mcs: McsSpec): ClusterSet {
  const names = mcsMembers(spec);
  const base = PROFILES[mcs.profile];
  const profile = {
    ...base,
    ...(mcs.syncPeriod !== undefined ? { syncPeriod: mcs.syncPeriod } : {}),
    ...(mcs.leaseDuration !== undefined ? { leaseDuration: mcs.leaseDuration } : {}),
    ...(mcs.initialPropagation ? { initialPropagation: mcs.initialPropagation } : {}),
  };
  return new ClusterSet(world.sim, world.network, names.map((n) => world.cluster(n)), { name: mcs.name, profile });
}

/**
 * Builds the scenario's world ({@link buildScenarioWorld}), runs it to its end and measures every
 * action: per stream, per fault phase and per cluster pair, with the expectations checked.
 */
export function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): ScenarioReport {
  const spec = scenario.spec;
  const { world, seed, measurements, streams, faults, mcs } = buildScenarioWorld(scenario, options);
  const end = Math.min(options.until ?? spec.duration, spec.duration);
  let stoppedBy: StopReason | "progress" = "time";
  let stopReason: string | undefined;
  for (;;) {
    const result = world.runUntil(Math.min(end, world.sim.now + SECOND));
    if (result.stoppedBy === "budget" || result.stoppedBy === "stop") {
      stoppedBy = result.stoppedBy;
      stopReason = result.message;
      break;
    }
    const said = options.onProgress?.({ now: world.sim.now, end: spec.duration, events: world.sim.eventsRun });
    if (said) {
      stoppedBy = "progress";
      stopReason = said;
      break;
    }
    if (world.sim.now >= end) break;
  }
  world.sim.trace.flush();
  const now = world.sim.now;
  if (stoppedBy === "time" && now < spec.duration) stopReason = `stopped at ${now / SECOND}s as asked (--until), before the end of the run at ${spec.duration / SECOND}s`;

  const windows = phaseWindows(spec, faults.records);
  const counters: StreamCounters[] = streams.map((s) => s.counters);
  const patterns = patternsReport(spec, measurements, windows);
  return {
    scenario: scenario.metadata.name,
    ...(scenario.metadata.description ? { description: scenario.metadata.description } : {}),
    seed,
    version: VERSION,
    digest: world.sim.trace.digest(),
    simulated: now / SECOND,
    events: world.sim.eventsRun,
    partial: now < spec.duration,
    ...(stopReason && now < spec.duration ? { stopReason } : {}),
    warmup: spec.warmup,
    duration: spec.duration,
    streams: spec.traffic.map((s, i) => streamReport(s, i, measurements, counters[i]!, spec.warmup, windows, (c) => world.topology.clusters.get(c)?.region ?? "")),
    faults: faults.records,
    expectations: spec.expect.map((e) => evaluate(e, spec, measurements, windows)),
    network: world.network.stats,
    trace: { level: world.sim.trace.level, events: world.sim.trace.count },
    ...(mcs ? { mcs: mcs.report() } : {}),
    ...(patterns ? { patterns } : {}),
  };
}

/** Applies a manifest entry, naming where it was written when the API server refuses an object. */
function applyManifests(world: World, cluster: string, m: ManifestEntry): void {
  try {
    world.apply(cluster, m.objects);
  } catch (e) {
    if (e instanceof ApiError) throw new WorldError(`${m.source}: applying to cluster ${cluster}: ${e.message}`);
    throw e;
  }
}

/**
 * Which cluster an answer's address belongs to, seen from a client's cluster: the cluster whose
 * pod or service range holds it, preferring clusters on the client's network (ranges may overlap
 * across networks); `external` for anything else. Remembered per address: it runs per lookup.
 */
function destinations(world: World, from: string): (address: string) => string {
  const clusters = [...world.topology.clusters.values()];
  const network = world.topology.cluster(from).network;
  const known = new Map<string, string>();
  return (address) => {
    let found = known.get(address);
    if (found === undefined) {
      // The clusters' ranges are IPv4; an IPv6 answer (a dnsChaos random AAAA) is nobody's.
      found = "external";
      if (isIPv4(address)) {
        const value = parseIpv4(address);
        const holds = (c: Cluster) => c.podCidr.holds(value) || c.serviceCidr.holds(value);
        found = (clusters.find((c) => c.network === network && holds(c)) ?? clusters.find(holds))?.name ?? found;
      }
      known.set(address, found);
    }
    return found;
  };
}
