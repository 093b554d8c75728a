import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/scenario/run.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The federation benchmark of issue 5: cross-cluster lookups through DNS federation, two clusters
 * over a 30 ms link, tracing off, in simulated lookups per wall second. With the stub block's
 * `cache 30`, as operators write it, most lookups are answered by the client cluster's CoreDNS;
 * with `cache: 0` every one crosses the link to the other cluster's DNS and back.
 */

const SERVICES = 200;
const RATE = 5_000;
const TRAFFIC = 30;
const WARMUP = 5;

/** The benchmark's scenario: `cache` seconds in the stub blocks. */
export function federationScenario(cache: number): string {
  const manifests = Array.from(
    { length: SERVICES },
    (_, s) => `        ---
        apiVersion: v1
        kind: Service
        metadata: {name: svc-${s}, namespace: default}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80}]`,
  );
  const names = Array.from({ length: SERVICES }, (_, s) => `svc-${s}.default.svc.west.local.`);
  return `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: federation-bench}
spec:
  duration: ${WARMUP + TRAFFIC}s
  warmup: ${WARMUP}s
  network:
    clusterPairs:
      - {clusters: [east, west], latency: 30ms}
  clusters:
    - {name: east, region: us-east-1, zones: [us-east-1a], nodesPerZone: 2, podStartup: 500ms}
    - {name: west, region: eu-west-1, zones: [eu-west-1a], nodesPerZone: 2, podStartup: 500ms}
  patterns:
    dnsFederation: {cache: ${cache}}
  manifests:
    - cluster: west
      inline: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "nginx:1.27"}]}
${manifests.join("\n")}
  traffic:
    - name: remote
      from: {cluster: east, pod: client, create: {image: "debian:12", replicas: 4}}
      resolve: [${names.join(", ")}]
      type: A
      arrival: poisson
      rate: ${RATE}
      start: ${WARMUP}s
`;
}

/** Lookups per wall second of the traffic (the world's build and warmup left out). */
function lookupsPerSecond(cache: number): number {
  const scenario = loadScenario(federationScenario(cache), "federation-bench.yaml");
  let trafficStart = 0;
  const started = process.hrtime.bigint();
  const report = runScenario(scenario, {
    traceLevel: "off",
    onProgress: (p) => {
      if (p.now <= scenario.spec.warmup) trafficStart = Number(process.hrtime.bigint() - started) / 1e9;
    },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9 - trafficStart;
  const stream = report.streams[0]!;
  if (stream.failed > 0) throw new Error(`${stream.failed} of ${stream.count} federated lookups failed: the benchmark's world is broken`);
  return stream.count / wall;
}

export const federation: Benchmark = {
  name: "federation",
  description: `cross-cluster lookups through DNS federation, 2 clusters over a 30 ms link, ${RATE.toLocaleString("en-US")} lookups/s of ${SERVICES} names for ${TRAFFIC} simulated s, tracing off`,
  run(): Figure[] {
    const cached = best(3, () => lookupsPerSecond(30));
    const uncached = best(3, () => lookupsPerSecond(0));
    return [
      { bench: "federation", figure: "lookups.cache-30", value: cached, unit: "lookups/wall s", target: ">=50000", pass: meets(">=50000", cached) },
      // No target: the issue's is for federation as operators run it, with the stub blocks' cache.
      { bench: "federation", figure: "lookups.no-cache", value: uncached, unit: "lookups/wall s (every lookup crosses the link)" },
    ];
  },
};
