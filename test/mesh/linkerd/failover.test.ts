import { describe, expect, it } from "vitest";
import type { TrafficSplit } from "../../../src/k8s/linkerd.js";
import { failoverWeights } from "../../../src/mesh/linkerd/failover.js";
import { SECOND } from "../../../src/sim/time.js";
import { webDeployment, webService } from "../../http/http-world.js";
import { linkerdWorld, westCall } from "./linkerd-world.js";

const split = (weights: number[]): TrafficSplit => ({
  apiVersion: "split.smi-spec.io/v1alpha2",
  kind: "TrafficSplit",
  metadata: { name: "web", namespace: "default", labels: { "failover.linkerd.io/controlled-by": "linkerd-failover" }, annotations: { "failover.linkerd.io/primary-service": "web-local" } },
  spec: { service: "web", backends: ["web-local", "web-east", "web-central"].map((service, i) => ({ service, weight: weights[i]! })) },
});

describe("linkerd-failover's weights (mesh.md §5.4, the unit cases of lib.rs)", () => {
  const weights = (ready: string[], from = [1, 0, 0]) => failoverWeights(split(from), (s) => ready.includes(s)).map((b) => b.weight);
  it("all three backends ready: [primary 1, secondary 0, tertiary 0]", () => expect(weights(["web-local", "web-east", "web-central"])).toEqual([1, 0, 0]));
  it("the primary not ready (a notReady address only): [0, 1, 1]", () => expect(weights(["web-east", "web-central"])).toEqual([0, 1, 1]));
  it("only one secondary ready: [0, 1, 0]; nothing ready: all 0", () => {
    expect(weights(["web-east"])).toEqual([0, 1, 0]);
    expect(weights([])).toEqual([0, 0, 0]);
  });
});

describe("linkerd-failover in a cluster (mesh.md §5.4)", () => {
  it("fails over to the mirror when the local primary scales to 0, back when it returns, and patches only when a weight changes", () => {
    const w = linkerdWorld();
    const west = w.cluster("west").api;
    const local = { ...webService, metadata: { name: "web-local", namespace: "default" } };
    for (const o of [webService, local, webDeployment(2)]) west.apply(o);
    west.apply({ ...split([1, 0, 0]), spec: { service: "web", backends: [{ service: "web-local", weight: 1 }, { service: "web-east", weight: 0 }] } });
    w.runFor(20 * SECOND);
    const failover = w.linkerd!.failoverOf("west")!;
    // While the local pods started it failed over and back; from now on, steady.
    const base = failover.patches;
    w.runFor(20 * SECOND);
    expect(failover.patches).toBe(base);
    const weightsNow = () => west.get("TrafficSplit", "default", "web")!.spec.backends.map((b) => b.weight);
    expect(weightsNow()).toEqual([1, 0]);
    const upstreamPod = (r: { upstream?: string }) => r.upstream?.split(":")[0];
    const gateway = w.linkerd!.gatewayAddressOf("east")!;
    expect(upstreamPod(westCall(w, "http://web/"))).not.toBe(gateway);
    const scale = (replicas: number) => west.update({ ...west.get("Deployment", "default", "web")!, spec: { ...west.get("Deployment", "default", "web")!.spec, replicas } });
    scale(0);
    w.runFor(20 * SECOND);
    expect(weightsNow()).toEqual([0, 1]);
    expect(failover.patches).toBe(base + 1);
    const r = westCall(w, "http://web/");
    expect([r.status, upstreamPod(r)]).toEqual([200, gateway]);
    scale(2);
    w.runFor(20 * SECOND);
    expect(weightsNow()).toEqual([1, 0]);
    expect(failover.patches).toBe(base + 2);
  });
});
