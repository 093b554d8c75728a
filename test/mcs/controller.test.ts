import { describe, expect, it } from "vitest";
import { DERIVED_SERVICE_ANNOTATION, derivedName, SERVICE_NAME_LABEL, SOURCE_CLUSTER_LABEL } from "../../src/mcs/controller.js";
import { ClusterSet } from "../../src/mcs/clusterset.js";
import { World } from "../../src/scenario/world.js";
import { seconds } from "../../src/sim/time.js";
import { exportedApi, mcsWorld } from "./mcs-world.js";

const conditions = (world: ReturnType<typeof mcsWorld>["world"], cluster: string) =>
  Object.fromEntries((world.cluster(cluster).api.get("ServiceExport", "production", "my-api")?.status?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));

describe("MCS controller, KEP profile (mcs.md §1)", () => {
  it("imports an export from b into every member with the namespace, exporters included (§1.3)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi());
    run(20);
    for (const c of ["a", "b", "c"]) {
      const imp = world.cluster(c).api.get("ServiceImport", "production", "my-api");
      expect(imp, c).toBeDefined();
      expect(imp!.spec.type).toBe("ClusterSetIP");
      expect(imp!.status!.clusters).toEqual([{ cluster: "b" }]);
      expect(imp!.spec.ports).toEqual([{ name: "http", protocol: "TCP", port: 80 }]);
    }
    expect(conditions(world, "b")).toEqual({ Valid: "True Valid", Ready: "True Exported", Conflict: "False NoConflicts" });
  });

  it("gives each importing cluster its own clusterset IP, from a derived Service in its service range (§1.3, §1.5)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi());
    run(20);
    const a = world.cluster("a").api.get("ServiceImport", "production", "my-api")!;
    const derived = world.cluster("a").api.get("Service", "production", derivedName("production", "my-api"))!;
    expect(a.spec.ips).toEqual([derived.spec.clusterIP]);
    expect(a.spec.ips![0]).toMatch(/^10\.100\./);
    expect(world.cluster("c").api.get("ServiceImport", "production", "my-api")!.spec.ips![0]).toMatch(/^10\.102\./);
  });

  it("writes one imported EndpointSlice per source cluster, labelled as the KEP says (§1.5)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi({ replicas: 2 }));
    world.apply("c", exportedApi({ replicas: 3 }));
    run(30);
    const slices = world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api");
    expect(slices.map((s) => [s.metadata.labels![SOURCE_CLUSTER_LABEL], s.endpoints.length])).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
    const b = world.cluster("b").api.listByLabel("Pod", "production", "app", "my-api").map((p) => p.status!.podIP).sort();
    expect(slices[0]!.endpoints.flatMap((e) => e.addresses).sort()).toEqual(b);
    expect(slices[0]!.metadata.labels!["endpointslice.kubernetes.io/managed-by"]).not.toBe("endpointslice-controller.k8s.io");
  });

  it("imported EndpointSlices carry the ports the source's pods listen on (its targetPort), the ServiceImport the Service's (§1.5)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi({ replicas: 2 }));
    run(20);
    const [slice] = world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api");
    // exportedApi's Service maps port 80 to the pods' named port http, containerPort 8080.
    expect(slice!.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.spec.ports).toEqual([{ name: "http", protocol: "TCP", port: 80 }]);
  });

  it("imports only where the namespace exists, and imports once it is created (namespace sameness, §1.3)", () => {
    const { world, run } = mcsWorld({ namespaceIn: ["b", "c"] });
    world.apply("b", exportedApi());
    run(20);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeUndefined();
    world.apply("a", "apiVersion: v1\nkind: Namespace\nmetadata: {name: production}\n");
    run(5);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeDefined();
  });

  it("says NoService while the Service is missing, and exports once it comes (§1.6)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\n");
    run(5);
    expect(conditions(world, "b").Valid).toBe("False NoService");
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeUndefined();
    world.apply("b", exportedApi({ exported: false }));
    run(10);
    expect(conditions(world, "b").Valid).toBe("True Valid");
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeDefined();
  });

  it("refuses an ExternalName export as InvalidServiceType, and imports nothing (§1.3)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", "apiVersion: v1\nkind: Service\nmetadata: {name: my-api, namespace: production}\nspec: {type: ExternalName, externalName: example.com}\n---\napiVersion: multicluster.x-k8s.io/v1beta1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\n");
    run(10);
    expect(conditions(world, "b").Valid).toBe("False InvalidServiceType");
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeUndefined();
  });

  it("imports a headless Service as Headless, with no clusterset IP and no derived Service", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi({ headless: true }));
    run(20);
    const imp = world.cluster("a").api.get("ServiceImport", "production", "my-api")!;
    expect(imp.spec.type).toBe("Headless");
    expect(imp.spec.ips).toBeUndefined();
    expect(world.cluster("a").api.get("Service", "production", derivedName("production", "my-api"))).toBeUndefined();
  });

  it("deletes imports and their slices everywhere when the last export goes, keeps them while one remains (§1.6)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi());
    world.apply("c", exportedApi());
    run(20);
    world.delete("b", "ServiceExport", "production", "my-api");
    run(10);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.status!.clusters).toEqual([{ cluster: "c" }]);
    expect(world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api").map((s) => s.metadata.labels![SOURCE_CLUSTER_LABEL])).toEqual(["c"]);
    world.delete("c", "ServiceExport", "production", "my-api");
    run(10);
    for (const c of ["a", "b", "c"]) {
      expect(world.cluster(c).api.get("ServiceImport", "production", "my-api"), c).toBeUndefined();
      expect(world.cluster(c).api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api"), c).toEqual([]);
    }
  });

  it("marks a port conflict on both exports and imports the union of ports, oldest first (§1.4)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi({ ports: "[{name: http, port: 80, targetPort: http}]" }));
    run(3);
    world.apply("c", exportedApi({ ports: "[{name: grpc, port: 9090, targetPort: http}]" }));
    run(20);
    expect(conditions(world, "b").Conflict).toBe("True PortConflict");
    expect(conditions(world, "c").Conflict).toBe("True PortConflict");
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.spec.ports.map((p) => p.name)).toEqual(["http", "grpc"]);
  });

  it("removes a silent cluster's endpoints once its lease expires, and brings them back when it is heard again (§1.5 Endpoint TTL)", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportedApi());
    world.apply("c", exportedApi());
    run(20);
    const fault = world.network.partition({ clusters: ["c"] }, { except: { clusters: ["c"] } });
    run(30);
    const sources = () => world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api").map((s) => s.metadata.labels![SOURCE_CLUSTER_LABEL]);
    expect(sources()).toEqual(["b"]);
    world.network.heal(fault);
    run(10);
    expect(sources()).toEqual(["b", "c"]);
  });

  it("gives the same objects for the same seed (determinism)", () => {
    const snapshot = () => {
      const { world, run } = mcsWorld({ seed: 7 });
      world.apply("b", exportedApi());
      world.apply("c", exportedApi());
      run(25);
      return JSON.stringify(["a", "b", "c"].map((c) => [world.cluster(c).api.list("ServiceImport"), world.cluster(c).api.list("EndpointSlice")]));
    };
    expect(snapshot()).toBe(snapshot());
  });
});

