import type { DestinationRule, OutlierDetection, TrafficPolicy } from "../../src/k8s/istio.js";
import type { K8sObject } from "../../src/k8s/objects.js";
import type { IstioMeshOptions } from "../../src/mesh/istio/mesh.js";
import type { RequestResult } from "../../src/http/message.js";
import { SECOND, type Micros } from "../../src/sim/time.js";
import { World } from "../../src/scenario/world.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../http/http-world.js";

/** Mesh options for clusters east and west, both primaries on one network, `default` injected. */
export const meshOptions = (extra: Partial<IstioMeshOptions> = {}): IstioMeshOptions => ({
  version: "1.24.0",
  revision: "default",
  model: "multi-primary",
  clusters: [
    { name: "east", network: "network1" },
    { name: "west", network: "network1" },
  ],
  injectNamespaces: ["default"],
  ...extra,
});

/**
 * Two clusters in two regions on one network (east: us-east-1, west: us-west-2), the web
 * Deployment in each (`replicas` per cluster), a client pod in east, the mesh over both, run until
 * everything is ready and pushed.
 */
export function meshWorld(options: { readonly seed?: number; readonly east?: number; readonly west?: number; readonly mesh?: Partial<IstioMeshOptions>; readonly config?: readonly K8sObject[] } = {}): World {
  const w = new World({ seed: options.seed ?? 1, traceLevel: "summary" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"] });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"] });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  w.apply("east", [webDeployment(options.east ?? 2), webService, clientPod]);
  w.apply("west", [webDeployment(options.west ?? 2), webService]);
  w.installIstio(meshOptions(options.mesh));
  // Istio config is read from each istiod's own cluster: applied in both, as users do.
  for (const c of ["east", "west"]) if (options.config) w.apply(c, options.config);
  w.runFor(30 * SECOND);
  return w;
}

/** A DestinationRule for `web` with a traffic policy (and subsets). */
export function webRule(trafficPolicy: TrafficPolicy, subsets: DestinationRule["spec"]["subsets"] = undefined): DestinationRule {
  return { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "web", namespace: "default" }, spec: { host: "web", trafficPolicy, ...(subsets ? { subsets } : {}) } };
}

/** The DR the locality failover task uses (mesh.md §3.1): one 5xx ejects for 10 minutes, every host ejectable. */
export const FAILOVER_OUTLIER: OutlierDetection = { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "10m", maxEjectionPercent: 100 };

/** One call from east's client pod, run until it ended. */
export function meshCall(w: World, url = "http://web/", wait: Micros = 30 * SECOND): RequestResult {
  const pending = w.request("east", "default/client", url, { timeout: 5 * SECOND });
  w.runFor(wait);
  if (!pending.result) throw new Error(`the call of ${url} did not end within ${wait}us`);
  return pending.result;
}

/** The cluster of a call's upstream endpoint, by its pod address. */
export function upstreamCluster(w: World, r: RequestResult): string | undefined {
  const ip = r.upstream?.split(":")[0];
  for (const [name, c] of w.clusters) if (c.api.list("Pod").some((p) => p.status?.podIP === ip)) return name;
  return undefined;
}
