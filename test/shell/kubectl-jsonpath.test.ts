import { describe, expect, it } from "vitest";
import { executeJsonPath, JsonPathError, parseJsonPath } from "../../src/shell/kubectl/jsonpath.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { clusterIp, fixtureWorld } from "./shell-world.js";

const pod = {
  kind: "Pod",
  metadata: { name: "web-1", labels: { app: "web", "app.kubernetes.io/name": "shop" } },
  spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }] }, { name: "istio-proxy", image: "proxyv2" }] },
  status: { podIP: "10.0.0.5", conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "False" }] },
};
const jp = (template: string, object: unknown = pod) => executeJsonPath(parseJsonPath(template), object);

describe("kubectl -o jsonpath as client-go's util/jsonpath runs it", () => {
  it.each([
    ["{.metadata.name}", "web-1"],
    ["name: {.metadata.name}, ip: {.status.podIP}", "name: web-1, ip: 10.0.0.5"],
    ["{.spec.containers[*].name}", "web istio-proxy"],
    ["{.spec.containers[0].image}", "nginx"],
    ["{.spec.containers[-1].name}", "istio-proxy"],
    ["{.spec.containers[0:1].name}", "web"],
    ["{.spec.containers[0].ports[0].containerPort}", "80"],
    ['{.status.conditions[?(@.type=="Ready")].status}', "False"],
    ["{.status.conditions[?(@.status!='True')].type}", "Ready"],
    ["{.metadata.labels.app\\.kubernetes\\.io/name}", "shop"],
    ["{.metadata.labels['app']}", "web"],
    ["{.metadata.labels}", '{"app":"web","app.kubernetes.io/name":"shop"}'],
    ["{..image}", "nginx proxyv2"],
    ['{range .spec.containers[*]}{.name}={.image}{"\\n"}{end}', "web=nginx\nistio-proxy=proxyv2\n"],
    ["{.metadata.missing}", ""],
    ["{.spec.containers[?(@.ports)].name}", "web"],
  ])("%s", (template, out) => {
    expect(jp(template)).toBe(out);
  });

  it("refuses what client-go's parser refuses, in its words", () => {
    expect(() => parseJsonPath("{.metadata.name")).toThrow("unclosed action");
    expect(() => parseJsonPath("{.items[0}")).toThrow("unclosed array expect ]");
    expect(() => parseJsonPath("{.items[x]}")).toThrow("invalid array index x");
    expect(() => parseJsonPath("{.a!b}")).toThrow("unrecognized character in action: U+0021 '!'");
    expect(() => jp("{end}")).toThrow("not in range, nothing to end");
  });

  it("an index out of bounds fails executing, with the template and object dumped", () => {
    let message = "";
    try {
      jp("{.spec.containers[5].name}");
    } catch (e) {
      if (e instanceof JsonPathError) message = e.message;
    }
    expect(message).toMatch(/^error executing jsonpath "\{\.spec\.containers\[5\]\.name\}": Error executing template: array index out of bounds: index 5, length 2\. Printing more information/);
    expect(message).toContain('\ttemplate was:\n\t\t{.spec.containers[5].name}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{"kind":"Pod"');
  });
});

describe("kubectl get -o jsonpath", () => {
  const world = fixtureWorld();
  const target = { world, context: "east" };
  it("prints one object's field, and a List's items for a listing", () => {
    expect(kubectl(target, ["get", "svc", "web", "-n", "shop", "-o", `jsonpath={.spec.clusterIP}`])).toEqual({ stdout: clusterIp(world, "web"), stderr: "", exitCode: 0 });
    const names = kubectl(target, ["get", "svc", "-n", "shop", "-o=jsonpath={.items[*].metadata.name}"]).stdout.split(" ");
    expect(names).toContain("web");
    expect(names).toContain("api");
    expect(kubectl(target, ["get", "ns", "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']).stdout).toContain("kube-system\n");
  });
  it("errors as kubectl does", () => {
    expect(kubectl(target, ["get", "svc", "-o", "jsonpath"]).stderr).toBe("error: template format specified but no template given\n");
    expect(kubectl(target, ["get", "svc", "-o", "jsonpath={.items[}"]).stderr).toBe("error: error parsing jsonpath {.items[}, unclosed array expect ]\n");
    expect(kubectl(target, ["get", "svc", "-o", "toml"]).stderr).toContain('output format "toml"');
  });
});