describe("McsAgent: a full service range", () => {
  it("imports without a clusterset IP when the derived Service cannot get one, and gets it once the range has room", () => {
    const world = new World({ seed: 1 });
    // a's service range holds the kubernetes Service and one more: my-api's own ClusterIP.
    world.addCluster({ name: "a", region: "r", zones: ["z"], nodesPerZone: 1, network: "flat", podCidr: "10.10.0.0/16", serviceCidr: "10.100.0.0/30", dns: false });
    world.addCluster({ name: "b", region: "r", zones: ["z"], nodesPerZone: 1, network: "flat", podCidr: "10.11.0.0/16", serviceCidr: "10.101.0.0/16", dns: false });
    for (const c of ["a", "b"]) world.apply(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: production}\n");
    const set = new ClusterSet(world.sim, world.network, [world.cluster("a"), world.cluster("b")]);
    world.apply("a", exportedApi());
    world.runFor(seconds(5));
    const a = world.cluster("a").api;
    const imported = a.get("ServiceImport", "production", "my-api");
    expect(imported?.status?.clusters).toEqual([{ cluster: set.clusterId("a") }]);
    expect(imported?.spec.ips).toBeUndefined();
    expect(world.cluster("b").api.get("ServiceImport", "production", "my-api")?.spec.ips).toHaveLength(1);
    // Room again: b's export changes the import, and a's agent makes the derived Service this time.
    a.delete("Service", "production", "my-api");
    world.apply("b", exportedApi());
    world.runFor(seconds(5));
    expect(a.get("ServiceImport", "production", "my-api")?.spec.ips).toEqual([a.get("Service", "production", derivedName("production", "my-api"))!.spec.clusterIP]);
  });
});

describe("McsAgent: exported labels and annotations (mcs.md §1.2, §1.4)", () => {
  const exportWith = (labels: string) => `${exportedApi({ exported: false }).replace("metadata: {name: my-api, namespace: production}\nspec:\n  type", "metadata: {name: my-api, namespace: production, labels: {from-service: x}}\nspec:\n  type")}
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceExport
metadata: {name: my-api, namespace: production, labels: {from-export-metadata: x}}
spec: {exportedLabels: ${labels}, exportedAnnotations: {note: "${labels}"}}`;

  it("puts the oldest export's exportedLabels and exportedAnnotations on the ServiceImport, never the Service's or the export's own metadata", () => {
    const { world, run } = mcsWorld();
    world.apply("b", exportWith("{tier: gold}"));
    run(2);
    world.apply("c", exportWith("{tier: silver}"));
    run(5);
    for (const cluster of ["a", "b", "c"]) {
      const imported = world.cluster(cluster).api.get("ServiceImport", "production", "my-api")!;
      expect(imported.metadata.labels).toEqual({ tier: "gold" });
      expect(imported.metadata.annotations?.note).toBe("{tier: gold}");
      expect(imported.metadata.annotations?.[DERIVED_SERVICE_ANNOTATION]).toBe(derivedName("production", "my-api"));
    }
    // c's export conflicts on its labels; b's unexport leaves c's as the winner's.
    world.cluster("b").api.delete("ServiceExport", "production", "my-api");
    run(5);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.metadata.labels).toEqual({ tier: "silver" });
  });

  it("writes none under the lighthouse profile, whose ServiceExport has no such fields", () => {
    const { world, run } = mcsWorld({ profile: "lighthouse" });
    world.apply("b", exportWith("{tier: gold}"));
    run(5);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.metadata.labels).toBeUndefined();
  });
});
