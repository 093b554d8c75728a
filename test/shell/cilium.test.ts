import { describe, expect, it } from "vitest";
import { cilium, clustermeshStatus } from "../../src/shell/cilium.js";
import { LabShell } from "../../src/shell/session.js";
import { SECOND } from "../../src/sim/time.js";
import { ciliumWorld } from "../mesh/cilium-world.js";

describe("cilium clustermesh status (mesh.md §6), shaped as cilium-cli prints it", () => {
  it("§6: every node connected to every cluster, with the global services", () => {
    const w = ciliumWorld();
    const out = cilium({ world: w, context: "east" }, ["clustermesh", "status"]);
    const server = w.cilium!.apiservers.get("east")!.address!;
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe(
      [
        '✅ Service "clustermesh-apiserver" of type "LoadBalancer" found',
        "✅ Cluster access information is available:",
        `  - ${server.ip}:2379`,
        "✅ Deployment clustermesh-apiserver is ready",
        "ℹ️  KVStoreMesh is disabled",
        "",
        "✅ All 1 nodes are connected to all clusters [min:1 / avg:1.0 / max:1]",
        "",
        "🔌 Cluster Connections:",
        "  - west: 1/1 configured, 1/1 connected",
        "",
        "🔀 Global services: [ min:1 / avg:1.0 / max:1 ]",
        "",
        "",
      ].join("\n"),
    );
  });

  it("§6: a partitioned cluster shows as not connected, with an error per agent and cluster", () => {
    const w = ciliumWorld();
    w.network.partition({ clusters: ["east"] }, { clusters: ["west"] });
    w.runFor(60 * SECOND);
    const out = cilium({ world: w, context: "west" }, ["--context", "east", "clustermesh", "status"]).stdout;
    const pod = w.cilium!.agentPods("east")[0]!;
    expect(out).toContain("⚠️  1/1 nodes are not connected to all clusters [min:0 / avg:0.0 / max:0]");
    expect(out).toContain("  - west: 1/1 configured, 0/1 connected");
    expect(out).toContain(`❌ 1 Errors:\n  ❌ ${pod} is not connected to cluster west: `);
    expect(out).toContain(`     💡 Run 'kubectl exec -it -n kube-system ${pod} -c cilium-agent -- cilium-dbg troubleshoot clustermesh west' to investigate the cause`);
  });

  it("a mesh with no remote cluster says so", () => {
    expect(clustermeshStatus({ access: ["10.0.0.1:2379"], agents: ["cilium-abcde"], remotes: [], globalServices: 0 })).toContain("\n🔌 No cluster connected\n\n🔀 Global services: [ min:0 / avg:0.0 / max:0 ]\n");
  });

  it("cobra's errors: an unknown command, no mesh, an unknown context", () => {
    const w = ciliumWorld();
    expect(cilium({ world: w, context: "east" }, ["status"])).toEqual({ stdout: "", stderr: 'Error: unknown command "status" for "cilium"\nRun \'cilium --help\' for usage.\n', exitCode: 1 });
    expect(cilium({ world: w, context: "nowhere" }, ["clustermesh", "status"]).stderr).toBe('Error: context "nowhere" does not exist\n');
    w.cilium = null;
    expect(cilium({ world: w, context: "east" }, ["clustermesh", "status"]).stderr).toMatch(/^Error: Unable to determine status/);
  });
});

describe("cilium in the lab shell", () => {
  it("runs in the current context, moves the clock by a step, and completes its subcommands", () => {
    const w = ciliumWorld();
    let out = "";
    const shell = new LabShell({ world: w, context: "west", write: (_stream, text) => (out += text) });
    const before = w.sim.now;
    expect(shell.run("cilium clustermesh status | grep configured")).toBe(0);
    expect(out).toBe("  - east: 1/1 configured, 1/1 connected\n");
    expect(w.sim.now).toBe(before + SECOND);
    expect(shell.complete("cilium c")).toEqual([["clustermesh"], "c"]);
    expect(shell.complete("cilium clustermesh s")).toEqual([["status"], "s"]);
    expect(shell.complete("cili")).toEqual([["cilium"], "cili"]);
  });
});
