/**
 * A cluster's clustermesh-apiserver (mesh.md §6): the etcd that exports the cluster's Services and
 * EndpointSlices to the other clusters' Cilium agents. It serves them as watch streams (the
 * remote-watch machinery, with the delay of copying the API into its etcd), and answers the
 * agents' keepalive pings, by which an agent learns that its connection is gone.
 */
import type { ApiServer } from "../../k8s/apiserver.js";
import { ApiServerEndpoint, type ApiServerEndpointOptions, type NodeInfo } from "../../k8s/remote-watch.js";
import type { ActorId, Message } from "../../sim/actor.js";
import type { Sim } from "../../sim/sim.js";

/** The port the clustermesh-apiserver's etcd listens on. */
export const CLUSTERMESH_PORT = 2379;

/** An agent's keepalive ping (etcd's gRPC keepalive), and the answer. */
export const KEEPALIVE_PING = "clustermesh.ping";
export const KEEPALIVE_PONG = "clustermesh.pong";

/** The body of a ping and of its pong. */
export interface KeepaliveBody {
  readonly seq: number;
}

/** One cluster's clustermesh-apiserver. */
export class ClusterMeshApiserver extends ApiServerEndpoint {
  constructor(sim: Sim, id: ActorId, api: ApiServer, nodes: () => readonly NodeInfo[], options: ApiServerEndpointOptions = {}) {
    super(sim, id, api, nodes, options);
    this.handle<KeepaliveBody>(KEEPALIVE_PING, (m: Message<KeepaliveBody>) => this.reply(m, KEEPALIVE_PONG, { seq: m.body.seq } satisfies KeepaliveBody));
  }
}
