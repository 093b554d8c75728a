import { describe, expect, it } from "vitest";
import { proxyStatus, remoteClusters } from "../../src/shell/istioctl.js";
import { SECOND } from "../../src/sim/time.js";
import { meshWorld } from "../mesh/mesh-world.js";

describe("istioctl formatters (mesh.md §2.1, §2.2)", () => {
  it("§2.1: remote-clusters lists the config cluster with no secret and the remote synced, REVISION from 1.31", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!.debug();
    const pod = east.pod;
    // Go's tabwriter with padding 5: each column its widest cell plus five spaces.
    const secret = "istio-system/istio-remote-secret-west";
    const col = (text: string) => text.padEnd(secret.length + 5);
    expect(remoteClusters([east], "1.24.0")).toBe(
      `NAME     ${col("SECRET")}STATUS     ISTIOD\n` + `east     ${col("")}synced     ${pod}\n` + `west     ${col(secret)}synced     ${pod}\n`,
    );
    expect(remoteClusters([east], "1.31.0").split("\n")[1]).toBe(`east     ${col("")}synced     ${pod}     default`);
  });

  it("§2.2: proxy-status in the 1.23–1.26 layout (ages), the 1.27+ default and its -v 1 columns", () => {
    const w = meshWorld();
    const east = w.mesh!.istiods.get("east")!.debug();
    const now = w.sim.now + 120 * SECOND;
    const old = proxyStatus([east], { version: "1.24.0", now }).split("\n");
    expect(old[0]!.split(/\s{2,}/)).toEqual(["NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION"]);
    expect(old[1]).toMatch(/^client\.default\s+east\s+SYNCED \(2m\d*s?\)\s+SYNCED .*NOT SENT\s+istiod-\S+\s+1\.24\.0$/);
    const bare = proxyStatus([east], { version: "1.22.0", now }).split("\n");
    expect(bare[1]).toMatch(/^client\.default\s+east\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\s+NOT SENT\s/);
    const neu = proxyStatus([east], { version: "1.27.0", now }).split("\n");
    expect(neu[0]).toMatch(/^NAME\s+CLUSTER\s+ISTIOD\s+VERSION\s+SUBSCRIBED TYPES$/);
    expect(neu[1]).toMatch(/^client\.default\s+east\s+istiod-\S+\s+1\.24\.0\s+5 \(CDS,LDS,EDS,RDS,ECDS\)$/);
    const verbose = proxyStatus([east], { version: "1.27.0", now, verbosity: 1 }).split("\n");
    expect(verbose[0]!.split(/\s{2,}/)).toEqual(["NAME", "CLUSTER", "CDS", "ECDS", "EDS", "LDS", "RDS", "ISTIOD", "VERSION"]);
    // Rows sorted by proxy ID.
    const ids = neu.slice(1, -1).map((l) => l.split(" ")[0]!);
    expect(ids).toEqual([...ids].sort());
  });
});
