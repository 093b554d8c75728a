import { describe, expect, it } from "vitest";
import type { HttpFault } from "../../src/http/server.js";
import type { HTTPRoute, VirtualService } from "../../src/k8s/istio.js";
import type { Deployment } from "../../src/k8s/objects.js";
import { defaultRetryPolicy, retriable, routeRetryPolicy } from "../../src/mesh/istio/sidecar-retry.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";
import type { World } from "../../src/scenario/world.js";
import { webDeployment } from "../http/http-world.js";
import { meshWorld, upstreamCluster, webRule } from "./mesh-world.js";

const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";

/** A Deployment of web pods labelled with a version. */
const versioned = (version: string, replicas = 1): Deployment => {
  const d = webDeployment(replicas);
  const labels = { app: "web", version };
  return { ...d, metadata: { name: `web-${version}`, namespace: "default" }, spec: { ...d.spec, selector: { matchLabels: labels }, template: { ...d.spec.template, metadata: { labels } } } };
};

const webVs = (http: HTTPRoute[]): VirtualService => ({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "web", namespace: "default" }, spec: { hosts: ["web"], http } });

const SUBSETS = [
  { name: "v1", labels: { version: "v1" } },
  { name: "v2", labels: { version: "v2" } },
];

/** East with web v1 and v2 (one pod each) and nothing in west, the web DR's subsets and `vs`. */
function versionWorld(vs: VirtualService | undefined, version = "1.24.0"): World {
  const w = meshWorld({ east: 0, west: 0, mesh: { version }, config: [webRule({}, SUBSETS), ...(vs ? [vs] : [])] });
  w.apply("east", [versioned("v1"), versioned("v2")]);
  w.runFor(20 * SECOND);
  return w;
}

/** One call from east's client, with headers, run until it ended. */
function send(w: World, url = "http://web/", headers: Record<string, string> = {}, wait = 3 * SECOND) {
  const pending = w.request("east", "default/client", url, { timeout: 10 * SECOND, headers });
  w.runFor(wait);
  if (!pending.result) throw new Error("the call did not end");
  return pending.result;
}

/** The version label of the pod a call reached. */
function versionOf(w: World, upstream: string | undefined): string | undefined {
  const ip = upstream?.split(":")[0];
  return w.cluster("east").api.list("Pod", "default").find((p) => p.status?.podIP === ip)?.metadata.labels?.version;
}

/** Makes every server of the pods of one version misbehave as `fault` says. */
function failVersion(w: World, version: string, fault: HttpFault): void {
  for (const p of w.cluster("east").api.list("Pod", "default").filter((p) => p.metadata.labels?.version === version)) {
    for (const s of w.http.serversOf("east", "default", p.metadata.name)) s.addFault(fault);
  }
}

/** Responses the servers of one version's pods sent. */
function served(w: World, version: string): number {
  return w
    .cluster("east")
    .api.list("Pod", "default")
    .filter((p) => p.metadata.labels?.version === version)
    .flatMap((p) => w.http.serversOf("east", "default", p.metadata.name))
    .reduce((a, s) => a + s.served.responses, 0);
}

