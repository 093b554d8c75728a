import { describe, expect, it } from "vitest";
import { DEFAULT_CONNECT_TIMEOUT } from "../../src/http/client.js";
import { parseUrl, resultCode, succeeded, UrlError } from "../../src/http/message.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";
import { call, httpWorld, webPods } from "./http-world.js";

const podIp = (w: ReturnType<typeof httpWorld>, name: string) => w.cluster("east").api.get("Pod", "default", name)!.status!.podIP!;

describe("parseUrl", () => {
  it("reads host, port (80 by default), authority and path (/ by default)", () => {
    expect(parseUrl("http://web")).toEqual({ host: "web", port: 80, authority: "web", path: "/" });
    expect(parseUrl("http://web.default.svc:8080/api/v1?x=1")).toEqual({ host: "web.default.svc", port: 8080, authority: "web.default.svc:8080", path: "/api/v1?x=1" });
  });

  it("refuses other schemes and shapes, saying what it takes", () => {
    expect(() => parseUrl("https://web")).toThrow(/only http:\/\/ URLs are modelled, not https/);
    expect(() => parseUrl("web/path")).toThrow(UrlError);
    expect(() => parseUrl("http://web:70000/")).toThrow(/port 70000 is out of range/);
  });
});

describe("an HTTP call without a sidecar", () => {
  it("resolves the Service's name through the pod's resolver, connects through kube-proxy and gets 200", () => {
    const w = httpWorld();
    const r = call(w, "http://web/");
    expect(r.status).toBe(200);
    expect(succeeded(r)).toBe(true);
    expect(resultCode(r)).toBe("200");
    // The address is the Service's cluster IP: the client never learns which pod answered.
    expect(r.address).toBe(w.cluster("east").api.get("Service", "default", "web")!.spec.clusterIP);
    // Same zone or not, a lookup plus two round trips plus service time is milliseconds.
    expect(r.finishedAt - r.startedAt).toBeLessThan(50 * MILLISECOND);
  });

  it("is refused at once by a host with nothing listening on the port (a RST to the SYN)", () => {
    const w = httpWorld();
    const r = call(w, `http://${podIp(w, webPods(w)[0]!)}:9999/`);
    expect(r).toMatchObject({ status: null, error: "connect-refused" });
    expect(r.finishedAt - r.startedAt).toBeLessThan(10 * MILLISECOND);
    expect(w.network.stats.dropped.get("port-closed")).toBe(1);
  });

  it("is refused by a Service without endpoints (kube-proxy's REJECT), not left to time out", () => {
    const w = httpWorld({ replicas: 0 });
    const r = call(w, "http://web/");
    expect(r.error).toBe("connect-refused");
    expect(w.network.stats.dropped.get("no-endpoints")).toBe(1);
  });

  it("times out connecting over a partition, after the connect timeout, having retransmitted the SYN", () => {
    const w = httpWorld();
    const pod = webPods(w)[0]!;
    w.network.partition({ hosts: ["east/default/client"] }, { hosts: [`east/default/${pod}`] });
    const connectTimeout = 3500 * MILLISECOND;
    const r = call(w, `http://${podIp(w, pod)}:8080/`, { timeout: 30 * SECOND, connectTimeout });
    expect(r.error).toBe("connect-timeout");
    expect(r.finishedAt - r.startedAt).toBe(connectTimeout);
    // SYNs at 0, 1s and 3s (RTO 1s, doubled), all lost to the partition.
    expect(w.network.stats.dropped.get("partition")).toBe(3);
  });

  it("calls the connect timeout a connect timeout even when the call's own timeout comes first", () => {
    const w = httpWorld();
    const pod = webPods(w)[0]!;
    w.network.setHostUp(w.cluster("east").podHost("default", pod)!, false);
    const r = call(w, `http://${podIp(w, pod)}:8080/`, { timeout: 2 * SECOND });
    expect(r.error).toBe("connect-timeout");
    expect(r.finishedAt - r.startedAt).toBe(2 * SECOND);
    expect(2 * SECOND).toBeLessThan(DEFAULT_CONNECT_TIMEOUT);
  });

  it("ends in dns when the host does not resolve, having sent no SYN", () => {
    const w = httpWorld();
    const r = call(w, "http://nosuch/");
    expect(r).toMatchObject({ status: null, error: "dns" });
    expect(r.address).toBeUndefined();
  });

  it("sends the method, authority and path the URL gives", () => {
    const w = httpWorld({ replicas: 1 });
    const server = w.http.serversOf("east", "default", webPods(w)[0]!)[0]!;
    const seen: unknown[] = [];
    const original = server.receive.bind(server);
    server.receive = (m) => {
      if (m.kind === "http.request") seen.push((m.body as { request: unknown }).request);
      original(m);
    };
    expect(call(w, "http://web.default.svc.cluster.local/items?id=3", { method: "POST" }).status).toBe(200);
    expect(seen).toEqual([{ method: "POST", authority: "web.default.svc.cluster.local", path: "/items?id=3" }]);
  });
});

