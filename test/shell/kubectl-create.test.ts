import { describe, expect, it } from "vitest";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { SECOND } from "../../src/sim/time.js";
import { fixtureWorld } from "./shell-world.js";

describe("kubectl create's generators and rollout restart", () => {
  const world = fixtureWorld();
  const target = { world, context: "east" };
  const run = (...args: string[]) => kubectl(target, args);

  it("creates a namespace, a deployment, a clusterip service and a configmap as kubectl's generators do", () => {
    expect(run("create", "namespace", "lab")).toEqual({ stdout: "namespace/lab created\n", stderr: "", exitCode: 0 });
    expect(run("create", "ns", "lab").stderr).toBe('Error from server (AlreadyExists): namespaces "lab" already exists\n');
    expect(run("create", "deployment", "hello", "--image=registry.k8s.io/e2e-test-images/agnhost:2.39", "--replicas=2", "--port=8080", "-n", "lab").stdout).toBe("deployment.apps/hello created\n");
    expect(run("create", "service", "clusterip", "hello", "--tcp=80:8080", "-n", "lab").stdout).toBe("service/hello created\n");
    expect(run("create", "configmap", "cfg", "--from-literal=a=1", "--from-literal", "b=x=y", "-n", "lab").stdout).toBe("configmap/cfg created\n");
    const api = world.cluster("east").api;
    const d = api.get("Deployment", "lab", "hello")!;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector.matchLabels).toEqual({ app: "hello" });
    expect(d.spec.template.spec.containers).toEqual([{ name: "agnhost", image: "registry.k8s.io/e2e-test-images/agnhost:2.39", ports: [{ containerPort: 8080 }] }]);
    expect(api.get("Service", "lab", "hello")!.spec.ports).toEqual([expect.objectContaining({ name: "80-8080", port: 80, targetPort: 8080, protocol: "TCP" })]);
    expect(api.get("ConfigMap", "lab", "cfg")!.data).toEqual({ a: "1", b: "x=y" });
    world.runFor(10 * SECOND);
    expect(run("get", "pods", "-n", "lab", "-l", "app=hello", "-o", "name").stdout.split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("refuses what kubectl refuses", () => {
    expect(run("create", "deployment", "x").stderr).toBe('error: required flag(s) "image" not set\n');
    expect(run("create", "service", "clusterip", "x").stderr).toBe("error: at least one tcp port specifier must be provided\n");
    expect(run("create", "configmap", "x", "--from-literal=novalue").stderr).toBe("error: invalid literal source novalue, expected key=value\n");
    expect(run("create", "namespace").stderr).toContain("error: exactly one NAME is required, got 0");
  });

  it("rollout restart replaces a Deployment's pods with new ones under a new template hash", () => {
    const names = () => run("get", "pods", "-n", "shop", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}").stdout.split(" ");
    const before = names();
    expect(run("rollout", "restart", "deployment/web", "-n", "shop")).toEqual({ stdout: "deployment.apps/web restarted\n", stderr: "", exitCode: 0 });
    const template = world.cluster("east").api.get("Deployment", "shop", "web")!.spec.template;
    expect(template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toMatch(/^2026-01-01T00:00:\d\dZ$/);
    world.runFor(10 * SECOND);
    const after = names();
    expect(after).toHaveLength(3);
    for (const n of after) expect(before).not.toContain(n);
    expect(new Set(after.map((n) => n.split("-")[1])).size).toBe(1);
    expect(after[0]!.split("-")[1]).not.toBe(before[0]!.split("-")[1]);
    expect(run("rollout", "restart", "deploy", "nope").stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });
});
