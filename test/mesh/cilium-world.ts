import type { RequestResult } from "../../src/http/message.js";
import type { Service } from "../../src/k8s/objects.js";
import type { ClusterMeshOptions } from "../../src/mesh/cilium/clustermesh.js";
import { World } from "../../src/scenario/world.js";
import { SECOND, type Micros } from "../../src/sim/time.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../http/http-world.js";

/** The web Service with Cilium's global-service annotations (mesh.md §6). */
export function globalWeb(annotations: Record<string, string>): Service {
  return { ...webService, metadata: { ...webService.metadata, annotations } };
}

/**
 * Two clusters in two regions on one network (east: us-east-1, west: us-west-2) with the web
 * Deployment (`east`/`west` replicas) and a web Service annotated as given in each, a client pod
 * in east, and a ClusterMesh over both, run until everything is ready and synced.
 */
export function ciliumWorld(
  options: {
    readonly seed?: number;
    readonly east?: number;
    readonly west?: number;
    readonly eastAnnotations?: Record<string, string>;
    readonly westAnnotations?: Record<string, string>;
    readonly mesh?: Partial<ClusterMeshOptions>;
  } = {},
): World {
  const w = new World({ seed: options.seed ?? 1, traceLevel: "summary" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  const global = { "service.cilium.io/global": "true" };
  w.apply("east", [webDeployment(options.east ?? 2), globalWeb(options.eastAnnotations ?? global), clientPod]);
  w.apply("west", [webDeployment(options.west ?? 2), globalWeb(options.westAnnotations ?? global)]);
  w.installCilium({ clusters: [{ name: "east", id: 1 }, { name: "west", id: 2 }], ...options.mesh });
  w.runFor(30 * SECOND);
  return w;
}

/** The cluster whose pod has this address. */
export function clusterOfIp(w: World, ip: string): string | undefined {
  for (const [name, c] of w.clusters) if (c.api.list("Pod").some((p) => p.status?.podIP === ip)) return name;
  return undefined;
}

/** The clusters of the backends a cluster's agent balances web:80 over, sorted. */
export function backendClusters(w: World, cluster = "east"): string[] {
  return w.cilium!.agents.get(cluster)!.backends("default/web", 80).map((a) => clusterOfIp(w, a.ip) ?? "?").sort();
}

/** One call of web from east's client, run until it ended. */
export function ciliumCall(w: World, wait: Micros = 30 * SECOND): RequestResult {
  const pending = w.request("east", "default/client", "http://web/", { timeout: 5 * SECOND });
  w.runFor(wait);
  if (!pending.result) throw new Error(`the call did not end within ${wait}us`);
  return pending.result;
}
