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
export { Network, type NetworkOptions, type NetworkStats, type HostSpec, type DropReason } from "./net/network.js";

// Metrics.
export { LatencyRecorder, type LatencySummary } from "./metrics/latency.js";
