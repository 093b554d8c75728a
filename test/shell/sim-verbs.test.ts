import { describe, expect, it } from "vitest";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import { LabShell } from "../../src/shell/session.js";

/** scenarios/mesh-basic.yaml (client in east, web in west) with a shell on it. */
function session(traceLevel: "off" | "summary" = "off") {
  const { scenario } = readScenarioFile("scenarios/mesh-basic.yaml");
  const { world } = buildScenarioWorld(scenario, { traceLevel });
  world.runUntil(scenario.spec.warmup);
  let stdout = "";
  let stderr = "";
  const shell = new LabShell({ world, context: "east", write: (s, t) => (s === "stdout" ? (stdout += t) : (stderr += t)) });
  const run = (text: string) => {
    stdout = "";
    stderr = "";
    const status = shell.run(text);
    return { stdout, stderr, status };
  };
  return { world, shell, run };
}

describe("the simulation's verbs in the lab shell (simulation.md's fault vocabulary)", () => {
  it("mcsim fault partition acts through the fault timeline; faults lists it; heal and --for end it", () => {
    const { world, run } = session();
    expect(run("mcsim fault partition east west --for 30s").stdout).toBe("fault partition-1: partition clusters=east <-> clusters=west for 30s\n");
    expect(world.network.activeFaults()).toHaveLength(1);
    expect(run("mcsim faults").stdout).toBe("NAME          ACTION      AGE   TARGET\npartition-1   partition   0s    clusters=east <-> clusters=west\n");
    // A call from east to web, which runs only in west, now fails in the sidecar.
    run("kubectl run c --image=curlimages/curl -n shop -- sleep infinity");
    run("sleep 2");
    expect(run("kubectl exec c -n shop -- curl -s -o /dev/null -w '%{http_code}' -m 20 http://web/").stdout).not.toBe("200");
    run("mcsim advance 30s");
    expect(world.network.activeFaults()).toHaveLength(0);
    expect(run("mcsim faults").stdout).toBe("No faults in force.\n");
    run("mcsim fault delay east west 100ms --name slow");
    run("mcsim fault loss east west 30");
    expect(run("mcsim heal slow").stdout).toBe("fault slow healed\n");
    expect(run("mcsim heal").stdout).toBe("fault loss-2 healed\n");
    expect(world.network.activeFaults()).toHaveLength(0);
  });

  it("mcsim fault kill deletes the pod as a kill fault does; errors are one line, exit 2", () => {
    const { world, run } = session();
    expect(run("mcsim fault kill client -n shop").stdout).toBe("fault kill-1: kill east: shop/client\n");
    expect(world.cluster("east").api.get("Pod", "shop", "client")).toBeUndefined();
    expect(run("mcsim fault partition east nowhere")).toEqual({ stdout: "", stderr: "mcsim shell: no cluster named nowhere; there are: east, west (or give region=R, zone=Z, node=N, host=IP)\n", status: 2 });
    expect(run("mcsim fault partition east zone=nowhere").stderr).toContain('no zone named "nowhere"');
    expect(run("mcsim heal nope").status).toBe(2);
    expect(run("mcsim fault flood east west").stderr).toBe("mcsim shell: mcsim fault flood: the shell's faults are partition, delay, loss and kill\n");
  });

  it("mcsim events tails the trace; mcsim why lookup explains a lookup query by query", () => {
    const { run } = session("summary");
    run("mcsim fault partition east west");
    const events = run("mcsim events --tail 2").stdout.split("\n").filter(Boolean);
    expect(events).toHaveLength(2);
    expect(events.join("\n")).toMatch(/scenario\.fault {2}name=partition-1 action=partition phase=start/);
    const why = run("mcsim why lookup client nope.example -n shop").stdout;
    expect(why).toMatch(/^lookup of nope\.example from shop\/client in east: glibc resolver, search shop\.svc\.cluster\.local svc\.cluster\.local cluster\.local, ndots:5\n/);
    expect(why).toMatch(/ {3}1\. +0s {2}A {4}nope\.example\.shop\.svc\.cluster\.local -> 10\.100\.0\.10 \(udp\): NXDOMAIN \(\d+us\)\n/);
    expect(why).toMatch(/failed: EAI_NONAME \(Name or service not known\) after 8 queries, in [\d.]+m?s\n$/);
    expect(run("mcsim why lookup client web -n shop").stdout).toMatch(/answer \(the search candidate web\.shop\.svc\.cluster\.local\): 10\.100\.\d+\.\d+, from dns/);
  });

  it("completes the new verbs", () => {
    const { shell } = session();
    expect(shell.complete("mcsim f")[0]).toEqual(["fault", "faults"]);
    expect(shell.complete("mcsim fault p")[0]).toEqual(["partition"]);
    expect(shell.complete("kubectl de")[0]).toEqual(["describe", "delete"]);
    expect(shell.complete("kubectl ro")[0]).toEqual(["rollout"]);
  });
});
