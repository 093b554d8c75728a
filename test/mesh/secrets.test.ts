import { describe, expect, it } from "vitest";
import type { Secret } from "../../src/k8s/objects.js";
import { apiServerUrl } from "../../src/mesh/istio/mesh.js";
import { kubeconfigServer, remoteSecret } from "../../src/mesh/istio/secrets.js";
import { SECOND } from "../../src/sim/time.js";
import { World } from "../../src/scenario/world.js";
import { meshWorld } from "./mesh-world.js";

const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";
const statuses = (w: World, istiod = "east") => w.mesh!.istiods.get(istiod)!.clusterInfo().map((c) => `${c.id}:${c.secretName}:${c.syncStatus}`);
const withKubeconfig = (secret: Secret, cluster: string, kubeconfig: string): Secret => ({ ...secret, stringData: { [cluster]: kubeconfig } });

describe("remote secrets (mesh.md §1.2)", () => {
  it("§1.2: the mesh writes the secrets istioctl create-remote-secret writes, and istiod watches the clusters they name", () => {
    const w = meshWorld();
    const secret = w.cluster("east").api.get("Secret", "istio-system", "istio-remote-secret-west")!;
    expect(secret.metadata.labels).toEqual({ "istio/multiCluster": "true" });
    expect(secret.metadata.annotations).toEqual({ "networking.istio.io/cluster": "west" });
    const kubeconfig = Buffer.from(secret.data!.west!, "base64").toString("utf8");
    expect(kubeconfigServer(kubeconfig).href).toBe("https://west-control-plane:6443/");
    // Only east's own clusters' secrets: west has the one naming east.
    expect(w.cluster("west").api.list("Secret", "istio-system").map((s) => s.metadata.name)).toEqual(["istio-remote-secret-east"]);
    expect(statuses(w)).toEqual(["east::synced", "west:istio-system/istio-remote-secret-west:synced"]);
  });

  it("§1.2: deleting the secret closes the cluster, drops its endpoints and forces a full push; applying it again brings them back", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!;
    const endpointClusters = () => new Set(w.mesh!.sidecarOf("east", "default", "client")!.view().endpoints.get(WEB_CLUSTER)!.map((e) => e.cluster));
    expect(endpointClusters()).toEqual(new Set(["east", "west"]));
    const cds = east.sent.CDS;
    w.cluster("east").api.delete("Secret", "istio-system", "istio-remote-secret-west");
    w.runFor(5 * SECOND);
    expect(statuses(w)).toEqual(["east::synced"]);
    expect(east.sent.CDS).toBeGreaterThan(cds);
    expect(endpointClusters()).toEqual(new Set(["east"]));
    w.apply("east", [remoteSecret("west", apiServerUrl("west"), "istio-system")]);
    w.runFor(5 * SECOND);
    expect(statuses(w)).toEqual(["east::synced", "west:istio-system/istio-remote-secret-west:synced"]);
    expect(endpointClusters()).toEqual(new Set(["east", "west"]));
  });

  it("§1.2: a kubeconfig whose server names no API server leaves the cluster syncing, then timeout after 30s", () => {
    const w = meshWorld();
    const base = remoteSecret("west", "https://west.example:6443", "istio-system");
    w.cluster("east").api.delete("Secret", "istio-system", "istio-remote-secret-west");
    w.apply("east", [base]);
    w.runFor(SECOND);
    expect(statuses(w)[1]).toBe("west:istio-system/istio-remote-secret-west:syncing");
    w.runFor(30 * SECOND);
    expect(statuses(w)[1]).toBe("west:istio-system/istio-remote-secret-west:timeout");
    // Pointing it at the right server replaces the watch (a changed kubeconfig), which syncs.
    w.apply("east", [remoteSecret("west", apiServerUrl("west"), "istio-system")]);
    w.runFor(5 * SECOND);
    expect(statuses(w)[1]).toBe("west:istio-system/istio-remote-secret-west:synced");
  });

  it("ignores a secret without the label or outside istio-system, a key naming istiod's own cluster, and a bad kubeconfig (traced)", () => {
    const w = meshWorld();
    const api = w.cluster("east").api;
    api.delete("Secret", "istio-system", "istio-remote-secret-west");
    w.runFor(SECOND);
    const secret = remoteSecret("west", apiServerUrl("west"), "istio-system");
    const events: unknown[] = [];
    w.sim.trace.on("istio.secret", (e) => events.push(e));
    w.apply("east", [
      { ...secret, metadata: { ...secret.metadata, labels: {} } },
      { ...secret, metadata: { ...secret.metadata, namespace: "default" } },
      withKubeconfig({ ...secret, metadata: { ...secret.metadata, name: "self" } }, "east", "apiVersion: v1\n"),
      withKubeconfig({ ...secret, metadata: { ...secret.metadata, name: "bad" } }, "west", "apiVersion: v1\nkind: Config\n"),
    ]);
    w.runFor(5 * SECOND);
    expect(statuses(w)).toEqual(["east::synced"]);
    expect(events).toEqual([expect.objectContaining({ secret: "istio-system/bad", cluster: "west", error: "invalid configuration: no configuration has been provided" })]);
  });

  it("reads the server of the current context's cluster, as client-go does, and names what is missing", () => {
    const two = "clusters:\n- {name: a, cluster: {server: 'https://a:6443'}}\n- {name: b, cluster: {server: 'https://b:6443'}}\ncontexts:\n- {name: x, context: {cluster: b}}\n";
    expect(kubeconfigServer(`${two}current-context: x\n`).host).toBe("b:6443");
    expect(() => kubeconfigServer(`${two}current-context: y\n`)).toThrow("context was not found for specified context: y");
    expect(() => kubeconfigServer(two)).toThrow("no configuration has been provided");
    expect(() => kubeconfigServer("clusters: [{name: a, cluster: {}}]")).toThrow("no server found for cluster");
    expect(() => kubeconfigServer("clusters: [{name: a, cluster: {server: 'not a url'}}]")).toThrow('server "not a url" is not a URL');
    expect(() => kubeconfigServer("a: [")).toThrow(/^kubeconfig is not YAML/);
  });
});
