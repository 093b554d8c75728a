/**
 * Split-horizon EDS (mesh.md §1.4, Istio's `EndpointsByNetworkFilter`): what a proxy on one
 * network gets of a service's endpoints when the mesh spans networks. Endpoints on the proxy's
 * network, or on a network with no gateway, stay as they are; those on another network are
 * replaced by that network's east-west gateways on 15443, weighted by how many endpoints each
 * gateway stands for; and those that cannot do mTLS are dropped, since the gateway routes by the
 * mTLS SNI. A pure function, for istiod and the tests alike.
 */
import { formatLocality } from "./locality.js";
import type { LbEndpoint } from "./xds.js";

/** The port a network gateway takes cross-network mTLS on (`DefaultNetworkGatewayPort`, mesh.md §1.3). */
export const NETWORK_GATEWAY_PORT = 15443;
/** The Service label that moves a gateway to another port (mesh.md §1.3). */
export const GATEWAY_PORT_LABEL = "networking.istio.io/gatewayPort";

/** A network's gateway as istiod knows it: a Service labelled with the network, its address and port. */
export interface NetworkGateway {
  readonly network: string;
  /** The cluster whose Service it is. */
  readonly cluster: string;
  /** Its LoadBalancer ingress address. */
  readonly address: string;
  readonly port: number;
}

/** What the filter needs of an endpoint: the fields of an EDS endpoint before priorities are set. */
export type HorizonEndpoint = Pick<LbEndpoint, "address" | "port" | "locality" | "cluster" | "network" | "labels" | "mtls">;

/** An endpoint with the load-balancing weight the filter gave it. */
export type WeightedEndpoint<E extends HorizonEndpoint> = E & { readonly weight: number };

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The endpoints a proxy on `network` gets (mesh.md §1.4 step 3), in the order of the input, a
 * gateway's synthetic endpoint where the first endpoint it stands for was: the weight of each
 * endpoint is `LCM(#gateways per network)`, split equally (integer division) over the gateways
 * of a remote network, preferring that network's gateways in the endpoint's own cluster; each
 * gateway gets one endpoint per locality with the summed weight. Undefined when no gateway is
 * known: multi-network is off and the endpoints are left alone.
 */
export function splitHorizon<E extends HorizonEndpoint>(network: string, endpoints: readonly E[], gateways: readonly NetworkGateway[]): WeightedEndpoint<E>[] | undefined {
  if (gateways.length === 0) return undefined;
  const byNetwork = new Map<string, NetworkGateway[]>();
  for (const g of gateways) {
    const list = byNetwork.get(g.network);
    if (list) list.push(g);
    else byNetwork.set(g.network, [g]);
  }
  let scale = 1;
  for (const list of byNetwork.values()) scale = (scale * list.length) / gcd(scale, list.length);
  const out: WeightedEndpoint<E>[] = [];
  /** The synthetic endpoint of each gateway and locality, by `address:port|locality`, as placed in `out`. */
  const synthetic = new Map<string, number>();
  for (const e of endpoints) {
    const remote = byNetwork.get(e.network);
    if (e.network === network || !remote) {
      out.push({ ...e, weight: scale });
      continue;
    }
    // Cross-network traffic is mTLS end to end, routed by its SNI: nothing else can cross.
    if (!e.mtls) continue;
    const ownCluster = remote.filter((g) => g.cluster === e.cluster);
    const via = ownCluster.length > 0 ? ownCluster : remote;
    const share = Math.floor(scale / via.length);
    for (const g of via) {
      const key = `${g.address}:${g.port}|${formatLocality(e.locality)}`;
      const at = synthetic.get(key);
      if (at !== undefined) {
        const known = out[at]!;
        out[at] = { ...known, weight: known.weight + share };
        continue;
      }
      synthetic.set(key, out.length);
      out.push({ ...e, address: g.address, port: g.port, cluster: g.cluster, labels: {}, weight: share });
    }
  }
  return out;
}
