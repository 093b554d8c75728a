import { describe, expect, it } from "vitest";
import type { IstioMeshOptions } from "../../src/mesh/istio/mesh.js";
import { TLS_CONNECTION_RESET } from "../../src/mesh/istio/eastwest.js";
import { SECOND } from "../../src/sim/time.js";
import { World } from "../../src/scenario/world.js";
import { clientPod, WEB_APP, webDeployment, webService } from "../http/http-world.js";
import { meshCall, meshOptions } from "./mesh-world.js";

const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";

/**
 * east (network1) and west (network2) on two topology networks, so that their pods cannot reach
 * each other but through load balancers; the mesh installs an east-west gateway in each.
 */
function twoNetworks(options: { readonly east?: number; readonly west?: number; readonly mesh?: Partial<IstioMeshOptions> } = {}): World {
  const w = new World({ seed: 1, traceLevel: "summary" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], network: "net-east" });
  w.addCluster({ name: "west", region: "us-west-2", zones: ["us-west-2a"], network: "net-west" });
  for (const c of ["east", "west"]) w.serveHttp(c, [WEB_APP]);
  w.apply("east", [webDeployment(options.east ?? 0), webService, clientPod]);
  w.apply("west", [webDeployment(options.west ?? 2), webService]);
  w.installIstio(meshOptions({ clusters: [{ name: "east", network: "network1" }, { name: "west", network: "network2" }], ...options.mesh }));
  w.runFor(30 * SECOND);
  return w;
}

const gatewayIp = (w: World, cluster: string) => w.cluster(cluster).api.get("Service", "istio-system", "istio-eastwestgateway")!.status!.loadBalancer!.ingress![0]!.ip!;

describe("east-west gateway (mesh.md §1.3)", () => {
  it("§1.3: the mesh installs the gateway Deployment, its LoadBalancer Service labelled with the network, and the AUTO_PASSTHROUGH Gateway", () => {
    const w = twoNetworks();
    const api = w.cluster("west").api;
    const svc = api.get("Service", "istio-system", "istio-eastwestgateway")!;
    expect(svc.metadata.labels?.["topology.istio.io/network"]).toBe("network2");
    expect(svc.spec.ports!.map((p) => `${p.name}:${p.port}`)).toEqual(["status-port:15021", "tls:15443", "tls-istiod:15012", "tls-webhook:15017"]);
    expect(api.get("Gateway", "istio-system", "cross-network-gateway")!.spec.servers[0]!.tls?.mode).toBe("AUTO_PASSTHROUGH");
    expect(w.mesh!.gatewayOf("west")).toBeDefined();
  });

  it("§1.3 §1.4: a cross-network call goes to the other network's gateway on 15443, which passes it by SNI to a local endpoint", () => {
    const w = twoNetworks();
    const eps = w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!;
    expect(eps.map((e) => [e.address, e.port, e.weight])).toEqual([[gatewayIp(w, "west"), 15443, 2]]);
    const r = meshCall(w);
    expect(r).toMatchObject({ status: 200, upstream: `${gatewayIp(w, "west")}:15443` });
  });

  it("§1.3: with no local endpoint behind it the gateway closes the connection: the client sees the TLS reset and a 503", () => {
    const w = twoNetworks();
    // east's istiod loses west's API server, so it keeps west's endpoints (stale, mesh.md §1.2);
    // west's own view, and its gateway's, follow the web pods down to none.
    w.network.partition({ clusters: ["east"] }, { hosts: ["west/kube-apiserver"] });
    w.apply("west", [webDeployment(0)]);
    w.runFor(30 * SECOND);
    expect(w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!.map((e) => e.port)).toEqual([15443]);
    const r = meshCall(w);
    expect(r).toMatchObject({ status: 503, flag: "UF,URX", error: "tls" });
    expect(r.detail).toContain(`TLS error: ${TLS_CONNECTION_RESET}`);
  });

  it("§1.3: a killed gateway pod fails cross-network connections (503 UF) until the Deployment's new pod runs, and calls recover", () => {
    const w = twoNetworks();
    const api = w.cluster("west").api;
    const pod = api.list("Pod", "istio-system").find((p) => p.metadata.labels?.istio === "eastwestgateway")!;
    w.cluster("west").delete("Pod", "istio-system", pod.metadata.name);
    // The load balancer still sends to the dead pod's address until kube-proxy learns of it: the connect times out.
    const down = meshCall(w);
    expect(down.status).toBe(503);
    expect(down.flag).toContain("UF");
    w.runFor(30 * SECOND);
    expect(meshCall(w)).toMatchObject({ status: 200 });
  });

  it("§3.5: through the gateway mTLS is end to end: west's different root CA fails the handshake at east's sidecar", () => {
    const w = twoNetworks({ mesh: { clusters: [{ name: "east", network: "network1" }, { name: "west", network: "network2", rootCA: "west-root" }] } });
    const r = meshCall(w);
    expect(r).toMatchObject({ status: 503, flag: "UF,URX", error: "tls" });
    expect(r.detail).toContain("CERTIFICATE_VERIFY_FAILED");
  });
});
