import { describe, expect, it } from "vitest";
import { SECOND } from "../../../src/sim/time.js";
import { exportedWeb, linkerdWorld, westCall } from "./linkerd-world.js";

describe("Linkerd's service mirror (mesh.md §5.1, §5.2)", () => {
  it("mirrors an exported Service as <svc>-<cluster> in the same namespace, its endpoints the remote gateway on 4143", () => {
    const w = linkerdWorld();
    const west = w.cluster("west").api;
    const mirror = west.get("Service", "default", "web-east")!;
    expect(mirror.metadata.labels).toMatchObject({ "mirror.linkerd.io/mirrored-service": "true", "mirror.linkerd.io/cluster-name": "east" });
    const slice = west.get("EndpointSlice", "default", "web-east")!;
    const gateway = w.linkerd!.gatewayAddressOf("east")!;
    expect(slice.endpoints).toEqual([{ addresses: [gateway], conditions: { ready: true } }]);
    expect(slice.ports?.map((p) => p.port)).toEqual([4143]);
    expect(slice.metadata.annotations?.["mirror.linkerd.io/remote-svc-fq-name"]).toBe("web.default.svc.cluster.local");
  });

  it("gateway mode: the mirror's endpoints do not change when the remote scales from 2 to 5, only when it becomes empty (mesh.md §5.2)", () => {
    const w = linkerdWorld();
    const west = w.cluster("west").api;
    const version = () => west.get("EndpointSlice", "default", "web-east")!.metadata.resourceVersion;
    const before = version();
    const east = w.cluster("east").api;
    const scale = (replicas: number) => east.update({ ...east.get("Deployment", "default", "web")!, spec: { ...east.get("Deployment", "default", "web")!.spec, replicas } });
    scale(5);
    w.runFor(20 * SECOND);
    expect(version()).toBe(before);
    scale(0);
    w.runFor(20 * SECOND);
    expect(west.get("EndpointSlice", "default", "web-east")!.endpoints).toEqual([]);
    expect(westCall(w).status).toBe(503);
    scale(1);
    w.runFor(20 * SECOND);
    expect(west.get("EndpointSlice", "default", "web-east")!.endpoints).toHaveLength(1);
  });

  it("skips a Service whose namespace does not exist in the source cluster, and mirrors it at its next change once it does", () => {
    const w = linkerdWorld();
    const east = w.cluster("east").api;
    east.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    east.apply({ ...exportedWeb(), metadata: { ...exportedWeb().metadata, namespace: "shop" } });
    w.runFor(10 * SECOND);
    const west = w.cluster("west").api;
    expect(west.get("Service", "shop", "web-east")).toBeUndefined();
    // The controller mirrors it at the Service's next change, once the namespace is there.
    west.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const web = east.get("Service", "shop", "web")!;
    east.update({ ...web, metadata: { ...web.metadata, annotations: { touched: "yes" } } });
    w.runFor(10 * SECOND);
    expect(west.get("Service", "shop", "web-east")?.metadata.labels?.["mirror.linkerd.io/cluster-name"]).toBe("east");
  });

  it("a Service unexported (its label removed) loses its mirror", () => {
    const w = linkerdWorld();
    const east = w.cluster("east").api;
    east.apply({ ...exportedWeb(), metadata: { name: "web", namespace: "default" } });
    w.runFor(10 * SECOND);
    expect(w.cluster("west").api.get("Service", "default", "web-east")).toBeUndefined();
  });
});

describe("The Linkerd proxy across the gateway (mesh.md §5.2)", () => {
  it("a meshed pod's call of web-east goes through east's gateway to a web pod and answers 200", () => {
    const w = linkerdWorld();
    const r = westCall(w);
    expect(r.status).toBe(200);
    const gateway = w.linkerd!.gatewayAddressOf("east")!;
    expect(r.upstream).toBe(`${gateway}:4143`);
  });

  it("flat mode (remote-discovery): the mirror has no endpoints and the proxy reaches the remote pods directly", () => {
    const w = linkerdWorld({ mode: "remote-discovery", flat: true });
    expect(w.cluster("west").api.get("EndpointSlice", "default", "web-east")).toBeUndefined();
    const r = westCall(w);
    expect(r.status).toBe(200);
    const podIps = w.cluster("east").api.list("Pod", "default").map((p) => p.status?.podIP);
    expect(podIps).toContain(r.upstream?.split(":")[0]);
  });

  it("clusters without a shared trust anchor fail the handshake: 502", () => {
    const w = linkerdWorld({ mesh: { clusters: [{ name: "east", trustAnchor: "root.east" }, { name: "west" }] } });
    const r = westCall(w);
    expect([r.status, r.error]).toEqual([502, "tls"]);
  });
});
