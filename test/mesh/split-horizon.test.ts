import { describe, expect, it } from "vitest";
import type { Pod, Service } from "../../src/k8s/objects.js";
import { splitHorizon, type HorizonEndpoint, type NetworkGateway } from "../../src/mesh/istio/split-horizon.js";
import { SECOND } from "../../src/sim/time.js";
import { meshWorld } from "./mesh-world.js";

const locality = { region: "r", zone: "z", subzone: "" };
const ep = (address: string, network: string, mtls = true): HorizonEndpoint => ({ address, port: 8080, locality, cluster: `c-${network}`, network, labels: {}, mtls });
const gw = (address: string, network: string): NetworkGateway => ({ network, cluster: `c-${network}`, address, port: 15443 });

/** The gateway Service istiod discovers a network's gateway by (mesh.md §1.3), in west, network2. */
const gatewayService: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "istio-eastwestgateway", namespace: "istio-system", labels: { "topology.istio.io/network": "network2" } },
  spec: { type: "LoadBalancer", selector: { istio: "eastwestgateway" }, ports: [{ name: "tls", port: 15443, targetPort: 15443 }] },
};

const TWO_NETWORKS = { clusters: [{ name: "east", network: "network1", eastWestGateway: false }, { name: "west", network: "network2", eastWestGateway: false }] };
const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";

describe("split-horizon EDS (mesh.md §1.4)", () => {
  it("§1.4 TestSplitHorizonEds: a sidecar on network1 gets its own endpoint, each gateway weighted by what is behind it, and network4's endpoints direct", () => {
    const endpoints = [ep("10.1.0.1", "network1"), ep("10.2.0.1", "network2"), ep("10.2.0.2", "network2"), ep("10.3.0.1", "network3"), ep("10.3.0.2", "network3"), ep("10.3.0.3", "network3"), ...[1, 2, 3, 4].map((i) => ep(`10.4.0.${i}`, "network4"))];
    const gateways = [gw("159.122.219.1", "network1"), gw("159.122.219.2", "network2"), gw("159.122.219.3", "network3"), gw("179.114.119.3", "network3")];
    const got = splitHorizon("network1", endpoints, gateways)!.map((e) => `${e.address}:${e.weight}`);
    expect(got).toEqual(["10.1.0.1:2", "159.122.219.2:4", "159.122.219.3:3", "179.114.119.3:3", "10.4.0.1:2", "10.4.0.2:2", "10.4.0.3:2", "10.4.0.4:2"]);
    expect(splitHorizon("network1", endpoints, [])).toBeUndefined();
  });

  it("§1.4: a remote endpoint that cannot do mTLS is dropped across networks, kept on its own", () => {
    const endpoints = [ep("10.1.0.1", "network1", false), ep("10.2.0.1", "network2", false), ep("10.2.0.2", "network2")];
    const got = splitHorizon("network1", endpoints, [gw("159.122.219.2", "network2")])!;
    expect(got.map((e) => `${e.address}:${e.port}:${e.weight}`)).toEqual(["10.1.0.1:8080:1", "159.122.219.2:15443:1"]);
  });

  it("§1.4: gateways of the endpoint's own cluster are preferred over the network's others", () => {
    const endpoints = [ep("10.2.0.1", "network2")];
    const other: NetworkGateway = { network: "network2", cluster: "elsewhere", address: "159.122.219.9", port: 15443 };
    expect(splitHorizon("network1", endpoints, [gw("159.122.219.2", "network2"), other])!.map((e) => e.address)).toEqual(["159.122.219.2"]);
  });

  it("§1.3 §1.4: istiod finds west's gateway by its labelled LoadBalancer Service, pushes networks, and east's sidecar gets west's endpoints as gateway:15443 weighted by their count", () => {
    const w = meshWorld({ east: 1, west: 3, mesh: TWO_NETWORKS });
    const view = () => w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!;
    // No gateway yet: multi-network is off, every endpoint direct (mesh.md §1.4 step 3).
    expect(view().map((e) => e.port)).toEqual([8080, 8080, 8080, 8080]);
    w.apply("west", [gatewayService]);
    w.runFor(20 * SECOND);
    const ip = w.cluster("west").api.get("Service", "istio-system", "istio-eastwestgateway")!.status!.loadBalancer!.ingress![0]!.ip!;
    expect(w.mesh!.istiods.get("east")!.registry.gateways()).toEqual([{ network: "network2", cluster: "west", address: ip, port: 15443 }]);
    const eps = view();
    expect(eps.filter((e) => e.network === "network1").map((e) => [e.port, e.weight])).toEqual([[8080, 1]]);
    expect(eps.filter((e) => e.network === "network2").map((e) => [e.address, e.port, e.weight])).toEqual([[ip, 15443, 3]]);
    // A sidecar on network2 gets its own network direct.
    const westView = w.mesh!.istiods.get("west")!.generate({ ...w.mesh!.sidecarOf("east", "default", "client")!.meta, cluster: "west", network: "network2" });
    const westEds = westView.find((r) => r.type === "EDS")!;
    const westWeb = westEds.type === "EDS" ? westEds.resources.find((a) => a.cluster === WEB_CLUSTER)!.endpoints : [];
    expect(westWeb.filter((e) => e.network === "network2").map((e) => e.port)).toEqual([8080, 8080, 8080]);
  });

  it("§1.1 §1.4: west's endpoints without a sidecar are dropped from east's view once a gateway makes the mesh multi-network", () => {
    const w = meshWorld({ east: 1, west: 2, mesh: TWO_NETWORKS });
    // Injection off for west's web pods: recreate them with the annotation.
    const web = w.cluster("west").api.list("Pod", "default").filter((p) => p.metadata.labels?.app === "web");
    w.apply("west", [gatewayService]);
    for (const p of web) {
      const plain: Pod = { ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, "sidecar.istio.io/inject": "false" } } };
      w.cluster("west").api.update(plain);
    }
    w.runFor(20 * SECOND);
    const eps = w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!;
    expect(eps.map((e) => e.network)).toEqual(["network1"]);
  });
});
