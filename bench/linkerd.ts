import { performance } from "node:perf_hooks";
import { World } from "../src/scenario/world.js";
import { SECOND } from "../src/sim/time.js";
import type { Service } from "../src/k8s/objects.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../test/http/http-world.js";

const TARGET = ">=100000";
/** Calls in flight at once, each followed by the next as soon as it ends. */
const CONCURRENCY = 64;
const SIMULATED = 30 * SECOND;

/**
 * Requests through a Linkerd gateway across two clusters (issue 8, mesh.md §5.2), tracing off: a
 * meshed client in west calling east's exported web by its mirror's cluster IP in a closed loop,
 * each call through west's proxy (peak-EWMA), east's gateway (peak-EWMA again) and a web pod.
 * The figure is simulated requests per wall second.
 */
function once(): number {
  const w = new World({ seed: 1, traceLevel: "off" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], network: "east-net" });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"], network: "west-net", podCidr: "10.20.0.0/16", serviceCidr: "10.120.0.0/16" });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  const exported: Service = { ...webService, metadata: { ...webService.metadata, labels: { "mirror.linkerd.io/exported": "true" } } };
  w.apply("east", [webDeployment(3), exported]);
  w.apply("west", [clientPod]);
  w.installLinkerd({ version: "edge-24.11.8", clusters: [{ name: "east" }, { name: "west" }], links: [{ from: "west", to: "east" }], injectNamespaces: ["default"] });
  w.runFor(30 * SECOND);
  const url = `http://${w.cluster("west").api.get("Service", "default", "web-east")!.spec.clusterIP}/`;
  let done = 0;
  let ok = 0;
  const end = w.sim.now + SIMULATED;
  const next = () => {
    if (w.sim.now >= end) return;
    w.request("west", "default/client", url, {
      timeout: 5 * SECOND,
      onDone: (r) => {
        done++;
        if (r.status === 200) ok++;
        next();
      },
    });
  };
  const start = performance.now();
  for (let i = 0; i < CONCURRENCY; i++) next();
  w.runFor(SIMULATED + 10 * SECOND);
  const wall = (performance.now() - start) / 1000;
  if (ok < done * 0.99) throw new Error(`only ${ok} of ${done} calls succeeded`);
  return done / wall;
}

/** The benchmark. */
export const linkerd: Benchmark = {
  name: "linkerd",
  description: "requests through a Linkerd gateway across two clusters, tracing off (issue 8)",
  run(): Figure[] {
    const value = best(3, once);
    return [{ bench: "linkerd", figure: "gateway.requests", value, unit: "req/s", target: TARGET, pass: meets(TARGET, value) }];
  },
};
