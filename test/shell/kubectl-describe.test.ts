import { describe, expect, it } from "vitest";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { tabwriteBlocks } from "../../src/shell/kubectl/tabwriter.js";
import { clusterIp, fixtureWorld } from "./shell-world.js";

describe("Go's text/tabwriter as kubectl's describers use it", () => {
  it("aligns a column over consecutive lines that have it; a line without tabs ends the block", () => {
    expect(tabwriteBlocks("Name:\tweb\nNamespace:\tshop\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/x\nPort:\thttp\t80/TCP\n")).toBe(
      "Name:       web\nNamespace:  shop\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/x\nPort:           http  80/TCP\n",
    );
  });
});

describe("kubectl describe, laid out as pkg/describe/describe.go lays it out", () => {
  const world = fixtureWorld();
  const target = { world, context: "east" };
  const run = (...args: string[]) => kubectl(target, args);

  it("a Service: selector, IPs, each port with its target and endpoints, and Events: <none>", () => {
    const out = run("describe", "svc", "web", "-n", "shop");
    expect(out.exitCode).toBe(0);
    const ip = clusterIp(world, "web");
    expect(out.stdout).toMatch(
      new RegExp(
        `^Name:                     web\nNamespace:                shop\nLabels:                   <none>\nAnnotations:              <none>\nSelector:                 app=web\nType:                     ClusterIP\nIP Family Policy:         SingleStack\nIP Families:              IPv4\nIP:                       ${ip}\nIPs:                      ${ip}\nPort:                     http  80/TCP\nTargetPort:               80/TCP\nEndpoints:                (10\\.10\\.\\d+\\.\\d+:80,?){3}\nSession Affinity:         None\nInternal Traffic Policy:  Cluster\nEvents:                   <none>\n$`,
      ),
    );
  });

  it("a pod: node, labels, IPs, controller, containers with state, conditions, tolerations", () => {
    const pod = world.cluster("east").api.list("Pod", "shop").find((p) => p.metadata.name.startsWith("web-"))!;
    const out = run("describe", `pod/${pod.metadata.name}`, "-n", "shop").stdout;
    expect(out).toContain(`Name:             ${pod.metadata.name}\nNamespace:        shop\nPriority:         0\nService Account:  default\n`);
    expect(out).toContain(`Labels:           app=web\n                  pod-template-hash=`);
    expect(out).toContain(`IPs:\n  IP:           ${pod.status!.podIP}\nControlled By:  ReplicaSet/web-`);
    expect(out).toMatch(/Containers:\n {2}web:\n {4}Container ID: {3}containerd:\/\/[0-9a-f]{64}\n {4}Image: {10}nginx:1\.27\n/);
    expect(out).toContain("    State:          Running\n      Started:      Thu, 01 Jan 2026 00:00:00 +0000\n    Ready:          True\n    Restart Count:  0\n");
    expect(out).toContain("Conditions:\n  Type              Status\n  PodScheduled      True \n");
    expect(out).toMatch(/Tolerations: {8}node\.kubernetes\.io\/not-ready:NoExecute op=Exists for 300s\n {20}node\.kubernetes\.io\/unreachable:NoExecute op=Exists for 300s\nEvents: {13}<none>\n$/);
  });

  it("a name prefix describes every match; objects are two blank lines apart", () => {
    const out = run("describe", "pods", "web", "-n", "shop").stdout;
    expect(out.split("\n\n\nName:").length).toBe(3);
  });

  it("a Deployment: replicas, strategy, pod template, conditions, ReplicaSets", () => {
    const out = run("describe", "deployment", "web", "-n", "shop").stdout;
    expect(out).toContain("Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable\nStrategyType:           RollingUpdate\n");
    expect(out).toContain("Pod Template:\n  Labels:  app=web\n  Containers:\n   web:\n    Image:         nginx:1.27\n    Port:          80/TCP\n");
    expect(out).toContain("Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n  Available      True    MinimumReplicasAvailable\n");
    expect(out).toMatch(/OldReplicaSets: {2}<none>\nNewReplicaSet: {3}web-\w+ \(3\/3 replicas created\)\nEvents: {10}<none>\n$/);
  });

  it("endpoints, a ConfigMap's data, a namespace, and the generic describer for the rest", () => {
    expect(run("describe", "ep", "web", "-n", "shop").stdout).toMatch(/Subsets:\n {2}Addresses: {10}[\d.,]+\n {2}NotReadyAddresses: {2}<none>\n {2}Ports:\n {4}Name {2}Port {2}Protocol\n {4}---- {2}---- {2}--------\n {4}http {2}80 {4}TCP\n\nEvents: {2}<none>\n$/);
    expect(run("describe", "cm", "coredns", "-n", "kube-system").stdout).toMatch(/^Name: {9}coredns\nNamespace: {4}kube-system\n[\s\S]*\nData\n====\nCorefile:\n----\n\.:53 \{\n[\s\S]*\}\n\n\nBinaryData\n====\n\nEvents: {2}<none>\n$/);
    expect(run("describe", "ns", "shop").stdout).toBe("Name:         shop\nLabels:       <none>\nAnnotations:  <none>\nStatus:       Active\n\nNo resource quota.\n\nNo LimitRange resource.\n");
    const secret = run("describe", "secrets", "-A").stdout;
    expect(secret === "" || secret.includes("API Version:")).toBe(true);
  });

  it("a ServiceExport through the generic describer: camelCase keys as labels, lists of maps indented", () => {
    world.apply("east", "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: web, namespace: shop}\n");
    world.runFor(1_000_000);
    const out = run("describe", "serviceexports", "web", "-n", "shop").stdout;
    expect(out).toMatch(/^Name: {9}web\nNamespace: {4}shop\nLabels: {7}<none>\nAnnotations: {2}<none>\nAPI Version: {2}multicluster\.x-k8s\.io\/v1beta1\nKind: {9}ServiceExport\nMetadata:\n {2}Creation Timestamp: {2}2026-/);
    expect(out).toContain("  UID:  ");
    expect(out).toMatch(/Events: +<none>\n$/);
  });

  it("errors as kubectl's", () => {
    expect(run("describe", "pod", "nope", "-n", "shop")).toEqual({ stdout: "", stderr: 'Error from server (NotFound): pods "nope" not found\n', exitCode: 1 });
    expect(run("describe", "deploy", "nope").stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(run("describe", "widgets").stderr).toBe('error: the server doesn\'t have a resource type "widgets"\n');
    expect(run("describe", "pods", "-n", "empty").stderr).toBe("No resources found in empty namespace.\n");
  });
});
