import { readScenarioFile } from "../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import type { World } from "../../src/scenario/world.js";
import { startPod } from "../../src/shell/exec.js";
import type { PodShell } from "../../src/shell/pod.js";

/** The serve-dns fixture (cluster `east`, namespace `shop`: web, api dual-stack, payments ExternalName, 60-pod headless many). */
const FIXTURE = "test/dns/fixtures/serve-dns.yaml";

/** The fixture's world at the end of its warmup: every pod running, every Service served. */
export function fixtureWorld(): World {
  const { scenario } = readScenarioFile(FIXTURE);
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off" });
  world.runUntil(scenario.spec.warmup);
  return world;
}

/** A new pod in namespace `shop` of the fixture's cluster, with the image given. */
export function podWith(image: string, world = fixtureWorld(), name = "tools"): PodShell {
  return startPod(world, "east", "shop", name, image);
}

/** The ClusterIP of a Service of the fixture. */
export function clusterIp(world: World, name: string): string {
  return world.cluster("east").api.get("Service", "shop", name)!.spec.clusterIP!;
}

/** The kube-dns address every pod's resolv.conf names. */
export const KUBE_DNS = "10.96.0.10";
