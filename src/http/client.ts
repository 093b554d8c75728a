import { Actor, address, type ActorId, type Address, type Message } from "../sim/actor.js";
import type { Timer } from "../sim/scheduler.js";
import type { Sim } from "../sim/sim.js";
import { SECOND, type Micros } from "../sim/time.js";
import {
  HTTP_REQUEST,
  HTTP_RESPONSE,
  TCP_RST,
  TCP_SYN,
  TCP_SYNACK,
  parseUrl,
  resultCode,
  type ErrorKind,
  type RequestBody,
  type RequestResult,
  type ResetBody,
  type ResponseBody,
  type SegmentBody,
  type TlsHello,
  type SynAckBody,
} from "./message.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** A pod's HTTP call finished (summary level): `code` as {@link resultCode} writes it. */
    "http.request": { pod: string; method: string; url: string; code: string; latency: number };
  }
}

/**
 * How a client finds the address of a URL's host: through the pod's own resolver, as `resolve:`
 * traffic does. `done` gets the first address, or undefined when the name did not resolve.
 */
export type HostResolver = (host: string, done: (address: string | undefined) => void) => void;

/**
 * A load balancer in the client's own node (Cilium's eBPF socket LB, mesh.md §6): at connect it
 * turns a Service's address into a backend's, null when the Service has no backend (the connect
 * fails at once, EHOSTUNREACH), or undefined for an address that is no Service's.
 */
export type ConnectTranslator = (ip: string, port: number) => Address | null | undefined;

/** Options of one call. */
export interface RequestOptions {
  /** Default GET. */
  readonly method?: string;
  /** Request headers, lowercase names (a VirtualService's header matches look at them). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole call's limit, from its start: name lookup, connect and response (curl's `--max-time`). */
  readonly timeout: Micros;
  /** The limit on connecting, from the first SYN (default {@link DEFAULT_CONNECT_TIMEOUT}; curl's `--connect-timeout`). */
  readonly connectTimeout?: Micros;
  /** Send the request inside an mTLS session with this hello (a sidecar's Istio mTLS, mesh.md §3.5). */
  readonly tls?: TlsHello;
}

/**
 * The connect timeout of a call that names none: 10s, the mesh's default `connectTimeout`
 * (mesh.md §3.1, §9), so that a plain client and a sidecar give up on a dead address alike.
 */
export const DEFAULT_CONNECT_TIMEOUT: Micros = 10 * SECOND;

/**
 * The first SYN retransmission's delay, doubled for each one after: Linux's initial RTO of 1s
 * (RFC 6298 §2.1, `TCP_TIMEOUT_INIT`), so that a lost SYN costs a second, as in a real client.
 */
export const SYN_RETRANSMIT: Micros = SECOND;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** One call in progress. */
interface Call {
  readonly conn: number;
  readonly url: string;
  readonly body: RequestBody;
  readonly port: number;
  readonly connectTimeout: Micros;
  readonly startedAt: Micros;
  readonly callback: ((result: RequestResult) => void) | undefined;
  state: "resolving" | "connecting" | "open";
  address: string | undefined;
  /** Where the SYN goes: the resolved address and the URL's port, or the backend a translator picked. */
  target: Address | undefined;
  /** The IP the connection reached (kube-proxy's backend for a cluster IP), once open. */
  server: string | undefined;
  /** The backend a translator picked, as `ip:port`. */
  upstream: string | undefined;
  deadline: Timer<undefined> | undefined;
  connectTimer: Timer<undefined> | undefined;
  retransmit: Timer<undefined> | undefined;
  /** The result, once the call is over: a call ends exactly once. */
  result: RequestResult | undefined;
}

/** A call in progress or done. */
export interface PendingRequest {
  /** The call's result once it has ended. */
  readonly result: RequestResult | undefined;
}

/**
 * A pod's HTTP client without a sidecar: it resolves the URL's host through the pod's resolver,
 * opens a TCP connection to the address (a Service's cluster IP goes through kube-proxy, which
 * picks a ready backend for the connection, or, with a {@link ConnectTranslator}, straight to the
 * backend it picks), sends one request on it and waits for the response.
 * A call ends once, with a status or an {@link ErrorKind}: `connect-refused` for a RST to the SYN
 * (nothing listening, a Service without endpoints), `connect-timeout` when no answer to the SYN
 * came in time (retransmitted after 1s, 2s, 4s, …), `reset` for a RST after connecting, `timeout`
 * when the call's timeout passed with no response. Only SYNs are retransmitted: a lost request or
 * response ends in a timeout, as if TCP had given up, which it does much later than a call's timeout.
 */
