import { describe, expect, it } from "vitest";
import { istioctl, proxyStatus, remoteClusters } from "../../src/shell/istioctl.js";
import { LabShell } from "../../src/shell/session.js";
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

describe("istioctl in the lab (issue 9): subcommands, contexts and istioctl's errors", () => {
  const run = (w: ReturnType<typeof meshWorld>, ...args: string[]) => istioctl({ world: w, context: "east" }, args);

  it("remote-clusters and ps ask the context's istiod; a remote cluster of primary-remote has none (mesh.md §2.2)", () => {
    const w = meshWorld();
    expect(run(w, "remote-clusters").stdout).toBe(remoteClusters([w.mesh!.istiods.get("east")!.debug()], "1.24.0"));
    expect(run(w, "--context", "west", "remote-clusters").stdout).toContain("istio-system/istio-remote-secret-east");
    expect(run(w, "ps").stdout).toBe(run(w, "proxy-status").stdout);
    expect(run(w, "ps", "-v", "x")).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('invalid argument "x" for "-v, --verbosity" flag') });
    const pr = meshWorld({ mesh: { model: "primary-remote", clusters: [{ name: "east", network: "network1" }, { name: "west", network: "network1", primary: "east" }] } });
    expect(run(pr, "--context", "west", "ps")).toEqual({ stdout: "", stderr: "Error: unable to find any Istiod instances\n", exitCode: 1 });
  });

  it("proxy-config endpoints and clusters of POD[.NS] or -n, with their filters, in istioctl's columns and order", () => {
    const w = meshWorld();
    const eps = run(w, "proxy-config", "endpoints", "client.default", "--cluster", "outbound|80||web.default.svc.cluster.local").stdout.split("\n");
    expect(eps[0]).toMatch(/^ENDPOINT\s+STATUS\s+OUTLIER CHECK\s+CLUSTER$/);
    // Two web pods (serving on 8080) in each cluster, every one healthy, ordered by address.
    expect(eps.slice(1, -1)).toHaveLength(4);
    expect(eps.slice(1, -1).every((l) => /^10\.\d+\.\d+\.\d+:8080\s+HEALTHY\s+OK\s+outbound\|80\|\|web\.default\.svc\.cluster\.local$/.test(l))).toBe(true);
    const addresses = eps.slice(1, -1).map((l) => l.split(" ")[0]!);
    expect(addresses).toEqual([...addresses].sort());
    expect(run(w, "pc", "ep", "client", "-n", "default", "--status", "UNHEALTHY").stdout).toMatch(/^ENDPOINT\s+STATUS\s+OUTLIER CHECK\s+CLUSTER\n$/);
    const clusters = run(w, "pc", "clusters", "client", "--fqdn", "web.default.svc.cluster.local").stdout;
    expect(clusters).toMatch(/^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE\nweb\.default\.svc\.cluster\.local\s+80\s+-\s+outbound\s+EDS\s+\n$/);
  });

  it("version: client, control plane and data plane with its proxy count", () => {
    const w = meshWorld();
    expect(run(w, "version").stdout).toBe("client version: 1.24.0\ncontrol plane version: 1.24.0\ndata plane version: 1.24.0 (3 proxies)\n");
  });

  it("answers unknown subcommands, flags, pods and contexts as istioctl does, with exit status 1", () => {
    const w = meshWorld();
    const error = (...args: string[]) => {
      const out = run(w, ...args);
      expect(out.exitCode).toBe(1);
      expect(out.stdout).toBe("");
      return out.stderr;
    };
    expect(error("foo")).toBe(`Error: unknown command "foo" for "istioctl"\nRun 'istioctl --help' for usage.\n`);
    expect(error("pc", "routes", "client")).toBe(`Error: unknown command "routes" for "istioctl proxy-config"\nRun 'istioctl proxy-config --help' for usage.\n`);
    expect(error("ps", "--bogus")).toBe("Error: unknown flag: --bogus\n");
    expect(error("ps", "-x")).toBe("Error: unknown shorthand flag: 'x' in -x\n");
    expect(error("pc", "ep", "client", "--cluster")).toBe("Error: flag needs an argument: --cluster\n");
    expect(error("pc", "ep")).toBe("Error: endpoint requires pod name or --file parameter\n");
    expect(error("pc", "ep", "nothere")).toBe('Error: pods "nothere" not found\n');
    expect(error("pc", "ep", "web-0.kube-system")).toBe('Error: pods "web-0" not found\n');
    expect(error("--context", "nowhere", "ps")).toBe('Error: context "nowhere" does not exist\n');
    expect(error("remote-clusters", "extra")).toBe('Error: unknown command "extra" for "istioctl remote-clusters"\n');
    expect(error()).toContain("a subcommand is required");
    // A pod without a sidecar: CoreDNS in kube-system, which is not injected.
    const dns = w.cluster("east").api.list("Pod", "kube-system")[0]!.metadata.name;
    expect(error("pc", "ep", `${dns}.kube-system`)).toBe(`Error: failed to execute command on sidecar: error execing into ${dns}/kube-system istio-proxy container: container istio-proxy is not valid for pod ${dns}\n`);
  });
});

describe("istioctl in the lab shell", () => {
  it("runs in the current context, moves the clock by a step, and completes its subcommands", () => {
    const w = meshWorld();
    let out = "";
    const shell = new LabShell({ world: w, context: "west", write: (_stream, text) => (out += text) });
    const before = w.sim.now;
    expect(shell.run("istioctl remote-clusters | grep -c synced")).toBe(0);
    expect(out).toBe("2\n");
    expect(w.sim.now).toBe(before + SECOND);
    expect(shell.complete("istioctl p")).toEqual([["proxy-config", "proxy-status"], "p"]);
    expect(shell.complete("isti")).toEqual([["istioctl"], "isti"]);
  });
});
