import { describe, expect, it } from "vitest";
import { CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY } from "../../src/mcs/clusterset.js";
import { SERVICE_NAME_LABEL, SOURCE_CLUSTER_LABEL } from "../../src/mcs/controller.js";
import { exportedApi, mcsWorld } from "./mcs-world.js";

const exportCondition = (world: ReturnType<typeof mcsWorld>["world"], cluster: string, type: string) =>
  world.cluster(cluster).api.get("ServiceExport", "production", "my-api")?.status?.conditions?.find((c) => c.type === type);

describe("Lighthouse profile (mcs.md §5.2)", () => {
  it("gives the ServiceImport no clusterset IP by default (lighthouse#1507), and its slice holds the exporter's ClusterIP", () => {
    const { world, run } = mcsWorld({ profile: "lighthouse" });
    world.apply("b", exportedApi());
    run(20);
    const imp = world.cluster("a").api.get("ServiceImport", "production", "my-api")!;
    expect(imp.spec.ips).toBeUndefined();
    const [slice] = world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api");
    expect(slice!.endpoints).toEqual([{ addresses: [world.cluster("b").api.get("Service", "production", "my-api")!.spec.clusterIP], conditions: { ready: true } }]);
    expect(slice!.metadata.labels!["endpointslice.kubernetes.io/managed-by"]).toBe("lighthouse-agent.submariner.io");
  });

  it("allocates a clusterset IP when the export asks with use-clusterset-ip", () => {
    const { world, run } = mcsWorld({ profile: "lighthouse" });
    world.apply("b", exportedApi({ exported: false }));
    world.apply("b", 'apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}\nspec: {exportedAnnotations: {lighthouse.submariner.io/use-clusterset-ip: "true"}}\n');
    run(20);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.spec.ips).toHaveLength(1);
  });

  it("refuses a NodePort Service as UnsupportedServiceType, where the KEP exports it as ClusterSetIP", () => {
    const lh = mcsWorld({ profile: "lighthouse" });
    lh.world.apply("b", exportedApi({ type: "NodePort" }));
    lh.run(10);
    expect(exportCondition(lh.world, "b", "Valid")).toMatchObject({ status: "False", reason: "UnsupportedServiceType" });
    const kep = mcsWorld();
    kep.world.apply("b", exportedApi({ type: "NodePort" }));
    kep.run(20);
    expect(kep.world.cluster("a").api.get("ServiceImport", "production", "my-api")!.spec.type).toBe("ClusterSetIP");
  });

  it("does not export a later cluster whose type conflicts, and says so on its export", () => {
    const { world, run } = mcsWorld({ profile: "lighthouse" });
    world.apply("b", exportedApi());
    run(3);
    world.apply("c", exportedApi({ headless: true }));
    run(20);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")!.status!.clusters).toEqual([{ cluster: "b" }]);
    expect(exportCondition(world, "c", "Ready")).toMatchObject({ status: "False", reason: "ExportFailed" });
    expect(exportCondition(world, "c", "Conflict")).toMatchObject({ status: "True", reason: "TypeConflict" });
  });
});

describe("GKE profile (mcs.md §6)", () => {
  it("takes minutes, not seconds, to propagate a first export", () => {
    const { world, run } = mcsWorld({ profile: "gke" });
    world.apply("b", exportedApi());
    run(55);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeUndefined();
    run(300);
    expect(world.cluster("a").api.get("ServiceImport", "production", "my-api")).toBeDefined();
  });
});

describe("ClusterSet membership (mcs.md §1.11)", () => {
  it("writes each member's cluster id and clusterset properties, keeping an id the cluster already has", () => {
    const { world, set } = mcsWorld();
    expect(world.cluster("a").api.get("ClusterProperty", "", CLUSTER_ID_PROPERTY)!.spec.value).toBe("a");
    expect(world.cluster("a").api.get("ClusterProperty", "", CLUSTERSET_PROPERTY)!.spec.value).toBe("clusterset");
    expect(set.clusters).toEqual(["a", "b", "c"]);
  });

  it("a leaving cluster loses its clusterset property, and its endpoints leave the others once its lease expires", () => {
    const { world, set, run } = mcsWorld();
    world.apply("b", exportedApi());
    world.apply("c", exportedApi());
    run(20);
    set.leave("c");
    expect(world.cluster("c").api.get("ClusterProperty", "", CLUSTERSET_PROPERTY)).toBeUndefined();
    run(20);
    expect(world.cluster("a").api.listByLabel("EndpointSlice", "production", SERVICE_NAME_LABEL, "my-api").map((s) => s.metadata.labels![SOURCE_CLUSTER_LABEL])).toEqual(["b"]);
    expect(() => set.leave("c")).toThrow(/not a member/);
  });
});
