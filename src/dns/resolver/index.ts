/**
 * Pod stub resolvers: the kubelet's resolv.conf, and glibc, musl and Go lookups as deterministic
 * state machines (dns.md §5). The public API re-exports these names from `src/index.ts`.
 */

export {
  type ResolvConf,
  type PodDnsInput,
  type PodResolvConf,
  type KubeletDnsEvent,
  PodDnsError,
  ResolvConfError,
  podResolvConf,
  formatResolvConf,
  parseResolvConf,
  MAX_DNS_NAMESERVERS,
  MAX_DNS_SEARCH_PATHS,
  MAX_DNS_SEARCH_LIST_CHARS,
  MAX_DNS_SEARCH_PATHS_LEGACY,
  MAX_DNS_SEARCH_LIST_CHARS_LEGACY,
  MAX_SEARCH_ENTRY_CHARS,
  DEFAULT_CLUSTER_DNS_OPTIONS,
} from "./resolvconf.js";
export {
  type ResolverSettings,
  type GlibcSettings,
  type MuslSettings,
  type GoSettings,
  type SettingsOptions,
  type MuslFeatures,
  resolverSettings,
  readGlibcSettings,
  readMuslSettings,
  readGoSettings,
  candidateNames,
  muslFeatures,
  DEFAULT_MUSL_VERSION,
} from "./behaviour.js";
export { StubLookup, type LookupOptions } from "./stub.js";
export { driveLookup, DriveError, type Reaction, type Responder } from "./drive.js";
export { busyboxNslookupPlan, digPlan, reverseName, type BusyboxPlan, type DigPlan, type ToolQuery } from "./tools.js";
export {
  BEHAVIOURS,
  type BehaviourName,
  type Rcode,
  type AddressQtype,
  type StubTransport,
  type StubRecord,
  type StubResponse,
  type StubAction,
  type SendAction,
  type SetTimerAction,
  type CancelTimerAction,
  type DoneAction,
  type QueryRecord,
  type QueryOutcome,
  type LookupResult,
  type LookupErrorKind,
  type LookupFamily,
  type ResolvedAddress,
  type HostsEntry,
} from "./types.js";
