import type { KubeCluster } from "../k8s/cluster.js";
import { matchesLabels } from "../k8s/labels.js";
import type { Pod } from "../k8s/objects.js";
import type { ServiceModel } from "../sim/actor.js";
import { DEFAULT_APP_SERVICE, HttpServer } from "./server.js";

/**
 * An application that serves HTTP: the pods it runs in (a namespace, and labels as a Service's
 * selector has them), the ports it listens on, how it serves, and what it answers. This is how a
 * scenario says what a pod serves: the manifests say what runs where (a Deployment, its
 * containerPorts, a Service over it), and an app says how the process behaves, which no manifest
 * can say.
 */
export interface AppSpec {
  /** Names the app in errors and reports. */
  readonly name: string;
  readonly namespace: string;
  /** Pods with these labels; every pod of the namespace when absent. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The ports it listens on; by default every TCP containerPort its pod's containers declare. */
  readonly ports?: readonly number[];
  /** Workers, service time and queue; {@link DEFAULT_APP_SERVICE} when absent. */
  readonly service?: ServiceModel;
  /** The status of a normal answer (default 200). */
  readonly status?: number;
}

/** The ports an app listens on in a pod: the ones it names, else the pod's TCP containerPorts. */
export function appPorts(app: AppSpec, pod: Readonly<Pod>): number[] {
  if (app.ports) return [...app.ports];
  const ports = pod.spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => p.containerPort));
  return [...new Set(ports)];
}

/**
 * The HTTP applications of a world's clusters: each pod an app selects runs an {@link HttpServer}
 * on each of the app's ports from when its kubelet starts it until it stops, as the container's
 * process would. A pod no app selects listens on nothing, so a connection to it is refused.
 */
export class HttpApps {
  /** The running servers by cluster, then by `namespace/pod`. */
  private readonly running = new Map<string, Map<string, HttpServer[]>>();

  /** Runs `apps` in the cluster's pods that they select, from now on (the first app that selects a pod wins). */
  install(cluster: KubeCluster, apps: readonly AppSpec[]): void {
    if (apps.length === 0) return;
    const appOf = (pod: Readonly<Pod>) => apps.find((a) => (pod.metadata.namespace ?? "default") === a.namespace && (!a.labels || matchesLabels(pod.metadata.labels, a.labels)));
    let byPod = this.running.get(cluster.name);
    if (!byPod) this.running.set(cluster.name, (byPod = new Map()));
    const servers = byPod;
    cluster.registerImage({
      image: /(?:)/,
      matches: (pod) => appOf(pod) !== undefined,
      start: ({ sim, network, pod, host }) => {
        const app = appOf(pod)!;
        const namespace = pod.metadata.namespace ?? "default";
        const key = `${namespace}/${pod.metadata.name}`;
        const list = appPorts(app, pod).map((port) => {
          // One actor per port, named by it, so that each draws from its own random streams.
          const server = new HttpServer(sim, { cluster: cluster.name, namespace, name: `${pod.metadata.name}:${port}` }, {
            service: app.service ?? DEFAULT_APP_SERVICE,
            ...(app.status !== undefined ? { status: app.status } : {}),
          });
          network.bind(server, host, port);
          return server;
        });
        servers.set(key, list);
        return {
          stop: () => {
            for (const s of list) network.unbind(s);
            if (servers.get(key) === list) servers.delete(key);
          },
        };
      },
    });
  }

  /** The servers of a running pod (none when no app runs in it, or it is not running). */
  serversOf(cluster: string, namespace: string, pod: string): readonly HttpServer[] {
    return this.running.get(cluster)?.get(`${namespace}/${pod}`) ?? [];
  }
}
