import { describe, expect, it } from "vitest";
import type { RequestResult } from "../../src/http/message.js";
import { clusterPolicy } from "../../src/mesh/istio/config.js";
import { ConnectionPool, UNLIMITED } from "../../src/mesh/istio/sidecar-pool.js";
import { SECOND } from "../../src/sim/time.js";
import type { World } from "../../src/scenario/world.js";
import { meshWorld, webRule } from "./mesh-world.js";

/**
 * A DestinationRule's connectionPool as Envoy's circuit breakers (the pool of mesh.md §3.4, whose
 * connect timeout is already modelled): tcp.maxConnections, http.http1MaxPendingRequests,
 * http.http2MaxRequests and http.maxRequestsPerConnection; past a limit, 503 UO.
 */
const limits = (l: Partial<ConnectionPool["limits"]>) => ({ maxConnections: UNLIMITED, maxPendingRequests: UNLIMITED, maxRequests: UNLIMITED, maxRequestsPerConnection: 0, ...l });

describe("connectionPool circuit breakers (mesh.md §3.4)", () => {
  it("§3.4: a DR's connectionPool limits become the cluster's breakers, unset ones Istio's 2^32−1; connectTimeout alone sets none", () => {
    expect(clusterPolicy({ connectionPool: { tcp: { maxConnections: 2 }, http: { maxRequestsPerConnection: 1 } } }, SECOND).circuitBreakers).toEqual({
      maxConnections: 2,
      maxPendingRequests: 4_294_967_295,
      maxRequests: 4_294_967_295,
      maxRequestsPerConnection: 1,
    });
    expect(clusterPolicy({ connectionPool: { http: { http1MaxPendingRequests: 3, http2MaxRequests: 7 } } }, SECOND).circuitBreakers).toMatchObject({ maxPendingRequests: 3, maxRequests: 7 });
    expect(clusterPolicy({ connectionPool: { tcp: { connectTimeout: "1s" } } }, SECOND).circuitBreakers).toBeUndefined();
    expect(clusterPolicy({}, SECOND).circuitBreakers).toBeUndefined();
  });

  it("§3.4: past maxConnections a request waits for a connection, past http1MaxPendingRequests it overflows; a release runs the first waiting", () => {
    const pool = new ConnectionPool(limits({ maxConnections: 1, maxPendingRequests: 1 }));
    const ran: string[] = [];
    expect(pool.acquire(() => ran.push("a"))).toBe(true);
    expect(pool.acquire(() => ran.push("b"))).toBe(true);
    expect(pool.acquire(() => ran.push("c"))).toBe(false);
    expect(ran).toEqual(["a"]);
    pool.release();
    expect(ran).toEqual(["a", "b"]);
    expect(pool.acquire(() => ran.push("d"))).toBe(true);
    pool.release();
    pool.release();
    expect(ran).toEqual(["a", "b", "d"]);
  });

  it("§3.4: http2MaxRequests caps the requests in flight whatever the connections", () => {
    const pool = new ConnectionPool(limits({ maxRequests: 2 }));
    expect([pool.acquire(() => {}), pool.acquire(() => {}), pool.acquire(() => {})]).toEqual([true, true, false]);
    pool.release();
    expect(pool.acquire(() => {})).toBe(true);
  });
});

/** East's one web pod, each request served in a second; then `n` calls at once from the client. */
function concurrentCalls(w: World, n: number): RequestResult[] {
  const pod = w.cluster("east").api.list("Pod", "default").find((p) => p.metadata.labels?.app === "web")!;
  for (const s of w.http.serversOf("east", "default", pod.metadata.name)) s.addFault({ delay: { delay: SECOND, probability: 1 } });
  const calls = Array.from({ length: n }, () => w.request("east", "default/client", "http://web/", { timeout: 10 * SECOND }));
  w.runFor(10 * SECOND);
  return calls.map((c) => c.result!);
}

describe("connectionPool in a sidecar (mesh.md §3.4)", () => {
  it("§3.4: one connection and one pending: of three calls at once two are served in turn, the third gets 503 UO at once", () => {
    const w = meshWorld({ east: 1, west: 0, config: [webRule({ connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } } })] });
    // Which call's lookup ends first decides which one overflows: sorted by when they ended.
    const [c, a, b] = concurrentCalls(w, 3).sort((x, y) => x.finishedAt - y.finishedAt);
    expect(c).toMatchObject({ status: 503, flag: "UO", error: "overflow" });
    expect(c!.finishedAt - c!.startedAt).toBeLessThan(SECOND);
    expect([a!.status, b!.status]).toEqual([200, 200]);
    // The second waited for the first's connection: a second more.
    expect(b!.finishedAt - a!.finishedAt).toBeGreaterThanOrEqual(SECOND);
  });

  it("§3.4: http2MaxRequests 2: the third call at once overflows; without connectionPool all three are served", () => {
    const capped = meshWorld({ east: 1, west: 0, config: [webRule({ connectionPool: { http: { http2MaxRequests: 2 } } })] });
    expect(concurrentCalls(capped, 3).map((r) => `${r.status} ${r.flag ?? ""}`.trim()).sort()).toEqual(["200", "200", "503 UO"]);
    const free = meshWorld({ east: 1, west: 0 });
    expect(concurrentCalls(free, 3).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("§3.4: maxRequestsPerConnection alone limits nothing here: every request has its own connection already", () => {
    const w = meshWorld({ east: 1, west: 0, config: [webRule({ connectionPool: { http: { maxRequestsPerConnection: 1 } } })] });
    expect(concurrentCalls(w, 3).map((r) => r.status)).toEqual([200, 200, 200]);
  });
});
