/**
 * The east-west gateway (mesh.md §1.3): an Envoy in `istio-system` behind the LoadBalancer
 * Service `istio-eastwestgateway` labelled with its network, which istiod finds and hands to the
 * other networks' sidecars as the address of this network's endpoints (§1.4). On 15443 it does
 * SNI passthrough (`AUTO_PASSTHROUGH`, when a Gateway selecting it has such a server): it reads the
 * SNI `outbound_.<port>_.<subset>_.<host>` of the client's mTLS, picks one of its own network's
 * endpoints of that cluster, and proxies the still-encrypted connection there, so that mTLS is
 * end to end between the sidecars. With no chain for the SNI or no healthy endpoint it closes the
 * connection, which the client's TLS sees as `Connection reset by peer` (503 UF, §1.3).
 */
import { HttpClient } from "../../http/client.js";
import { HTTP_REQUEST, HTTP_RESPONSE, TCP_RST, TCP_SYN, TCP_SYNACK, type RequestBody, type ResetBody, type ResponseBody, type SegmentBody, type SynAckBody } from "../../http/message.js";
import type { Deployment, Service } from "../../k8s/objects.js";
import type { Gateway } from "../../k8s/istio.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import { Actor, type ActorId, type Message } from "../../sim/actor.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";
import { NETWORK_KEY } from "./locality.js";
import { parseIstioSni } from "./mtls.js";
import { clusterName } from "./routes.js";
import type { Sidecar } from "./sidecar.js";
import { NETWORK_GATEWAY_PORT } from "./split-horizon.js";

/** The gateway's name: its Deployment's, its Service's and its pods' `app` label (mesh.md §1.3). */
export const EASTWEST_NAME = "istio-eastwestgateway";
/** The label its pods carry, that the cross-network Gateway selects (`istio: eastwestgateway`). */
export const EASTWEST_SELECTOR: Readonly<Record<string, string>> = { istio: "eastwestgateway" };
/** The port its passthrough connections leave from (its router proxy's own upstream has 15001). */
const GATEWAY_UPSTREAM_PORT = 15002;
/** Envoy's tcp_proxy idle timeout (1h): a passthrough connection has no request timeout of its own. */
const TCP_PROXY_IDLE_TIMEOUT: Micros = 3600 * SECOND;
/** BoringSSL's reason when the peer closed the connection mid-handshake (mesh.md §1.3, istio/istio#45010). */
export const TLS_CONNECTION_RESET = "33554536:system library:OPENSSL_internal:Connection reset by peer";

/**
 * The objects `gen-eastwest-gateway.sh` and `expose-services.yaml` install for a network (mesh.md
 * §1.3): the gateway Deployment (one replica, `ISTIO_META_REQUESTED_NETWORK_VIEW` its network),
 * its LoadBalancer Service with the status, tls, tls-istiod and tls-webhook ports, and the
 * `cross-network-gateway` Gateway with AUTO_PASSTHROUGH on 15443 for `*.local`.
 */
export function eastWestObjects(network: string, version: string, namespace: string): [Deployment, Service, Gateway] {
  const labels = { ...EASTWEST_SELECTOR, app: EASTWEST_NAME, [NETWORK_KEY]: network };
  const ports = [
    { name: "status-port", port: 15021 },
    { name: "tls", port: NETWORK_GATEWAY_PORT },
    { name: "tls-istiod", port: 15012 },
    { name: "tls-webhook", port: 15017 },
  ];
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: EASTWEST_NAME, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...EASTWEST_SELECTOR, app: EASTWEST_NAME } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "istio-proxy",
              image: `docker.io/istio/proxyv2:${version}`,
              ports: ports.map((p) => ({ containerPort: p.port, name: p.name })),
              env: [{ name: "ISTIO_META_REQUESTED_NETWORK_VIEW", value: network }],
            },
          ],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: EASTWEST_NAME, namespace, labels },
    spec: { type: "LoadBalancer", selector: { ...EASTWEST_SELECTOR, app: EASTWEST_NAME }, ports: ports.map((p) => ({ ...p, targetPort: p.port })) },
  };
  const gateway: Gateway = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "cross-network-gateway", namespace },
    spec: { selector: { ...EASTWEST_SELECTOR }, servers: [{ port: { number: NETWORK_GATEWAY_PORT, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }] },
  };
  return [deployment, service, gateway];
}