describe("retries and timeouts by Istio version (mesh.md §3.4)", () => {
  it("§3.4: the default policy is 2 retries on connect-failure,…,retriable-status-codes; 503 is retriable up to 1.23, not from 1.24", () => {
    expect(defaultRetryPolicy("1.23.3")).toEqual({ numRetries: 2, retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"], retriableStatusCodes: [503], retryRemoteLocalities: false });
    expect(defaultRetryPolicy("1.24.0").retriableStatusCodes).toEqual([]);
    expect(defaultRetryPolicy("1.27.1").retriableStatusCodes).toEqual([]);
    expect(retriable(defaultRetryPolicy("1.23.0"), { status: 503 })).toBe(true);
    expect(retriable(defaultRetryPolicy("1.24.0"), { status: 503 })).toBe(false);
    expect(retriable(defaultRetryPolicy("1.24.0"), { reset: "connect-failure" })).toBe(true);
    expect(retriable(defaultRetryPolicy("1.24.0"), { reset: "reset" })).toBe(false);
  });

  it("§3.4: a VirtualService's retries replace the count and conditions; attempts 0 disables; codes in retryOn are retriable status codes", () => {
    expect(routeRetryPolicy({ attempts: 0 }, "1.23.0").numRetries).toBe(0);
    const p = routeRetryPolicy({ attempts: 4, retryOn: "gateway-error,409", perTryTimeout: "200ms" }, "1.24.0");
    expect(p).toEqual({ numRetries: 4, retryOn: ["gateway-error", "retriable-status-codes"], retriableStatusCodes: [409], perTryTimeout: 200 * MILLISECOND, retryRemoteLocalities: false });
    expect(retriable(p, { status: 504 })).toBe(true);
    expect(retriable(p, { status: 500 })).toBe(false);
    expect(retriable(p, { status: 409 })).toBe(true);
    expect(retriable(p, { reset: "timeout" })).toBe(true);
  });

  it("§3.4: with 1.23 a 503 from one host is retried on another and the caller sees 200; with 1.24 it sees the 503", () => {
    for (const [version, want] of [
      ["1.23.0", 0],
      ["1.24.0", 1],
    ] as const) {
      const w = versionWorld(undefined, version);
      failVersion(w, "v2", { abort: { status: 503, probability: 1 } });
      const codes = Array.from({ length: 30 }, () => send(w, "http://web/", {}, SECOND).status);
      expect(codes.includes(503) ? 1 : 0, version).toBe(want);
      expect(served(w, "v2")).toBeGreaterThan(0);
    }
  });

  it("§3.4: retries on 5xx exhausted answer the last 503 with URX after 1 + attempts tries; attempts 0 tries once with no URX", () => {
    const w = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v2" } }], retries: { attempts: 3, retryOn: "5xx" } }]));
    failVersion(w, "v2", { abort: { status: 503, probability: 1 } });
    expect(send(w)).toMatchObject({ status: 503, flag: "URX" });
    expect(served(w, "v2")).toBe(4);
    const once = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v2" } }], retries: { attempts: 0 } }]));
    failVersion(once, "v2", { abort: { status: 503, probability: 1 } });
    const r = send(once);
    expect([r.status, r.flag]).toEqual([503, undefined]);
    expect(served(once, "v2")).toBe(1);
  });

  it("§3.4: a VirtualService timeout ends a slow call with 504 UT at the timeout; a per-try timeout retried ends UT,URX", () => {
    const w = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], timeout: "500ms" }]));
    failVersion(w, "v1", { delay: { delay: 2 * SECOND, probability: 1 } });
    const r = send(w);
    expect(r).toMatchObject({ status: 504, flag: "UT", error: "timeout" });
    // The route timeout starts at the router, after the pod's name lookup.
    expect(r.finishedAt - r.startedAt).toBeGreaterThanOrEqual(500 * MILLISECOND);
    expect(r.finishedAt - r.startedAt).toBeLessThan(510 * MILLISECOND);
    const tries = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], retries: { attempts: 2, perTryTimeout: "200ms", retryOn: "5xx" } }]));
    failVersion(tries, "v1", { delay: { delay: 2 * SECOND, probability: 1 } });
    const t = send(tries, "http://web/", {}, 5 * SECOND);
    expect(t).toMatchObject({ status: 504, flag: "UT,URX" });
    expect(t.finishedAt - t.startedAt).toBeGreaterThanOrEqual(600 * MILLISECOND);
    expect(t.finishedAt - t.startedAt).toBeLessThan(SECOND);
  });

  it("§3.4: retryRemoteLocalities sends the retry to the next priority; without it retries stay in the local one", () => {
    // Outlier detection with both detectors off: priorities by locality, and no ejection.
    const rule = webRule({ outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 0 } });
    for (const [remote, want] of [
      [true, { status: 200, cluster: "west" }],
      [false, { status: 503, cluster: "east" }],
    ] as const) {
      const vs = webVs([{ route: [{ destination: { host: "web" } }], retries: { attempts: 2, retryOn: "5xx", retryRemoteLocalities: remote } }]);
      const w = meshWorld({ east: 1, west: 1, config: [rule, vs] });
      const pod = w.cluster("east").api.list("Pod", "default").find((p) => p.metadata.labels?.app === "web")!;
      for (const s of w.http.serversOf("east", "default", pod.metadata.name)) s.addFault({ abort: { status: 503, probability: 1 } });
      const r = send(w);
      expect({ status: r.status, cluster: upstreamCluster(w, r) }, `retryRemoteLocalities ${remote}`).toEqual(want);
    }
  });

  it("§3.4: the connect timeout is the mesh's 10s unless the DR's connectionPool.tcp.connectTimeout sets it", () => {
    const plain = meshWorld({ east: 1, west: 0 });
    expect(plain.mesh!.sidecarOf("east", "default", "client")!.view().clusters.get(WEB_CLUSTER)!.connectTimeout).toBe(10 * SECOND);
    const w = meshWorld({ east: 1, west: 0, config: [webRule({ connectionPool: { tcp: { connectTimeout: "250ms" } } })] });
    expect(w.mesh!.sidecarOf("east", "default", "client")!.view().clusters.get(WEB_CLUSTER)!.connectTimeout).toBe(250 * MILLISECOND);
  });
});

