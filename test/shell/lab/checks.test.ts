import { describe, expect, it } from "vitest";
import { labChecks } from "../../../src/shell/lab/labfile.js";
import { labEngine, shippedLab, solutionLines } from "./lab-world.js";

/** A check's one line and exit status. */
function check(engine: ReturnType<typeof labEngine>, ...names: string[]) {
  const r = engine.check(names);
  return { exitCode: r.exitCode, text: r.output.map(([, t]) => t).join("") };
}

describe("lab checks (issue 9: mcsim lab check, landscape.md §1.7: exit 0 or 1 with a one-line reason)", () => {
  it("fail before the solution and pass once every step's solution has run, each with its reason", () => {
    const loaded = shippedLab();
    const engine = labEngine();
    expect(check(engine, "dns-test-ready")).toEqual({ exitCode: 1, text: "FAIL: dns-test-ready: pod/dns-test in namespace default of cluster us-east not found\n" });
    expect(check(engine, "cluster-b-name")).toEqual({ exitCode: 1, text: "FAIL: cluster-b-name: cluster us-east has no pod default/dns-test\n" });
    expect(check(engine, "my-api-exported").text).toBe("FAIL: my-api-exported: serviceexport.multicluster.x-k8s.io/my-api in namespace production of cluster us-east not found\n");
    for (const line of solutionLines(loaded)) engine.run(line, () => undefined);
    const names = [...labChecks(loaded.lab).keys()];
    const all = check(engine, ...names);
    expect(all.exitCode).toBe(0);
    expect(all.text.split("\n").filter(Boolean)).toHaveLength(names.length);
    expect(all.text).toContain("pass: dns-test-ready: pod/dns-test in namespace default of cluster us-east is Ready=True\n");
    expect(all.text).toMatch(/pass: cluster-b-name: myservice\.production\.svc\.cluster-b\.local \(A\) from default\/dns-test in us-east answered 10\.101\.\d+\.\d+\n/);
    expect(all.text).toContain("pass: missing-name: nothing.production.svc.cluster-b.local (A) from default/dns-test in us-east failed: NXDOMAIN (EAI_NONAME)\n");
    expect(all.text).toContain("pass: my-api-exported: serviceexport.multicluster.x-k8s.io/my-api in namespace production of cluster us-east is Valid=True\n");
    expect(all.text).toContain("pass: my-api-answers: GET http://my-api.production.svc.cluster.local/ from default/dns-test in us-east got 200\n");
    expect(all.text).toMatch(/pass: federated-lookups: success ratio of federated >= 0\.99 over the last [\d.]+s: \d+\/\d+ = 1\.0000\n/);
  });

  it("stops at the first failing check of several, and refuses a name the lab does not define (exit 2, naming the lab's checks)", () => {
    const engine = labEngine();
    expect(check(engine, "remote-secret", "dns-test-ready", "coredns-config")).toEqual({ exitCode: 1, text: "FAIL: dns-test-ready: pod/dns-test in namespace default of cluster us-east not found\n" });
    const unknown = engine.check(["remote-secret", "nope"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.output).toEqual([["stderr", expect.stringMatching(/^mcsim lab check: no check named "nope"; the lab's checks are remote-secret, coredns-config, /)]]);
  });

  it("an object check names the condition it wanted when the object has another status, and a lookup or request check gives what it got", () => {
    const engine = labEngine();
    engine.run("kubectl run dns-test --image=busybox:1.36 -- sleep infinity\n", () => undefined);
    expect(check(engine, "dns-test-ready").exitCode).toBe(0);
    // The lesson's exec in a busybox dns-test: busybox has no dig, as the lab's step 3 says.
    const dig = engine.run("kubectl exec -it dns-test -- dig +short myservice.production.svc.cluster-b.local\n", () => undefined);
    expect(dig.exitCode).toBe(126);
    expect(dig.output.map(([, t]) => t).join("")).toContain('exec: "dig": executable file not found in $PATH');
    engine.run("kubectl delete pod dns-test\n", () => undefined);
    expect(check(engine, "dns-test-ready").text).toBe("FAIL: dns-test-ready: pod/dns-test in namespace default of cluster us-east not found\n");
    engine.run("kubectl run dns-test --image=debian:12 -- sleep infinity\nkubectl scale deployment my-api -n production --replicas=0\nsleep 5\n", () => undefined);
    expect(check(engine, "my-api-answers").text).toBe("FAIL: my-api-answers: GET http://my-api.production.svc.cluster.local/ from default/dns-test in us-east failed: connect-refused (want 2xx)\n");
  });
});
