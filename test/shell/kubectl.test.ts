import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTimestamp, parseTimestamp } from "../../src/k8s/timestamp.js";
import { humanDuration } from "../../src/shell/kubectl/age.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { parseSelector } from "../../src/shell/kubectl/selector.js";
import { formatTable } from "../../src/shell/kubectl/table.js";
import { SECOND } from "../../src/sim/time.js";
import { clusterIp, fixtureWorld } from "./shell-world.js";

describe("AGE as apimachinery's duration.HumanDuration writes it", () => {
  it.each([
    [-5, "<invalid>"],
    [-0.5, "0s"],
    [0, "0s"],
    [119, "119s"],
    [120, "2m"],
    [330, "5m30s"],
    [600, "10m"],
    [179 * 60 + 59, "179m"],
    [3 * 3600, "3h"],
    [3 * 3600 + 20 * 60, "3h20m"],
    [8 * 3600 + 59 * 60, "8h"],
    [47 * 3600, "47h"],
    [2 * 86400 + 5 * 3600, "2d5h"],
    [3 * 86400, "3d"],
    [300 * 86400, "300d"],
    [(2 * 365 + 10) * 86400, "2y10d"],
    [9 * 365 * 86400, "9y"],
  ])("%s seconds is %s", (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe("timestamps", () => {
  it("parseTimestamp inverts formatTimestamp at whole seconds (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 * 365 * 86_400 }), (s) => {
        expect(parseTimestamp(formatTimestamp(s * SECOND))).toBe(s * SECOND);
      }),
    );
    expect(parseTimestamp("yesterday")).toBeUndefined();
  });
});

describe("label selectors as labels.Parse reads them", () => {
  const labels = { app: "web", tier: "front", env: "prod" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["app=web,tier=back", false],
    ["env in (prod,staging)", true],
    ["env notin (prod)", false],
    ["tier", true],
    ["!tier", false],
    ["missing", false],
    ["!missing", true],
    ["missing notin (x)", true],
  ])("%j matches app=web,tier=front,env=prod: %s", (selector, expected) => {
    expect(parseSelector(selector)(labels)).toBe(expected);
  });

  it("refuses what is not a selector", () => {
    expect(() => parseSelector("app=(web")).toThrow(/unable to parse requirement/);
    expect(() => parseSelector("-bad=x")).toThrow(/invalid label key/);
  });
});

describe("kubectl tables", () => {
  it("pads each column to its widest cell plus three, at least six, as kubectl's tabwriter does", () => {
    expect(formatTable(["NAME", "AGE"], [["a", "5s"], ["longer-name", "10m"]])).toBe("NAME          AGE\na             5s\nlonger-name   10m\n");
    expect(formatTable(["A", "B"], [["x", "y"]])).toBe("A     B\nx     y\n");
  });
});

describe("kubectl get against a simulated cluster", () => {
  const world = fixtureWorld();
  const run = (...args: string[]) => kubectl({ world, context: "east" }, args);

  it("lists Services with kubectl's columns, ClusterIPs and ports", () => {
    const out = run("get", "svc", "-n", "shop");
    expect(out.exitCode).toBe(0);
    const lines = out.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$/);
    expect(lines.find((l) => l.startsWith("web "))).toMatch(new RegExp(`^web +ClusterIP +${clusterIp(world, "web").replaceAll(".", "\\.")} +<none> +80/TCP +10s$`));
    expect(lines.find((l) => l.startsWith("payments "))).toMatch(/^payments +ExternalName +<none> +payments\.example\.com +<none> +10s$/);
    expect(lines.find((l) => l.startsWith("many "))).toMatch(/^many +ClusterIP +None +<none> +8080\/TCP/);
  });

  it("counts a Deployment's ready pods, and lists pods with READY and STATUS", () => {
    expect(run("get", "deploy", "many", "-n", "shop").stdout).toMatch(/^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\nmany +60\/60 +60 +60 +10s\n$/);
    const pods = run("get", "pods", "-n", "shop", "-l", "app=web").stdout.trimEnd().split("\n");
    expect(pods).toHaveLength(4);
    expect(pods.slice(1).every((l) => /^web-\S+ +1\/1 +Running +0 +10s$/.test(l))).toBe(true);
  });

  it("shows endpoints as the Endpoints controller would write them: three, then how many more", () => {
    expect(run("get", "endpoints", "many", "-n", "shop").stdout).toMatch(/^NAME +ENDPOINTS +AGE\nmany +\S+:8080,\S+:8080,\S+:8080 \+ 57 more\.\.\. +10s\n$/);
  });

  it("prints -o name, -o yaml (sorted keys, unindented lists) and -o json (4 spaces)", () => {
    expect(run("get", "svc", "web", "-n", "shop", "-o", "name").stdout).toBe("service/web\n");
    const yaml = run("get", "svc", "web", "-n", "shop", "-o", "yaml").stdout;
    expect(yaml).toMatch(/^apiVersion: v1\nkind: Service\nmetadata:\n {2}creationTimestamp: "2026-01-01T00:00:00Z"\n/);
    expect(yaml).toContain("  ports:\n  - name: http\n");
    const json = JSON.parse(run("get", "svc", "-n", "shop", "-o", "json").stdout) as { kind: string; items: unknown[] };
    expect(json.kind).toBe("List");
    expect(json.items).toHaveLength(4);
    expect(run("get", "svc", "web", "-n", "shop", "-o", "json").stdout).toMatch(/^\{\n {4}"apiVersion": "v1",/);
  });

  it("adds NAMESPACE with -A, prefixes names when several types are asked for", () => {
    expect(run("get", "svc", "-A").stdout.split("\n")[0]).toMatch(/^NAMESPACE +NAME +TYPE/);
    expect(run("get", "svc,deploy", "-n", "shop").stdout).toMatch(/^NAME +TYPE[\s\S]*\nservice\/web [\s\S]*\n\nNAME +READY[\s\S]*\ndeployment\.apps\/web /);
  });

  it("answers as kubectl does for nothing found, a missing object, an unknown type, flag or context", () => {
    expect(run("get", "pods", "-n", "empty")).toEqual({ stdout: "", stderr: "No resources found in empty namespace.\n", exitCode: 0 });
    expect(run("get", "pods", "nope", "-n", "shop")).toEqual({ stdout: "", stderr: 'Error from server (NotFound): pods "nope" not found\n', exitCode: 1 });
    expect(run("get", "deploy", "nope", "-n", "shop").stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(run("get", "widgets")).toEqual({ stdout: "", stderr: 'error: the server doesn\'t have a resource type "widgets"\n', exitCode: 1 });
    expect(run("get", "pods", "--frobnicate").stderr).toBe("error: unknown flag: --frobnicate\n");
    expect(run("get", "pods", "-o", "table").exitCode).toBe(1);
    expect(run("--context", "west", "get", "pods").stderr).toBe('error: context "west" does not exist\n');
    expect(run("frobnicate", "pods").stderr).toBe('error: unknown command "frobnicate" for "kubectl"\n');
  });

  it("ages objects with the simulated clock", () => {
    world.runFor(3600 * SECOND);
    expect(run("get", "ns", "shop").stdout).toMatch(/^NAME +STATUS +AGE\nshop +Active +60m\n$/);
  });
});