describe("failoverPriority through istiod (mesh.md §3.1)", () => {
  it("§3.1: failoverPriority [version=v2] with outlierDetection puts v2's pod at priority 0 and v1's at 1, and traffic on v2", () => {
    const w = meshWorld({ east: 0, west: 0, config: [webRule({ outlierDetection: {}, loadBalancer: { localityLbSetting: { failoverPriority: ["version=v2"] } } })] });
    w.apply("east", [versioned("v1"), versioned("v2")]);
    w.runFor(20 * SECOND);
    const eps = w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!;
    expect(eps.map((e) => `${e.labels.version}:${e.priority}`).sort()).toEqual(["v1:1", "v2:0"]);
    for (let i = 0; i < 5; i++) expect(versionOf(w, send(w, "http://web/", {}, SECOND).upstream)).toBe("v2");
  });
});

describe("VirtualService routing (mesh.md §3, issue 7 data plane)", () => {
  it("routes by uri prefix, exact and regex, and by header, to DR subsets by their labels", () => {
    const w = versionWorld(
      webVs([
        { match: [{ uri: { exact: "/v1" } }, { uri: { regex: "/a+/v1" } }], route: [{ destination: { host: "web", subset: "v1" } }] },
        { match: [{ headers: { "end-user": { prefix: "jason" } } }], route: [{ destination: { host: "web", subset: "v1" } }] },
        { match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "web", subset: "v2" } }] },
      ]),
    );
    expect(versionOf(w, send(w, "http://web/v1").upstream)).toBe("v1");
    expect(versionOf(w, send(w, "http://web/aaa/v1").upstream)).toBe("v1");
    expect(versionOf(w, send(w, "http://web/v1/x").upstream)).toBe("v2");
    expect(versionOf(w, send(w, "http://web/b/v1").upstream)).toBe("v2");
    expect(versionOf(w, send(w, "http://web/", { "end-user": "jason-x" }).upstream)).toBe("v1");
    expect(versionOf(w, send(w, "http://web/", { "end-user": "json" }).upstream)).toBe("v2");
    for (let i = 0; i < 5; i++) expect(versionOf(w, send(w, "http://web/", {}, SECOND).upstream)).toBe("v2");
  });

  it("splits by route weights, 80/20 between subsets", () => {
    const w = versionWorld(
      webVs([
        {
          route: [
            { destination: { host: "web", subset: "v1" }, weight: 80 },
            { destination: { host: "web", subset: "v2" }, weight: 20 },
          ],
        },
      ]),
    );
    let v1 = 0;
    for (let i = 0; i < 200; i++) if (versionOf(w, send(w, "http://web/", {}, 200 * MILLISECOND).upstream) === "v1") v1++;
    expect(v1).toBeGreaterThan(145);
    expect(v1).toBeLessThan(175);
  });

  it("no route matching is 404 NR; a subset the DR does not have is 503 NC; a port match for another port leaves the route out", () => {
    const w = versionWorld(webVs([{ match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "web", subset: "v9" } }] }]));
    expect(send(w, "http://web/")).toMatchObject({ status: 404, flag: "NR" });
    expect(send(w, "http://web/api")).toMatchObject({ status: 503, flag: "NC" });
    const ported = versionWorld(webVs([{ match: [{ port: 8080 }], route: [{ destination: { host: "web", subset: "v1" } }] }]));
    expect(send(ported, "http://web/")).toMatchObject({ status: 404, flag: "NR" });
  });

  it("a VirtualService is read from istiod's own cluster only", () => {
    const w = meshWorld({ east: 0, west: 0, config: [webRule({}, SUBSETS)] });
    w.apply("east", [versioned("v1"), versioned("v2")]);
    w.apply("west", [webVs([{ route: [{ destination: { host: "web", subset: "v2" } }] }])]);
    w.runFor(20 * SECOND);
    const versions = new Set(Array.from({ length: 20 }, () => versionOf(w, send(w, "http://web/", {}, SECOND).upstream)));
    expect(versions).toEqual(new Set(["v1", "v2"]));
  });

  it("fault injection: an abort on 100% is its status with FI and no upstream; a delay is DI and adds its time; percentages apply", () => {
    const w = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], fault: { abort: { httpStatus: 418, percentage: { value: 100 } } } }]));
    const r = send(w);
    expect(r).toMatchObject({ status: 418, flag: "FI" });
    expect(r.upstream).toBeUndefined();
    expect(served(w, "v1")).toBe(0);
    const slow = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], fault: { delay: { fixedDelay: "1s", percentage: { value: 100 } } } }]));
    const d = send(slow);
    expect(d).toMatchObject({ status: 200, flag: "DI" });
    expect(d.finishedAt - d.startedAt).toBeGreaterThanOrEqual(SECOND);
    const half = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }]));
    let aborted = 0;
    for (let i = 0; i < 200; i++) if (send(half, "http://web/", {}, 100 * MILLISECOND).flag === "FI") aborted++;
    expect(aborted).toBeGreaterThan(75);
    expect(aborted).toBeLessThan(125);
    const unset = versionWorld(webVs([{ route: [{ destination: { host: "web", subset: "v1" } }], fault: { abort: { httpStatus: 503 } } }]));
    expect(send(unset).status).toBe(200);
  });
});