/**
 * The gateway's listener on 15443. Its xDS (clusters, endpoints of its own network, and whether a
 * Gateway gives it an AUTO_PASSTHROUGH server) comes through `proxy`, a router proxy connected to
 * its istiod like a sidecar.
 */
export class EastWestGateway extends Actor {
  private readonly upstream: HttpClient;

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly network: Network,
    private readonly host: Host,
    /** The router proxy whose config it uses. */
    readonly proxy: Sidecar,
  ) {
    super(sim, id);
    this.upstream = new HttpClient(sim, { ...id, name: `${id.name}/upstream` }, (_host, done) => done(undefined));
    this.handle<SegmentBody>(TCP_SYN, (m) => this.onSyn(m));
    this.handle<RequestBody>(HTTP_REQUEST, (m) => this.onRequest(m));
  }

  /** Starts the proxy and listens on 15443. */
  start(): void {
    this.proxy.start();
    this.network.bind(this, this.host, NETWORK_GATEWAY_PORT);
    this.network.bind(this.upstream, this.host, GATEWAY_UPSTREAM_PORT);
  }

  /** The pod stopped. */
  stop(): void {
    this.proxy.stop();
    this.network.unbind(this);
    this.network.unbind(this.upstream);
  }

  /**
   * A connection: accepted while a Gateway gives it a 15443 AUTO_PASSTHROUGH server, else
   * refused as a port with no listener is. The SYN-ACK names the address the client used (the
   * load balancer's), so that the rest of the connection goes through it too.
   */
  private onSyn(m: Message<SegmentBody>): void {
    if (!this.proxy.passthrough(NETWORK_GATEWAY_PORT)) {
      this.reply(m, TCP_RST, { conn: m.body.conn } satisfies SegmentBody);
      return;
    }
    this.reply(m, TCP_SYNACK, { conn: m.body.conn, server: m.via ?? this.address! } satisfies SynAckBody);
  }

  /** The client's first flight: its SNI picks the cluster (mesh.md §1.3 `builtAutoPassthroughFilterChains`). */
  private onRequest(m: Message<RequestBody>): void {
    const sni = m.body.tls ? parseIstioSni(m.body.tls.sni) : undefined;
    const cluster = sni ? clusterName(sni.host, sni.port, sni.subset) : undefined;
    // NR filter_chain_not_found, or `no healthy host for TCP connection pool`: the connection is closed.
    const endpoint = cluster !== undefined ? this.proxy.pick(cluster) : undefined;
    if (!endpoint) {
      this.reset(m, TLS_CONNECTION_RESET);
      return;
    }
    const { method, path, headers } = m.body.request;
    const url = `http://${endpoint.address}:${endpoint.port}${path}`;
    this.upstream.request(url, { method, ...(headers ? { headers } : {}), timeout: TCP_PROXY_IDLE_TIMEOUT, tls: m.body.tls! }, (r) => {
      if (!this.transport) return;
      if (r.status !== null) this.reply(m, HTTP_RESPONSE, { conn: m.body.conn, status: r.status } satisfies ResponseBody);
      // The upstream's own TLS failure reaches the client as it is: the handshake is end to end.
      else if (r.error === "tls") this.reset(m, r.detail);
      // An upstream that could not be reached: tcp_proxy closes the client's connection mid-handshake.
      else if (r.error === "connect-refused" || r.error === "connect-timeout") this.reset(m, TLS_CONNECTION_RESET);
      else if (r.error === "reset") this.reset(m, undefined);
    });
  }

  /** Closes the client's connection; with `tls`, mid-handshake (its TLS reports the reason). */
  private reset(m: Message<RequestBody>, tls: string | undefined): void {
    this.reply(m, TCP_RST, { conn: m.body.conn, ...(tls !== undefined ? { tls } : {}) } satisfies ResetBody);
  }
}
