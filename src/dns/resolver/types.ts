/**
 * The shapes a pod's stub resolver exchanges with whoever runs it: the queries it asks to send, the
 * timers it asks for, the minimal view of a DNS response it needs, and the result of a lookup.
 *
 * None of these depend on the network or on the CoreDNS model: the caller maps dns-packet messages
 * to {@link StubResponse} and delivers them (see `stub.ts` for the state machine).
 */

import type { Micros } from "../../sim/time.js";

/** The libc (or language runtime) whose resolver a pod runs. dns.md §5.2–5.4. */
export type BehaviourName = "glibc" | "musl" | "go";

/** The behaviours, in a fixed order. */
export const BEHAVIOURS: readonly BehaviourName[] = ["glibc", "musl", "go"];

/** Response codes by their dns-packet names. */
export type Rcode =
  | "NOERROR"
  | "FORMERR"
  | "SERVFAIL"
  | "NXDOMAIN"
  | "NOTIMP"
  | "REFUSED"
  | "YXDOMAIN"
  | "YXRRSET"
  | "NXRRSET"
  | "NOTAUTH"
  | "NOTZONE"
  | `RCODE_${number}`;

/** The query types a stub resolver sends for an address lookup. */
export type AddressQtype = "A" | "AAAA";

/** Transport of one query. */
export type StubTransport = "udp" | "tcp";

/** One resource record of an answer section, as the stub needs it. */
export interface StubRecord {
  /** `A`, `AAAA`, `CNAME`, … */
  type: string;
  /** Owner name, without the trailing dot (dns-packet's form). */
  name: string;
  /** Address for A/AAAA, target name for CNAME. */
  data: string;
  ttl: number;
}

/**
 * A DNS response reduced to what the stub resolvers look at. The caller builds it from a decoded
 * dns-packet message: `rcode` from `rcode`, `answers` from `answers`, `truncated` from the TC flag.
 */
export interface StubResponse {
  rcode: Rcode;
  answers: StubRecord[];
  /** The TC flag. */
  truncated: boolean;
  /**
   * The AA flag. Only an explicit `false` together with `recursionAvailable: false`, no answers and
   * no additional records counts as a lame referral (glibc and Go move to the next server).
   */
  authoritative?: boolean;
  /** The RA flag; see {@link StubResponse.authoritative}. */
  recursionAvailable?: boolean;
  /** Number of records in the additional section (default 0). */
  additionalCount?: number;
}

/** Ask the caller to send one query. */
export interface SendAction {
  kind: "send";
  /** Handle of this transmission, unique within the lookup; give it back to `onAnswer`. */
  tx: number;
  /** The DNS message ID (from the caller's `nextId`). Retransmissions may reuse it, as the libcs do. */
  id: number;
  /**
   * Query name without the trailing dot (dns-packet's form), as the one string per name that
   * `sharedWireName` gives: the servers look names up in maps, and a string made afresh per lookup
   * would be hashed afresh by each of them.
   */
  name: string;
  qtype: AddressQtype;
  /** Nameserver address, as written in resolv.conf. Port 53. */
  server: string;
  transport: StubTransport;
  /** EDNS0 UDP payload size advertised, or undefined when the query carries no OPT record. */
  ednsUdpSize?: number;
  /** The RD flag; always true for these stubs. */
  recursionDesired: true;
}

/** Ask the caller to call `onTimer(at, timer)` at `at` (unless cancelled). */
export interface SetTimerAction {
  kind: "setTimer";
  /** Timer handle, unique within the lookup. */
  timer: number;
  at: Micros;
}

/** A timer set earlier is no longer needed. */
export interface CancelTimerAction {
  kind: "cancelTimer";
  timer: number;
}

/** The lookup has finished; no further actions will come. */
export interface DoneAction {
  kind: "done";
  result: LookupResult;
}

export type StubAction = SendAction | SetTimerAction | CancelTimerAction | DoneAction;

/** What became of one transmission. */
export type QueryOutcome = Rcode | "timeout";

/** One query the stub sent, with what became of it. */
export interface QueryRecord {
  tx: number;
  id: number;
  name: string;
  qtype: AddressQtype;
  server: string;
  transport: StubTransport;
  sentAt: Micros;
  /**
   * The response code of the reply, when one reached the stub before the lookup ended; otherwise
   * `timeout` (no reply reached the stub while it was running).
   */
  outcome: QueryOutcome;
  /** When the reply reached the stub. */
  receivedAt?: Micros;
  /** True when the reply had the TC flag. */
  truncated?: boolean;
  /** Set when a reply arrived but the stub did not use it, with the reason. */
  discarded?: string;
}

/** Error classes common to the three behaviours. */
export type LookupErrorKind =
  /** The name does not exist (NXDOMAIN): EAI_NONAME, HOST_NOT_FOUND, Go "no such host". */
  | "not-found"
  /** The name exists without addresses (NODATA): EAI_NODATA, NO_DATA. Go reports "no such host". */
  | "no-data"
  /** Temporary failure (SERVFAIL, timeout): EAI_AGAIN, TRY_AGAIN, Go timeouts and "server misbehaving". */
  | "try-again"
  /** Permanent failure (REFUSED, FORMERR, a name that cannot be encoded): EAI_FAIL, NO_RECOVERY. */
  | "fail";

/** One address of a result. */
export interface ResolvedAddress {
  family: 4 | 6;
  address: string;
}

/** The outcome of one lookup (getaddrinfo, or Go's LookupIPAddr). */
export interface LookupResult {
  behaviour: BehaviourName;
  /** The name as the program asked for it. */
  name: string;
  ok: boolean;
  /** Set when `ok` is false. */
  error?: LookupErrorKind;
  /**
   * The code the program sees: `EAI_NONAME`, `EAI_NODATA`, `EAI_AGAIN`, `EAI_FAIL` (glibc, musl);
   * for Go the error kind of `net.DNSError` (`no such host`, `i/o timeout`, `server misbehaving`, …).
   */
  code?: string;
  /** glibc only: the resolver's h_errno (`HOST_NOT_FOUND`, `NO_DATA`, `TRY_AGAIN`, `NO_RECOVERY`). */
  hErrno?: string;
  /** The message the program would print (gai_strerror, or Go's `DNSError.Error()`). */
  message?: string;
  /** Addresses: those of A answers first, then AAAA, in answer order. */
  addresses: ResolvedAddress[];
  /** The name the addresses belong to after following CNAMEs (no trailing dot). */
  canonicalName?: string;
  /** The search candidate that answered (no trailing dot). */
  answeredName?: string;
  /** Where the answer came from. */
  source?: "dns" | "hosts" | "literal";
  /** Every query sent, in the order sent. */
  queries: QueryRecord[];
  startedAt: Micros;
  finishedAt: Micros;
}

/** Address families a lookup can ask for (getaddrinfo's `ai_family`). */
export type LookupFamily = "unspec" | "inet" | "inet6";

/** An `/etc/hosts` line. */
export interface HostsEntry {
  address: string;
  names: string[];
}
