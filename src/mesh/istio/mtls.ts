/**
 * Istio mTLS (mesh.md §3.5): which mode a workload's inbound ports are in by the
 * PeerAuthentications that apply to it (mesh-wide in the root namespace, namespace-wide, by
 * workload selector, per port), whether a client sidecar uses Istio mTLS to an endpoint (auto
 * mTLS), the SNI it sends, and what the server's sidecar does with a connection. Pure functions:
 * istiod, the sidecars and the tests use them alike.
 */
import type { ClientTlsMode, MtlsMode, PeerAuthentication } from "../../k8s/istio.js";
import { matchesLabels } from "../../k8s/labels.js";
import type { TlsHello } from "../../http/message.js";

/** A PeerAuthentication mode once inheritance has been applied: never UNSET. */
export type EffectiveMtls = Exclude<MtlsMode, "UNSET">;

/** The pod label an injected pod carries, that auto mTLS looks for (mesh.md §3.5 `mtls_checker.go`). */
export const TLS_MODE_LABEL = "security.istio.io/tlsMode";
/** The trust domain of a mesh that names none (mesh.md §3.5). */
export const DEFAULT_TRUST_DOMAIN = "cluster.local";
/** The root CA every cluster shares unless a scenario gives one its own (the plugin-CA setup, mesh.md §1.1). */
export const DEFAULT_ROOT_CA = "mesh-root";

/** A workload's inbound mTLS: its mode, and the ports `portLevelMtls` sets apart. */
export interface InboundMtls {
  readonly mode: EffectiveMtls;
  /** Modes by port number (the workload's own port, as `portLevelMtls` keys it). */
  readonly ports: Readonly<Record<string, EffectiveMtls>>;
}

/** What a workload is to PeerAuthentication: where it runs and its labels. */
export interface MtlsWorkload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

const set = (mode: MtlsMode | undefined): mode is EffectiveMtls => mode !== undefined && mode !== "UNSET";

/**
 * A workload's inbound mTLS by the policies (in the order first seen, which stands for Istio's
 * oldest-first): the root namespace's selector-less policy, then its namespace's, then the first
 * policy of its namespace whose selector matches it, each overriding the one before unless its
 * mode is UNSET; that policy's `portLevelMtls` then sets ports apart (mesh.md §3.5). PERMISSIVE
 * when nothing sets a mode.
 */
export function inboundMtls(policies: Iterable<Readonly<PeerAuthentication>>, rootNamespace: string, w: MtlsWorkload): InboundMtls {
  let meshWide: Readonly<PeerAuthentication> | undefined;
  let namespaceWide: Readonly<PeerAuthentication> | undefined;
  let workload: Readonly<PeerAuthentication> | undefined;
  for (const pa of policies) {
    const ns = pa.metadata.namespace ?? "default";
    const selector = pa.spec?.selector?.matchLabels;
    const selects = selector !== undefined && Object.keys(selector).length > 0;
    if (!selects) {
      if (ns === rootNamespace) meshWide ??= pa;
      if (ns === w.namespace) namespaceWide ??= pa;
    } else if (ns === w.namespace && matchesLabels(w.labels, selector)) workload ??= pa;
  }
  let mode: EffectiveMtls = "PERMISSIVE";
  for (const pa of [meshWide, namespaceWide, workload]) {
    const m = pa?.spec?.mtls?.mode;
    if (set(m)) mode = m;
  }
  const ports: Record<string, EffectiveMtls> = {};
  for (const [port, p] of Object.entries(workload?.spec?.portLevelMtls ?? {})) if (set(p.mode)) ports[port] = p.mode;
  return { mode, ports };
}

/** The mode of one inbound port. */
export function portMtls(inbound: InboundMtls, port: number): EffectiveMtls {
  return inbound.ports[String(port)] ?? inbound.mode;
}

/**
 * Whether a client sidecar uses Istio mTLS to an endpoint (mesh.md §3.5 auto mTLS): the
 * DestinationRule's TLS mode when it sets one (only ISTIO_MUTUAL is Istio mTLS), else whether the
 * endpoint has a sidecar and its port is not DISABLE (istiod's `mtls` on the endpoint).
 */
export function usesIstioMtls(ruleMode: ClientTlsMode | undefined, endpointMtls: boolean): boolean {
  return ruleMode === undefined ? endpointMtls : ruleMode === "ISTIO_MUTUAL";
}

/** The SNI of Istio mTLS to a service port and subset: `outbound_.<port>_.<subset>_.<host>` (mesh.md §1.3). */
export function istioSni(host: string, port: number, subset: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

/** The host, port and subset an Istio SNI names; undefined for another SNI. */
export function parseIstioSni(sni: string): { readonly host: string; readonly port: number; readonly subset: string } | undefined {
  const m = /^outbound_\.(\d+)_\.([^_]*)_\.(.+)$/.exec(sni);
  return m ? { port: Number(m[1]), subset: m[2]!, host: m[3]! } : undefined;
}

/** BoringSSL's reason when the peer's certificate chains to a root the client does not trust (mesh.md §3.5). */
export const TLS_VERIFY_FAILED = "268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED";

/**
 * What a server's sidecar does with a request on an inbound port (mesh.md §3.5, the simulation
 * harness's table): plaintext to a STRICT port finds no filter chain and the connection is reset;
 * mTLS whose root is not the server's fails the handshake (`CERTIFICATE_VERIFY_FAILED` at the
 * client); mTLS to a DISABLE port reaches the app as it is (which cannot read it); anything else
 * is accepted, mTLS terminated.
 */
export type InboundVerdict = { readonly accept: true; readonly terminate: boolean } | { readonly accept: false; readonly tls?: string };

/** See {@link InboundVerdict}. */
export function inboundVerdict(mode: EffectiveMtls, tls: TlsHello | undefined, rootCA: string): InboundVerdict {
  if (!tls) return mode === "STRICT" ? { accept: false } : { accept: true, terminate: false };
  if (mode === "DISABLE") return { accept: true, terminate: false };
  if (tls.rootCA !== rootCA) return { accept: false, tls: TLS_VERIFY_FAILED };
  return { accept: true, terminate: true };
}

/**
 * The body of Envoy's local reply when an upstream connection failed in TLS (mesh.md §3.5):
 * `upstream connect error or disconnect/reset before headers. reset reason: connection failure,
 * transport failure reason: TLS error: <reason>`.
 */
export function tlsFailureDetail(reason: string): string {
  return `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: ${reason}`;
}
