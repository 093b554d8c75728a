/**
 * Retry policies as Istio writes them into Envoy's routes, and Envoy's decisions with them
 * (mesh.md §3.4): the default outbound policy of the Istio version (2 retries on
 * connect-failure, refused-stream, unavailable, cancelled and retriable-status-codes, the last
 * matching 503 up to 1.23 and nothing from 1.24), a VirtualService's `retries` over it, whether an
 * attempt's outcome is retried, and Envoy's jittered back-off between attempts.
 */
import type { HTTPRetry } from "../../k8s/istio.js";
import type { Rng } from "../../sim/rng.js";
import { MILLISECOND, parseDuration, type Micros } from "../../sim/time.js";

/** A route's retry policy as Envoy gets it. */
export interface RetryPolicy {
  /** Retries after the first attempt (Istio's `attempts`); 0 disables retries. */
  readonly numRetries: number;
  /** Envoy's `retry_on` conditions. */
  readonly retryOn: readonly string[];
  /** The codes `retriable-status-codes` matches. */
  readonly retriableStatusCodes: readonly number[];
  /** Each attempt's limit; absent, only the route timeout limits an attempt. */
  readonly perTryTimeout?: Micros;
  /** Envoy's `previous_priorities` retry priority: a retry avoids the priorities already tried. */
  readonly retryRemoteLocalities: boolean;
}

/** Istio's default `retry_on` (mesh.md §3.4 `retry.go`). */
export const DEFAULT_RETRY_ON: readonly string[] = ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"];
/** `host_selection_retry_max_attempts`: how often a retry re-picks to avoid the hosts already tried. */
export const HOST_SELECTION_ATTEMPTS = 5;
/** Envoy's default retry back-off: 25ms base, at most 10 × that. */
const BACKOFF_BASE: Micros = 25 * MILLISECOND;
const BACKOFF_MAX: Micros = 250 * MILLISECOND;

/**
 * Whether an Istio version sets no retriable status codes by default: 1.24 and later, since
 * "exclude unsafe 503 from default RetryPolicy" (mesh.md §3.4). Versions read as `major.minor[.patch]`.
 */
export function retriesNo503(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((p) => Number.parseInt(p, 10));
  return major > 1 || (major === 1 && minor >= 24);
}

/** The default outbound retry policy of an Istio version (mesh.md §3.4). */
export function defaultRetryPolicy(version: string): RetryPolicy {
  return { numRetries: 2, retryOn: DEFAULT_RETRY_ON, retriableStatusCodes: retriesNo503(version) ? [] : [503], retryRemoteLocalities: false };
}

/**
 * A VirtualService route's `retries` over the version's default, as Istio's `ConvertPolicy`
 * does: `attempts` replaces the count (0: no retries); `retryOn` replaces the conditions, a
 * number in it being a retriable status code; `perTryTimeout` and `retryRemoteLocalities` are added.
 */
export function routeRetryPolicy(retries: HTTPRetry | undefined, version: string): RetryPolicy {
  const base = defaultRetryPolicy(version);
  if (!retries) return base;
  if (retries.attempts === 0) return { ...base, numRetries: 0 };
  let { retryOn, retriableStatusCodes } = base;
  if (retries.retryOn !== undefined) {
    const parts = retries.retryOn.split(",").map((p) => p.trim()).filter((p) => p !== "");
    const codes = parts.filter((p) => /^\d+$/.test(p)).map(Number);
    retryOn = parts.filter((p) => !/^\d+$/.test(p));
    if (codes.length > 0 && !retryOn.includes("retriable-status-codes")) retryOn = [...retryOn, "retriable-status-codes"];
    retriableStatusCodes = codes;
  }
  return {
    numRetries: retries.attempts ?? base.numRetries,
    retryOn,
    retriableStatusCodes,
    ...(retries.perTryTimeout !== undefined ? { perTryTimeout: parseDuration(retries.perTryTimeout) } : {}),
    retryRemoteLocalities: retries.retryRemoteLocalities === true,
  };
}

/** An attempt's outcome as Envoy's retry state judges it: a response, or a reset of some kind. */
export type AttemptFailure = { readonly status: number } | { readonly reset: "connect-failure" | "reset" | "timeout" };

/**
 * Whether Envoy retries an outcome under a policy (its `wouldRetryFromHeaders` and
 * `wouldRetryFromReset`): `5xx` any 5xx and any reset, connect failure or per-try timeout;
 * `gateway-error` 502–504 and the same resets; `reset` the resets; `connect-failure` only
 * connect failures; `retriable-4xx` a 409; `retriable-status-codes` the listed codes.
 * `refused-stream`, `unavailable` and `cancelled` are HTTP/2 and gRPC conditions that plain
 * HTTP/1.1 calls never meet.
 */
export function retriable(policy: RetryPolicy, outcome: AttemptFailure): boolean {
  const on = (c: string) => policy.retryOn.includes(c);
  if ("reset" in outcome) {
    if (on("5xx") || on("gateway-error") || on("reset")) return true;
    return outcome.reset === "connect-failure" && on("connect-failure");
  }
  const s = outcome.status;
  if (on("5xx") && s >= 500) return true;
  if (on("gateway-error") && s >= 502 && s <= 504) return true;
  if (on("retriable-4xx") && s === 409) return true;
  return on("retriable-status-codes") && policy.retriableStatusCodes.includes(s);
}

/**
 * The wait before retry `n` (1 for the first): Envoy's jittered exponential back-off, a random
 * time below `(2^n − 1) × 25ms`, at most 250ms.
 */
export function retryBackoff(n: number, rng: Rng): Micros {
  const ceiling = ((1 << Math.min(n, 10)) - 1) * BACKOFF_BASE;
  return Math.min(rng.int(ceiling), BACKOFF_MAX);
}