describe("an app told to fail", () => {
  /** One web pod, so that every call reaches the server with the fault. */
  function failing(fault: Parameters<ReturnType<ReturnType<typeof httpWorld>["http"]["serversOf"]>[number]["addFault"]>[0]) {
    const w = httpWorld({ replicas: 1 });
    const server = w.http.serversOf("east", "default", webPods(w)[0]!)[0]!;
    const remove = server.addFault(fault);
    return { w, server, remove };
  }

  it("answers with the status of an abort", () => {
    const { w } = failing({ abort: { status: 503, probability: 1 } });
    const r = call(w, "http://web/");
    expect(r.status).toBe(503);
    expect(succeeded(r)).toBe(false);
    expect(resultCode(r)).toBe("503");
  });

  it("resets the connection after it opened: reset, not connect-refused", () => {
    const { w, server } = failing({ reset: 1 });
    expect(call(w, "http://web/").error).toBe("reset");
    expect(server.served.resets).toBe(1);
  });

  it("hangs: the call ends in timeout exactly at its timeout", () => {
    const { w } = failing({ hang: 1 });
    const r = call(w, "http://web/", { timeout: 1500 * MILLISECOND });
    expect(r.error).toBe("timeout");
    expect(r.finishedAt - r.startedAt).toBe(1500 * MILLISECOND);
  });

  it("delays the answer by the fault's delay", () => {
    const { w } = failing({ delay: { delay: 300 * MILLISECOND, probability: 1 } });
    const r = call(w, "http://web/");
    expect(r.status).toBe(200);
    expect(r.finishedAt - r.startedAt).toBeGreaterThan(300 * MILLISECOND);
    expect(r.finishedAt - r.startedAt).toBeLessThan(350 * MILLISECOND);
  });

  it("serves normally again once the fault is removed", () => {
    const { w, remove } = failing({ abort: { status: 500, probability: 1 } });
    expect(call(w, "http://web/").status).toBe(500);
    remove();
    expect(call(w, "http://web/").status).toBe(200);
  });

  it("fails about the fraction of requests its probability says", () => {
    const { w } = failing({ abort: { status: 503, probability: 0.3 } });
    const results: number[] = [];
    for (let i = 0; i < 400; i++) w.request("east", "default/client", "http://web/", { timeout: 5 * SECOND, onDone: (r) => results.push(r.status!) });
    w.runFor(10 * SECOND);
    expect(results).toHaveLength(400);
    const failed = results.filter((s) => s === 503).length / results.length;
    expect(failed).toBeGreaterThan(0.22);
    expect(failed).toBeLessThan(0.38);
  });
});

describe("apps", () => {
  it("listen on the pods' declared TCP containerPorts, or the ports the app names", () => {
    const w = httpWorld({ apps: [{ name: "web", namespace: "default", labels: { app: "web" }, ports: [8080, 9090] }] });
    const servers = w.http.serversOf("east", "default", webPods(w)[0]!);
    expect(servers.map((s) => s.address!.port)).toEqual([8080, 9090]);
    expect(call(w, `http://${podIp(w, webPods(w)[0]!)}:9090/`).status).toBe(200);
  });

  it("do not run in pods they do not select: a connection to those is refused", () => {
    const w = httpWorld({ apps: [{ name: "other", namespace: "default", labels: { app: "other" } }] });
    expect(w.http.serversOf("east", "default", webPods(w)[0]!)).toEqual([]);
    expect(call(w, "http://web/").error).toBe("connect-refused");
  });

  it("stop with their pod: a killed pod's server is gone", () => {
    const w = httpWorld({ replicas: 1 });
    const [pod] = webPods(w);
    w.cluster("east").api.delete("Pod", "default", pod!);
    w.runFor(SECOND);
    expect(w.http.serversOf("east", "default", pod!)).toEqual([]);
  });
});
