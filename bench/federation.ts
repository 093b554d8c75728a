import { DnsCapture } from "../src/dns/capture.js";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/scenario/run.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The federation benchmark of issue 5: cross-cluster lookups through DNS federation, two clusters
 * over a 30 ms link, tracing off, in simulated lookups per wall second. With the stub block's
 * `cache 30`, as operators write it, most lookups are answered by the client cluster's CoreDNS;
 * with `cache: 0` every one crosses the link to the other cluster's DNS and back. The pcap variant
 * is the cached run with `mcsim run --pcap`'s writer as the network's tap, its bytes counted and
 * dropped, so that the figure is the cost of building the packets and not of a disk.
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

/** Lookups per wall second of the traffic (the world's build and warmup left out), with a pcap writer when `pcap`. */
function lookupsPerSecond(cache: number, pcap = false): number {
  const scenario = loadScenario(federationScenario(cache), "federation-bench.yaml");
  let bytes = 0;
  const capture = pcap ? new DnsCapture((chunk) => (bytes += chunk.length)) : undefined;
  let trafficStart = 0;
  const started = process.hrtime.bigint();
  const report = runScenario(scenario, {
    traceLevel: "off",
    ...(capture ? { networkTap: capture } : {}),
    onProgress: (p) => {
      if (p.now <= scenario.spec.warmup) trafficStart = Number(process.hrtime.bigint() - started) / 1e9;
    },
  });
  capture?.flush();
  const wall = Number(process.hrtime.bigint() - started) / 1e9 - trafficStart;
  const stream = report.streams[0]!;
  if (stream.failed > 0) throw new Error(`${stream.failed} of ${stream.count} federated lookups failed: the benchmark's world is broken`);
  // A writer that wrote less than a query and a reply a lookup measured nothing of the pcap's cost.
  if (capture && (capture.stats.packets < 2 * stream.count || bytes < 24 + capture.stats.packets * 16)) throw new Error(`the pcap writer wrote ${capture.stats.packets} packets (${bytes} bytes) for ${stream.count} lookups`);
  return stream.count / wall;
}

export const federation: Benchmark = {
  name: "federation",
  description: `cross-cluster lookups through DNS federation, 2 clusters over a 30 ms link, ${RATE.toLocaleString("en-US")} lookups/s of ${SERVICES} names for ${TRAFFIC} simulated s, tracing off`,
  run(): Figure[] {
    const cached = best(3, () => lookupsPerSecond(30));
    const uncached = best(3, () => lookupsPerSecond(0));
    const pcap = best(3, () => lookupsPerSecond(30, true));
    return [
      { bench: "federation", figure: "lookups.cache-30", value: cached, unit: "lookups/wall s", target: ">=50000", pass: meets(">=50000", cached) },
      // No target: the issue's is for federation as operators run it, with the stub blocks' cache.
      { bench: "federation", figure: "lookups.no-cache", value: uncached, unit: "lookups/wall s (every lookup crosses the link)" },
      // No target either: what --pcap costs, against the same run without it measured just before.
      { bench: "federation", figure: "lookups.cache-30.pcap", value: pcap, unit: "lookups/wall s (with the pcap writer, bytes discarded)", baseline: "lookups.cache-30", ratio: pcap / cached },
    ];
  },
};
