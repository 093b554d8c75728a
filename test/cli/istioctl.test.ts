import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mcsim } from "./run-mcsim.js";

const MESH = "scenarios/mesh-basic.yaml";

describe("mcsim istioctl SCENARIO -- ARGS (issue 9)", () => {
  it("prints remote-clusters at the end of warmup, and at --at after the scenario deleted the remote secret (mesh.md §1.2, §2.1)", () => {
    const warm = mcsim(["istioctl", MESH, "--", "remote-clusters"]);
    expect(warm.stderr).toBe("");
    expect(warm.status).toBe(0);
    expect(warm.stdout).toMatch(/^NAME {5}SECRET +STATUS {5}ISTIOD\neast +synced {5}istiod-\S+\nwest {5}istio-system\/istio-remote-secret-west {5}synced {5}istiod-\S+\n$/);
    const deleted = mcsim(["istioctl", MESH, "--at", "35s", "--", "remote-clusters"]);
    expect(deleted.stdout).toMatch(/^NAME {5}SECRET {5}STATUS {5}ISTIOD\neast {16}synced {5}istiod-\S+\n$/);
  });

  it("takes the context from --context or from istioctl's own --context, and ps, pc and version", () => {
    const west = mcsim(["istioctl", MESH, "--context", "west", "--", "remote-clusters"]);
    expect(west.stdout).toContain("istio-system/istio-remote-secret-east");
    expect(mcsim(["istioctl", MESH, "--", "--context", "west", "remote-clusters"]).stdout).toBe(west.stdout);
    expect(mcsim(["istioctl", MESH, "--", "ps"]).stdout).toMatch(/^NAME +CLUSTER +CDS +LDS +EDS +RDS +ECDS +ISTIOD +VERSION\nclient\.shop +east +SYNCED \(9s\)/);
    const eps = mcsim(["istioctl", MESH, "--", "pc", "ep", "client.shop", "--port", "80"]);
    expect(eps.stdout.split("\n").slice(1, -1)).toHaveLength(3);
    expect(mcsim(["istioctl", MESH, "--", "version"]).stdout).toBe("client version: 1.24.0\ncontrol plane version: 1.24.0\ndata plane version: 1.24.0 (1 proxies)\n");
  });

  it("exits 1 with istioctl's message for what istioctl refuses, and 2 for a context the scenario does not have", () => {
    expect(mcsim(["istioctl", MESH, "--", "proxy-stats"])).toEqual({ status: 1, stdout: "", stderr: `Error: unknown command "proxy-stats" for "istioctl"\nRun 'istioctl --help' for usage.\n` });
    const bad = mcsim(["istioctl", MESH, "--context", "wset", "--", "ps"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('mcsim: --context "wset": scenario mesh-basic has no such cluster; did you mean west? Its clusters: east, west\n');
    expect(mcsim(["kubectl", MESH, "--context", "west", "--", "get", "secrets", "-n", "istio-system", "-o", "name"]).stdout).toBe("secret/istio-remote-secret-east\n");
  });
});

describe("mcsim shell on a mesh: istioctl in the lab shell (issue 9)", () => {
  it("runs scenarios/mesh-lab.sh: the remote secret deleted and applied again as remote-clusters and proxy-config endpoints show it (golden)", () => {
    const r = mcsim(["shell", MESH, "--script", "scenarios/mesh-lab.sh", "--echo"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync("test/cli/golden/mesh-lab.txt", "utf8"));
  });
});
