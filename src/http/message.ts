/**
 * The messages of an HTTP exchange over the simulated network: a TCP connection opened with
 * {@link TCP_SYN} (answered by `tcp.synack`, or by `tcp.rst` when refused), one request on it,
 * and one response or a RST. Bodies are plain data, never mutated after sending.
 */
import type { Address } from "../sim/actor.js";
import type { Micros } from "../sim/time.js";

export { TCP_RST, TCP_SYN } from "../net/network.js";
/** The server's kernel accepted the connection. */
export const TCP_SYNACK = "tcp.synack";
/** A request on an open connection. */
export const HTTP_REQUEST = "http.request";
/** The response to it. */
export const HTTP_RESPONSE = "http.response";

/** What an HTTP request says: method, authority (the Host header) and path. */
export interface HttpRequest {
  readonly method: string;
  /** `host[:port]` as the URL has it, which is what the Host header carries. */
  readonly authority: string;
  readonly path: string;
  /** Lowercase names; absent, none beyond the Host header. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The body of every TCP segment of a connection: which connection it belongs to. */
export interface SegmentBody {
  /** Unique per client and connection: the client's ephemeral port, in effect. */
  readonly conn: number;
}

/**
 * A SYN-ACK. `server` is the address the connection really reached: for a connection to a
 * Service's cluster IP, the backend kube-proxy picked. The client sends the rest of the
 * connection there, which is what conntrack does for it in a real node: every later packet of a
 * connection follows the translation its first one got, rather than being balanced afresh.
 */
export interface SynAckBody extends SegmentBody {
  readonly server: Address;
}

/**
 * What a client's TLS ClientHello and certificate say, as far as the mesh's mTLS looks at them
 * (mesh.md §3.5): the SNI it asks for, and the root CA and trust domain of its certificate. The
 * handshake rides on the connection's first request rather than taking a round trip of its own.
 */
export interface TlsHello {
  /** `outbound_.<port>_.<subset>_.<host>`, the SNI an Istio client sidecar sends (mesh.md §1.3). */
  readonly sni: string;
  /** The root of trust its certificate chains to. */
  readonly rootCA: string;
  /** The trust domain of its SPIFFE identity (`cluster.local` by default). */
  readonly trustDomain: string;
}

/** A request on connection `conn`; with `tls`, sent inside a TLS session (Istio mTLS). */
export interface RequestBody extends SegmentBody {
  readonly request: HttpRequest;
  readonly tls?: TlsHello;
}

/**
 * A RST. `tls`, when set, is why the TLS handshake failed, as BoringSSL names it
 * (`CERTIFICATE_VERIFY_FAILED`, `WRONG_VERSION_NUMBER`, `Connection reset by peer`): the client
 * reports a TLS error, not a plain reset (mesh.md §1.3, §3.5).
 */
export interface ResetBody extends SegmentBody {
  readonly tls?: string;
}

/** A response on connection `conn`. */
export interface ResponseBody extends SegmentBody {
  readonly status: number;
}

/**
 * Why a call ended without a response from the application. The first kinds are what a client
 * without a sidecar sees from its own socket (curl's and Go's errors); the rest are what only a
 * proxy in the path can report, and what Envoy maps to its response flags (see {@link ResponseFlag}).
 *
 * - `dns`: the URL's host did not resolve (curl: "Could not resolve host").
 * - `connect-refused`: a RST answered the SYN: nothing listens, or the Service has no endpoints.
 * - `connect-timeout`: no answer to the SYN within the connect timeout (a partition, a down host).
 * - `reset`: the connection was reset after it opened, before a response.
 * - `timeout`: the request's timeout passed with the connection open and no response.
 * - `no-healthy-upstream`: a proxy had no healthy endpoint to send to (Envoy UH).
 * - `tls`: the TLS handshake failed (a root CA mismatch, mesh.md §3.5).
 * - `overflow`: a proxy's circuit breaker refused the request: too many connections, pending or
 *   active requests to the cluster (Envoy UO, a DestinationRule's `connectionPool`).
 */
export type ErrorKind = "dns" | "connect-refused" | "connect-timeout" | "reset" | "timeout" | "no-healthy-upstream" | "tls" | "overflow";

/** Every {@link ErrorKind}, for schemas and reports. */
export const ERROR_KINDS: readonly ErrorKind[] = ["dns", "connect-refused", "connect-timeout", "reset", "timeout", "no-healthy-upstream", "tls", "overflow"];

/**
 * Envoy's response flags for what a sidecar reports (mesh.md §3.2–§3.5): UH no healthy upstream,
 * UT upstream request timeout, UF upstream connection failure (refused, connect timeout, TLS
 * handshake), UC upstream connection termination (a reset after connecting), UO upstream overflow
 * (a circuit breaker of the cluster's connection pool), NR no route, DI a
 * delay injected, FI an abort injected, URX the retry limit exceeded, NC no such upstream
 * cluster. A sidecar answers the application with a status (503, 504) carrying them.
 */
export type ResponseFlag = "UH" | "UT" | "UF" | "UC" | "UO" | "NR" | "DI" | "FI" | "URX" | "NC";

/** The order Envoy's access log writes flags in (`ResponseFlagUtils`), for {@link joinFlags}. */
const FLAG_ORDER: readonly ResponseFlag[] = ["UH", "UT", "UF", "UC", "UO", "NR", "DI", "FI", "URX", "NC"];

/** Flags as Envoy's `%RESPONSE_FLAGS%` writes them: comma-separated in its order (`UF,URX`); undefined for none. */
export function joinFlags(flags: readonly ResponseFlag[]): string | undefined {
  return flags.length === 0 ? undefined : FLAG_ORDER.filter((f) => flags.includes(f)).join(",");
}

/**
 * How a call ended: with a status from the other end, or with an error kind. A call through a
 * sidecar ends with the status the sidecar made (503) and the `flag` and `error` behind it; a
 * plain client's failures have no status.
 */
export interface RequestResult {
  /** The URL asked for. */
  readonly url: string;
  /** The response's status; null when the call ended in an error with no response. */
  readonly status: number | null;
  /** Why there was no response from the application; undefined for a response. */
  readonly error?: ErrorKind;
  /** The response flags of the proxy in the path, as {@link joinFlags} writes them (`503 UF,URX`), when it set any. */
  readonly flag?: string;
  /** The address the URL's host resolved to, when it did. */
  readonly address?: string;
  /** The IP the connection reached, when it opened: for a cluster IP, the backend kube-proxy picked. */
  readonly server?: string;
  /** The endpoint a proxy sent the request to (`ip:port`, Envoy's `%UPSTREAM_HOST%`), or the backend a socket LB connected to, when one did. */
  readonly upstream?: string;
  /**
   * Envoy's local reply body for a TLS failure (`upstream connect error or disconnect/reset before
   * headers. reset reason: connection failure, transport failure reason: TLS error: …`), or the
   * TLS reason a plain client got; absent otherwise.
   */
  readonly detail?: string;
  readonly startedAt: Micros;
  readonly finishedAt: Micros;
}

/**
 * The code a call is counted under in reports and expectations: the status (`200`, `503`), with
 * the flag of the proxy that made it as Envoy's access log writes them (`503 UF`), or the error
 * kind of a call with no status (`connect-refused`).
 */
export function resultCode(r: RequestResult): string {
  if (r.status === null) return r.error ?? "error";
  return r.flag ? `${r.status} ${r.flag}` : String(r.status);
}

/**
 * Whether a call succeeded: a response with a status below 500, as Istio's and Envoy's success
 * rates count it (a 4xx is the application's answer; a 5xx or no response is a failure).
 */
export function succeeded(r: RequestResult): boolean {
  return r.status !== null && r.status < 500 && r.error === undefined;
}

/** A URL as the client reads it: only `http://host[:port][/path]`. */
export interface ParsedUrl {
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  readonly path: string;
}

/** A URL the client cannot use. */
export class UrlError extends Error {
  override readonly name = "UrlError";
}

const URL_SHAPE = /^http:\/\/([^/:?#\s]+)(?::(\d{1,5}))?(\/[^\s#]*)?$/;

/**
 * Reads `http://host[:port][/path]` (port 80 and path `/` by default).
 *
 * @throws UrlError for another scheme or shape, saying what is expected.
 */
export function parseUrl(url: string): ParsedUrl {
  const m = URL_SHAPE.exec(url);
  if (!m) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
    if (scheme && scheme.toLowerCase() !== "http") throw new UrlError(`${JSON.stringify(url)}: only http:// URLs are modelled, not ${scheme}://`);
    throw new UrlError(`${JSON.stringify(url)} is not a URL of the form http://host[:port][/path]`);
  }
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port < 1 || port > 65_535) throw new UrlError(`${JSON.stringify(url)}: port ${port} is out of range (1 to 65535)`);
  return { host: m[1]!, port, authority: m[2] === undefined ? m[1]! : `${m[1]}:${m[2]}`, path: m[3] ?? "/" };
}
