import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/scenario/run.js";
import { meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The scenario benchmark of issue 4: wall time and peak memory of whole scenario runs, tracing
 * off. `quickstart.yaml` as shipped, and a scaled scenario: 20 clusters × 500 Services × 3
 * endpoints, 10,000 lookups per simulated second for 60 simulated seconds. Each run happens in a
 * child process, so that its peak RSS is its own. Speed is simulated seconds per wall second (the
 * baseline is real time) over the 60 seconds of traffic; building the world and the warmup in
 * which its 30,000 pods start are measured apart.
 */

const CLUSTERS = 20;
const SERVICES = 500;
const RATE_PER_CLUSTER = 10_000 / CLUSTERS;
const TRAFFIC = 60;
const WARMUP = 10;

/** The scaled scenario's text and the manifest file it names. */
export function scaledScenario(): { text: string; files: Record<string, string> } {
  const manifests: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    manifests.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: svc-${s}, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: svc-${s}}}
  template:
    metadata: {labels: {app: svc-${s}}}
    spec: {containers: [{name: app, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-${s}, namespace: default}
spec:
  selector: {app: svc-${s}}
  ports: [{name: http, port: 80}]`);
  }
  const names = Array.from({ length: SERVICES }, (_, s) => `svc-${s}.default.svc.cluster.local.`);
  const clusters = Array.from({ length: CLUSTERS }, (_, c) => {
    const region = `region-${Math.floor(c / 5)}`;
    return `    - {name: c${c}, region: ${region}, zones: [${region}a, ${region}b, ${region}c], nodesPerZone: 3, podStartup: 500ms}`;
  });
  const streams = Array.from(
    { length: CLUSTERS },
    (_, c) => `    - name: c${c}
      from: {cluster: c${c}, pod: client, create: {image: "debian:12"}}
      resolve: [${names.join(", ")}]
      type: A
      arrival: poisson
      rate: ${RATE_PER_CLUSTER}
      start: ${WARMUP}s`,
  );
  const text = `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: scaled}
spec:
  seed: 1
  duration: ${WARMUP + TRAFFIC}s
  warmup: ${WARMUP}s
  clusters:
${clusters.join("\n")}
  manifests:
    - clusters: [${Array.from({ length: CLUSTERS }, (_, c) => `c${c}`).join(", ")}]
      file: services.yaml
  traffic:
${streams.join("\n")}
`;
  return { text, files: { "services.yaml": manifests.join("\n---\n") } };
}

/** What a child run reports. */
interface ChildResult {
  readonly wall: number;
  /** Wall seconds to load the scenario, build the world and run the warmup. */
  readonly setupWall: number;
  readonly simulated: number;
  readonly maxRssMiB: number;
  readonly lookups: number;
  readonly failed: number;
}

/** Runs in the child: one scenario, then what it took. */
export function runChild(name: string): ChildResult {
  const { text, files } =
    name === "quickstart"
      ? { text: readFileSync("scenarios/quickstart.yaml", "utf8"), files: {} as Record<string, string> }
      : scaledScenario();
  const file = name === "quickstart" ? "scenarios/quickstart.yaml" : "scaled.yaml";
  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  const scenario = loadScenario(text, file, { readFile: (p) => files[p] ?? readFileSync(p, "utf8") });
  let setupWall = 0;
  const report = runScenario(scenario, {
    traceLevel: "off",
    onProgress: (p) => {
      if (p.now <= scenario.spec.warmup) setupWall = seconds();
    },
  });
  const wall = seconds();
  return {
    wall,
    setupWall,
    simulated: report.simulated,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    lookups: report.streams.reduce((n, s) => n + s.count, 0),
    failed: report.streams.reduce((n, s) => n + s.failed, 0),
  };
}

function child(name: string): ChildResult {
  const r = spawnSync(process.execPath, [process.argv[1]!, "--child", name], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`the ${name} run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

export const scenario: Benchmark = {
  name: "scenario",
  description: "whole scenario runs, tracing off: quickstart.yaml, and 20 clusters × 500 Services × 3 endpoints at 10,000 lookups/s for 60 s",
  run(): Figure[] {
    const quick = child("quickstart");
    const scaled = child("scaled");
    if (scaled.failed > 0) throw new Error(`${scaled.failed} of ${scaled.lookups} lookups failed in the scaled scenario: its world is broken`);
    const traffic = scaled.wall - scaled.setupWall;
    const speed = TRAFFIC / traffic;
    return [
      { bench: "scenario", figure: "quickstart.wall", value: quick.wall, unit: "s" },
      { bench: "scenario", figure: "quickstart.peak-rss", value: quick.maxRssMiB, unit: "MiB" },
      { bench: "scenario", figure: "scaled.setup.wall", value: scaled.setupWall, unit: `s (load, build, ${WARMUP}s warmup)` },
      { bench: "scenario", figure: "scaled.traffic.wall", value: traffic, unit: `s for ${TRAFFIC} simulated s`, target: "<=3", pass: meets("<=3", traffic) },
      { bench: "scenario", figure: "scaled.lookups", value: scaled.lookups, unit: "lookups" },
      { bench: "scenario", figure: "scaled.vs-real-time", value: speed, unit: "x", baseline: "real time", ratio: speed, target: ">=20", pass: meets(">=20", speed) },
      { bench: "scenario", figure: "scaled.peak-rss", value: scaled.maxRssMiB, unit: "MiB", target: "<=1024", pass: meets("<=1024", scaled.maxRssMiB) },
    ];
  },
};
