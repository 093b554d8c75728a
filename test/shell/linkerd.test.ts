import { describe, expect, it } from "vitest";
import { gatewaysTable, linkerd } from "../../src/shell/linkerd.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { LabShell } from "../../src/shell/session.js";
import { linkerdWorld } from "../mesh/linkerd/linkerd-world.js";

describe("linkerd multicluster gateways (mesh.md §5.5)", () => {
  it("prints the columns as gateways.go's table does: the docs' example byte for byte", () => {
    expect(gatewaysTable([{ cluster: "east", alive: true, services: 1, latencyMs: 3 }])).toBe("CLUSTER  ALIVE    NUM_SVC      LATENCY\neast     True           1          3ms\n");
  });

  it("sorts by cluster, widens a long name's column and prints - for a dead gateway's latency", () => {
    const out = gatewaysTable([
      { cluster: "us-west-production", alive: true, services: 12, latencyMs: 71 },
      { cluster: "central", alive: false, services: 0, latencyMs: 40 },
    ]);
    expect(out).toBe(
      [
        "CLUSTER             ALIVE    NUM_SVC      LATENCY",
        "central             False          0            -",
        "us-west-production  True          12         71ms",
        "",
      ].join("\n"),
    );
  });

  it("reads west's service mirror: east alive with one mirrored Service; dead once its gateway is black-holed", () => {
    const w = linkerdWorld();
    const out = linkerd({ world: w, context: "west" }, ["multicluster", "gateways"]);
    expect(out.exitCode).toBe(0);
    expect(out.stdout.split("\n")[1]).toMatch(/^east {5}True {11}1 +\d+ms$/);
    w.network.partition({ clusters: ["west"] }, { hosts: ["east/linkerd-multicluster/linkerd-gateway"] });
    w.runFor(100 * 1_000_000);
    expect(linkerd({ world: w, context: "west" }, ["mc", "gateways"]).stdout.split("\n")[1]).toBe("east     False          1            -");
  });
});

describe("linkerd multicluster check", () => {
  it("passes on a healthy link, and names the link whose probes fail once its gateway is gone", () => {
    const w = linkerdWorld();
    const ok = linkerd({ world: w, context: "west" }, ["mc", "check"]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain("√ clusters share trust anchors\n\t* east\n");
    expect(ok.stdout.endsWith("Status check results are √\n")).toBe(true);
    w.network.partition({ clusters: ["west"] }, { hosts: ["east/linkerd-multicluster/linkerd-gateway"] });
    w.runFor(100 * 1_000_000);
    const bad = linkerd({ world: w, context: "west" }, ["mc", "check"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain("× probe services able to communicate with all gateway mirrors\n    liveness checks failed for east\n");
  });

  it("answers an unknown subcommand or context as cobra does", () => {
    const w = linkerdWorld({ warm: 0 });
    expect(linkerd({ world: w, context: "west" }, ["mc", "gatways"]).stderr).toBe('Error: unknown command "gatways" for "linkerd multicluster"\nRun \'linkerd multicluster --help\' for usage.\n');
    expect(linkerd({ world: w, context: "west" }, ["--context", "north", "mc", "gateways"])).toMatchObject({ stderr: 'Error: context "north" does not exist\n', exitCode: 1 });
  });
});

describe("kubectl get links and trafficsplits; linkerd in the lab shell", () => {
  it("lists the Link linkerd multicluster link wrote, with NAME and AGE", () => {
    const w = linkerdWorld();
    const out = kubectl({ world: w, context: "west" }, ["get", "links", "-n", "linkerd-multicluster"]);
    expect(out.stdout).toMatch(/^NAME {3}AGE\neast {3}\d+s\n$/);
  });

  it("the lab shell runs linkerd in the current context and completes its subcommands", () => {
    const w = linkerdWorld();
    let out = "";
    const shell = new LabShell({ world: w, context: "west", step: 0, write: (_stream, text) => (out += text) });
    expect(shell.run("linkerd mc gateways | wc -l")).toBe(0);
    expect(out.trim()).toBe("2");
    expect(shell.complete("linkerd multicluster ga")).toEqual([["gateways"], "ga"]);
  });
});
