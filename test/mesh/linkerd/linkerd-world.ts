import type { Service } from "../../../src/k8s/objects.js";
import type { LinkerdMeshOptions } from "../../../src/mesh/linkerd/mesh.js";
import type { RequestResult } from "../../../src/http/message.js";
import { SECOND, type Micros } from "../../../src/sim/time.js";
import { World } from "../../../src/scenario/world.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../../http/http-world.js";

/** The web Service of the target cluster, exported (gateway mode unless told otherwise, mesh.md §5.1). */
export const exportedWeb = (mode = "true"): Service => ({ ...webService, metadata: { ...webService.metadata, labels: { "mirror.linkerd.io/exported": mode } } });

/**
 * Two clusters in two regions (west: us-west-2, the source; east: us-east-1, the target), each on
 * its own network (one network with `flat`); web in east exported, a meshed client in west, west linked to east; run until
 * the mirror exists and the gateway has been probed.
 */
export function linkerdWorld(options: { readonly seed?: number; readonly east?: number; readonly mode?: string; readonly flat?: boolean; readonly mesh?: Partial<LinkerdMeshOptions>; readonly warm?: Micros } = {}): World {
  const w = new World({ seed: options.seed ?? 1, traceLevel: "summary" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], network: "east-net" });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"], network: options.flat ? "east-net" : "west-net", podCidr: "10.20.0.0/16", serviceCidr: "10.120.0.0/16" });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  w.apply("east", [webDeployment(options.east ?? 2), exportedWeb(options.mode)]);
  w.apply("west", [clientPod]);
  w.installLinkerd({ version: "edge-24.11.8", clusters: [{ name: "east" }, { name: "west" }], links: [{ from: "west", to: "east" }], injectNamespaces: ["default"], ...options.mesh });
  w.runFor(options.warm ?? 30 * SECOND);
  return w;
}

/** One call from west's client pod, run until it ended. */
export function westCall(w: World, url = "http://web-east/", wait: Micros = 10 * SECOND): RequestResult {
  const pending = w.request("west", "default/client", url, { timeout: 5 * SECOND });
  w.runFor(wait);
  if (!pending.result) throw new Error(`the call of ${url} did not end within ${wait}us`);
  return pending.result;
}