export class HttpClient extends Actor {
  private readonly calls = new Map<number, Call>();
  private nextConn = 1;

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly resolveHost: HostResolver,
    private readonly translate?: ConnectTranslator,
  ) {
    super(sim, id);
    this.handle<SynAckBody>(TCP_SYNACK, (m) => this.onSynAck(m));
    this.handle<ResetBody>(TCP_RST, (m) => this.onReset(m));
    this.handle<ResponseBody>(HTTP_RESPONSE, (m) => this.onResponse(m));
  }

  /** Calls in progress. */
  get inFlight(): number {
    return this.calls.size;
  }

  /**
   * Starts a call of `url` now; `callback` runs when it ends.
   *
   * @throws UrlError for a URL other than `http://host[:port][/path]`.
   */
  request(url: string, options: RequestOptions, callback?: (result: RequestResult) => void): PendingRequest {
    const parsed = parseUrl(url);
    const conn = this.nextConn++;
    const call: Call = {
      conn,
      url,
      body: { conn, request: { method: options.method ?? "GET", authority: parsed.authority, path: parsed.path, ...(options.headers ? { headers: options.headers } : {}) }, ...(options.tls ? { tls: options.tls } : {}) },
      port: parsed.port,
      connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
      startedAt: this.sim.now,
      callback,
      state: "resolving",
      address: undefined,
      target: undefined,
      server: undefined,
      upstream: undefined,
      deadline: undefined,
      connectTimer: undefined,
      retransmit: undefined,
      result: undefined,
    };
    this.calls.set(conn, call);
    call.deadline = this.sim.timer(options.timeout, () => {
      call.deadline = undefined;
      // A call still connecting when its time is up timed out connecting, whichever limit came
      // first; one still resolving timed out (curl: "Resolving timed out", a timeout, not a DNS error).
      this.finish(call, null, call.state === "connecting" ? "connect-timeout" : "timeout");
    });
    if (IPV4.test(parsed.host)) this.connect(call, parsed.host);
    else {
      this.resolveHost(parsed.host, (found) => {
        if (call.result) return;
        if (found === undefined) this.finish(call, null, "dns");
        else this.connect(call, found);
      });
    }
    return call;
  }

  private connect(call: Call, ip: string): void {
    call.state = "connecting";
    call.address = ip;
    const translated = this.translate?.(ip, call.port);
    if (translated === null) {
      // connect() itself fails, before any packet; curl reports it as it does a refusal.
      this.sim.after(0, () => this.finish(call, null, "connect-refused"));
      return;
    }
    call.target = translated ?? address(ip, call.port);
    if (translated) call.upstream = `${translated.ip}:${translated.port}`;
    call.connectTimer = this.sim.timer(call.connectTimeout, () => {
      call.connectTimer = undefined;
      this.finish(call, null, "connect-timeout");
    });
    this.sendSyn(call, SYN_RETRANSMIT);
  }

  private sendSyn(call: Call, rto: Micros): void {
    this.send(call.target!, TCP_SYN, { conn: call.conn } satisfies SegmentBody);
    call.retransmit = this.sim.timer(rto, () => this.sendSyn(call, rto * 2));
  }

  private onSynAck(m: Message<SynAckBody>): void {
    const call = this.calls.get(m.body.conn);
    // A duplicated SYN-ACK, or one for a retransmitted SYN, finds the connection open already.
    if (!call || call.state !== "connecting") return;
    call.state = "open";
    call.server = m.body.server.ip;
    this.stopConnecting(call);
    this.send(m.body.server, HTTP_REQUEST, call.body);
  }

  private onReset(m: Message<ResetBody>): void {
    const call = this.calls.get(m.body.conn);
    if (!call || call.state === "resolving") return;
    // A RST that ended a TLS handshake is a TLS error (mesh.md §3.5), whatever state TCP was in.
    if (m.body.tls !== undefined) this.finish(call, null, "tls", m.body.tls);
    else this.finish(call, null, call.state === "connecting" ? "connect-refused" : "reset");
  }

  private onResponse(m: Message<ResponseBody>): void {
    const call = this.calls.get(m.body.conn);
    if (!call || call.state !== "open") return;
    this.finish(call, m.body.status, undefined);
  }

  private stopConnecting(call: Call): void {
    call.connectTimer?.cancel();
    call.connectTimer = undefined;
    call.retransmit?.cancel();
    call.retransmit = undefined;
  }

  private finish(call: Call, status: number | null, error: ErrorKind | undefined, detail?: string): void {
    this.stopConnecting(call);
    call.deadline?.cancel();
    call.deadline = undefined;
    this.calls.delete(call.conn);
    const result: RequestResult = {
      url: call.url,
      status,
      ...(error ? { error } : {}),
      ...(call.address !== undefined ? { address: call.address } : {}),
      ...(call.server !== undefined ? { server: call.server } : {}),
      ...(call.upstream !== undefined ? { upstream: call.upstream } : {}),
      ...(detail !== undefined ? { detail } : {}),
      startedAt: call.startedAt,
      finishedAt: this.sim.now,
    };
    call.result = result;
    if (this.sim.trace.summary) {
      this.sim.trace.record("http.request", { pod: this.label, method: call.body.request.method, url: call.url, code: resultCode(result), latency: result.finishedAt - result.startedAt });
    }
    call.callback?.(result);
  }
}
