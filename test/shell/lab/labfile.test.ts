import { describe, expect, it } from "vitest";
import { readScenarioFile } from "../../../src/cli/scenario-file.js";
import { LabFileError, labChecks, loadLab } from "../../../src/shell/lab/labfile.js";
import { LAB_DIR, shippedLab } from "./lab-world.js";

const FILE = `${LAB_DIR}/test-lab.yaml`;
const read = (p: string) => readScenarioFile(p).scenario;

/** The error a lab file's text gives, as the CLI prints it. */
function problem(text: string): string {
  try {
    loadLab(text, FILE, read);
  } catch (e) {
    expect(e).toBeInstanceOf(LabFileError);
    return (e as Error).message;
  }
  throw new Error("the lab file loaded");
}

const HEAD = "title: T\nscenario: scenario.yaml\nsteps:\n  - title: S\n    text: t\n";

describe("the lab file (issue 9: lab.yaml, landscape.md §1)", () => {
  it("reads the shipped lab: its steps with text, checks of each kind, hints and solutions, the scenario beside it", () => {
    const { lab, scenario, scenarioFile } = shippedLab();
    expect(scenarioFile).toBe(`${LAB_DIR}/scenario.yaml`);
    expect(scenario.metadata.name).toBe("cross-cluster-patterns");
    expect(lab.steps.map((s) => s.title)).toEqual(["The service mesh", "DNS federation", "A pod that has dig", "Multi-Cluster Services"]);
    const checks = labChecks(lab);
    expect([...new Set([...checks.values()].map((c) => c.kind))].sort()).toEqual(["expect", "lookup", "object", "request"]);
    const expectCheck = checks.get("federated-lookups")!;
    expect(expectCheck.kind === "expect" && expectCheck.last).toBe(30_000_000);
    const lookup = checks.get("missing-name")!;
    expect(lookup.kind === "lookup" && lookup.lookup).toEqual({ cluster: "us-east", namespace: "default", pod: "dns-test", name: "nothing.production.svc.cluster-b.local", type: "A", rcode: "NXDOMAIN" });
    const object = checks.get("dns-test-ready")!;
    expect(object.kind === "object" && object.object.condition).toEqual({ type: "Ready", status: "True" });
    expect(lab.steps[3]!.solution[0]).toContain("kubectl apply -f - <<'MCS'\n");
  });

  it("names the file, line, column and field of an unknown field, with the nearest valid name", () => {
    expect(problem(`${HEAD}    hint: [a]\n`)).toMatch(/^scenarios\/labs\/cross-cluster-patterns\/test-lab\.yaml:6:5: steps\[0\]\.hint: unknown field "hint".*hints/);
    expect(problem(`titel: T\nscenario: scenario.yaml\nsteps: []\n`)).toMatch(/test-lab\.yaml:1:1: titel: unknown field "titel".*title/);
  });

  it("requires a title, a scenario and at least one step", () => {
    expect(problem("scenario: scenario.yaml\nsteps:\n  - {title: S, text: t}\n")).toMatch(/test-lab\.yaml:1:1: .*title/);
    expect(problem("title: T\nsteps:\n  - {title: S, text: t}\n")).toMatch(/test-lab\.yaml:1:1: .*scenario/);
    expect(problem("title: T\nscenario: scenario.yaml\nsteps: []\n")).toMatch(/test-lab\.yaml:3:8: steps/);
  });

  it("checks the names a check uses against the scenario: its clusters and streams, kubectl's resource types", () => {
    expect(problem(`${HEAD}    checks:\n      - {name: a, object: {cluster: us-west, kind: Pod, name: p}}\n`)).toMatch(/test-lab\.yaml:7:37: steps\[0\]\.checks\[0\]\.object\.cluster: no cluster named "us-west" in the lab's scenario; its clusters are us-east, cluster-b/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, object: {cluster: us-east, kind: Podz, name: p}}\n`)).toMatch(/object\.kind: kubectl knows no resource type "Podz"/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, last: 10s, expect: {stream: nope, count: {atLeast: 1}}}\n`)).toMatch(/expect\.stream: no stream named "nope" in the lab's scenario; its streams are federated/);
  });

  it("takes one kind of check per check, last only with expect, an expectation without a window, and unique check names", () => {
    expect(problem(`${HEAD}    checks:\n      - {name: a}\n`)).toMatch(/checks\[0\]: .*object, lookup, request, expect/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, object: {cluster: us-east, kind: Pod, name: p}, lookup: {cluster: us-east, pod: p, name: host}}\n`)).toMatch(/split them into separate checks/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, expect: {stream: federated, count: {atLeast: 1}}}\n`)).toMatch(/checks\[0\]: .*last.*required when expect is given|last/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, last: 5s, object: {cluster: us-east, kind: Pod, name: p}}\n`)).toMatch(/last: last goes with expect/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, last: 5s, expect: {stream: federated, window: {from: 1s}, count: {atLeast: 1}}}\n`)).toMatch(/window: a lab check looks at the last N seconds/);
    expect(problem(`${HEAD}    checks:\n      - {name: a, object: {cluster: us-east, kind: Pod, name: p}}\n      - {name: a, object: {cluster: us-east, kind: Pod, name: q}}\n`)).toMatch(/test-lab\.yaml:8:\d+: steps\[0\]\.checks\[1\]\.name: a check named "a" is already defined/);
  });

  it("reports YAML syntax errors and a second document with their place", () => {
    expect(problem("title: [\n")).toMatch(/test-lab\.yaml:\d+:\d+: YAML syntax error/);
    expect(problem(`${HEAD}---\n${HEAD}`)).toMatch(/test-lab\.yaml:7:1: a lab file holds one document/);
  });
});
