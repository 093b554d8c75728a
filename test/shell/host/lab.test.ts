import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MCSIM, mcsim } from "../../cli/run-mcsim.js";

/** State directories made here, whose servers are stopped at the end. */
const labs: string[] = [];
afterAll(() => {
  for (const dir of labs) mcsim(["lab", "stop", dir]);
});

const LAB = "scenarios/labs/cross-cluster-patterns";

/** A new lab from `source`, its state in a new temporary directory. */
function initLab(source: string, ...flags: string[]): string {
  const dir = join(mkdtempSync(join(tmpdir(), "mcsim-lab-")), "state");
  labs.push(dir);
  const r = mcsim(["lab", "init", source, "--state", dir, ...flags]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return dir;
}

/** A command run by bash with the lab's shims first on PATH, as the learner's terminal runs it. */
function bash(dir: string, script: string, input?: string) {
  const env = mcsim(["lab", "env", dir]);
  const r = spawnSync("bash", ["-c", `${env.stdout}${script}`], { encoding: "utf8", ...(input !== undefined ? { input } : { stdio: ["ignore", "pipe", "pipe"] }) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function logRecords(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "log.ndjson"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function digest(dir: string): string {
  return /digest: ([0-9a-f]{64})/.exec(mcsim(["lab", "status", dir]).stdout)![1]!;
}

// Each test starts a lab server and runs the built command many times: slow on a loaded machine.
describe("mcsim lab (issue 9: labs on lab platforms, landscape.md §1.7)", { timeout: 240_000 }, () => {
  it("the lesson's nine commands, typed through the shims in bash, print what mcsim shell prints (golden: NotFound for the exec into the gone --rm pod)", () => {
    const shell = mcsim(["shell", `${LAB}/scenario.yaml`, "--script", `${LAB}/lesson.sh`]);
    expect(shell.stdout).toBe(readFileSync("test/cli/golden/cross-cluster-patterns-lesson.txt", "utf8"));
    expect(shell.stderr).toBe('Error from server (NotFound): pods "dns-test" not found\n');
    expect(shell.status).toBe(0);
    const dir = initLab(LAB, "--clock", "step");
    const typed = bash(dir, readFileSync(`${LAB}/lesson.sh`, "utf8"));
    expect(typed.stdout).toBe(shell.stdout);
    expect(typed.stderr).toBe(shell.stderr);
    expect(typed.status).toBe(0);
    const commands = logRecords(dir).map((r) => r.command);
    expect(commands).toHaveLength(9);
    expect(commands[4]).toBe("kubectl run dns-test --rm -it --image=busybox -- nslookup myservice.production.svc.us-east.example.com");
    expect(commands[6]).toBe("kubectl apply -f - <<'MCSIM_STDIN'\napiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: my-api\n  namespace: production\nMCSIM_STDIN\n");
  });

  it("shims pass arguments, stdin, stdout, stderr and the exit status through; the kubectl context is shared by every process; mcsim lab run runs a command line or a script", () => {
    const dir = initLab(LAB, "--clock", "step");
    expect(bash(dir, "kubectl get nope")).toEqual({ status: 1, stdout: "", stderr: 'error: the server doesn\'t have a resource type "nope"\n' });
    expect(bash(dir, "kubectl config use-context cluster-b").stdout).toBe('Switched to context "cluster-b".\n');
    expect(bash(dir, "kubectl config current-context")).toEqual({ status: 0, stdout: "cluster-b\n", stderr: "" });
    expect(mcsim(["lab", "run", dir, "--", "kubectl config use-context us-east && kubectl get ns production -o name"])).toEqual({ status: 0, stdout: 'Switched to context "us-east".\nnamespace/production\n', stderr: "" });
    const applied = bash(dir, "kubectl apply -f - -n default", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 'it''s'\n");
    expect(applied.stderr).toMatch(/metadata\.name/);
    expect(applied.status).toBe(1);
    const work = mkdtempSync(join(tmpdir(), "mcsim-lab-files-"));
    writeFileSync(join(work, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-file\n");
    expect(bash(dir, `cd ${work} && kubectl apply -f cm.yaml && rm cm.yaml && kubectl get cm from-file -o name`)).toEqual({ status: 0, stdout: "configmap/from-file created\nconfigmap/from-file\n", stderr: "" });
    expect(logRecords(dir).find((r) => r.command === "kubectl apply -f cm.yaml")).toMatchObject({ cwd: work, files: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-file\n" }, exit: 0 });
    expect(bash(dir, "dig +short x")).toEqual({ status: 127, stdout: "", stderr: expect.stringMatching(/^mcsim shell: dig: command not found here: run it inside a pod/) });
    const script = spawnSync(process.execPath, [MCSIM, "lab", "run", dir], { encoding: "utf8", input: "export NS=production\nkubectl get svc my-api -n $NS -o name | head -1\nmcsim time\n" });
    expect(script.stdout).toMatch(/^service\/my-api\n\d+s\n$/);
  });

  it("checks exit 0 or 1 with a reason, and pass once the lab file's solutions have run; a stopped lab starts again on the next command and rebuilds its state from the log", () => {
    const dir = initLab(LAB, "--clock", "step");
    expect(mcsim(["lab", "check", dir, "dns-test-ready"])).toEqual({ status: 1, stdout: "FAIL: dns-test-ready: pod/dns-test in namespace default of cluster us-east not found\n", stderr: "" });
    const lab = readFileSync(`${LAB}/lab.yaml`, "utf8");
    const solution = [...lab.matchAll(/^ {6}- (kubectl run dns-test --image=debian:12 -- sleep infinity)$/gm)].map((m) => m[1]);
    expect(solution).toHaveLength(1);
    expect(mcsim(["lab", "run", dir, "--", solution[0]!]).stdout).toBe("pod/dns-test created\n");
    expect(mcsim(["lab", "check", dir, "dns-test-ready", "cluster-b-name"])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^pass: dns-test-ready: .*\npass: cluster-b-name: .* answered 10\.101\.\d+\.\d+\n$/) });
    const before = digest(dir);
    expect(mcsim(["lab", "stop", dir]).stdout).toBe(`lab ${dir}: stopped\n`);
    expect(mcsim(["lab", "status", dir])).toEqual({ status: 1, stdout: `lab ${dir}: stopped, 3 commands in its log; the next command starts it again\n`, stderr: "" });
    expect(bash(dir, "kubectl get pod dns-test -o name")).toEqual({ status: 0, stdout: "pod/dns-test\n", stderr: "" });
    expect(readFileSync(join(dir, "server.log"), "utf8")).toMatch(/3 commands replayed from the log\n$/);
    expect(logRecords(dir).slice(-1)[0]).toMatchObject({ seq: 4, command: "kubectl get pod dns-test -o name", exit: 0 });
    // The replayed lab is where the first one was: one command later, its clock one step on.
    expect(digest(dir)).not.toBe(before);
    expect(mcsim(["lab", "check", dir, "nope"])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^mcsim lab check: no check named "nope"/) });
  });

  it("bad input exits 2 with a located message: a lab file's mistake, a lab already in the directory, no lab in it", () => {
    const work = mkdtempSync(join(tmpdir(), "mcsim-lab-bad-"));
    writeFileSync(join(work, "lab.yaml"), `title: T\nscenario: ${process.cwd()}/${LAB}/scenario.yaml\nsteps:\n  - title: S\n    txt: t\n`);
    expect(mcsim(["lab", "init", work, "--state", join(work, "state")])).toEqual({ status: 2, stdout: "", stderr: `mcsim: ${work}/lab.yaml:5:5: steps[0].txt: unknown field "txt" (did you mean "text"?)\n` });
    expect(mcsim(["lab", "status", join(work, "none")])).toMatchObject({ status: 2, stderr: expect.stringMatching(/no lab here; start one with mcsim lab init/) });
    const dir = initLab(`${LAB}/scenario.yaml`, "--clock", "step");
    expect(mcsim(["lab", "init", `${LAB}/scenario.yaml`, "--state", dir])).toMatchObject({ status: 2, stderr: expect.stringMatching(/a lab is there already/) });
  });

  it("two processes issuing 1,000 commands each at once: the log holds every command once, in each process's order, and a rebuild from it gives the same state", async () => {
    const dir = initLab(`${LAB}/scenario.yaml`, "--clock", "step", "--step", "0");
    const load = (name: string) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, ["--import", "tsx", "test/shell/host/lab-load.ts", dir, name, "1000"], { stdio: "inherit" }).on("exit", resolve));
    expect(await Promise.all([load("one"), load("two")])).toEqual([0, 0]);
    const records = logRecords(dir);
    expect(records).toHaveLength(2000);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    for (const name of ["one", "two"]) {
      const mine = records.map((r) => /--overwrite (\w+)=(\d+)$/.exec(r.command as string)!).filter((m) => m[1] === name);
      expect(mine.map((m) => Number(m[2]))).toEqual([...Array(1000).keys()]);
    }
    // Interleaved, not one after the other: the two ran at the same time.
    expect(new Set(records.slice(0, 1000).map((r) => /(\w+)=/.exec(r.command as string)![1])).size).toBe(2);
    const before = digest(dir);
    mcsim(["lab", "stop", dir]);
    // `true` changes nothing (no step, no object) and starts the server again, replaying the log.
    expect(mcsim(["lab", "run", dir, "--", "true"]).status).toBe(0);
    expect(readFileSync(join(dir, "server.log"), "utf8")).toMatch(/2000 commands replayed from the log\n$/);
    expect(digest(dir)).toBe(before);
    expect(bash(dir, "kubectl get ns default -o yaml | grep -E '^    (one|two):'").stdout).toBe('    one: "999"\n    two: "999"\n');
  }, 300_000); // 2,000 synced commands: seconds on an idle machine, far more on a loaded one

  it("with --clock wall the simulated clock keeps up with the wall clock between commands, and the log records when each ran", () => {
    const dir = initLab(`${LAB}/scenario.yaml`);
    spawnSync("sleep", ["1.5"]);
    const time = mcsim(["lab", "run", dir, "--", "mcsim time"]);
    expect(time.status).toBe(0);
    const seconds = Number(/^([\d.]+)s\n$/.exec(time.stdout)![1]);
    expect(seconds).toBeGreaterThanOrEqual(16.5);
    const [record] = logRecords(dir);
    expect(record).toMatchObject({ seq: 1, command: "mcsim time", exit: 0 });
    expect(record!.at).toBeGreaterThanOrEqual(16_500_000);
  });

  it("mcsim lab export writes the platform's files for the shipped lab, its scripts executable", () => {
    const out = mkdtempSync(join(tmpdir(), "mcsim-lab-export-"));
    expect(mcsim(["lab", "export", "killercoda", LAB, "--out", join(out, "kc")])).toEqual({ status: 0, stdout: `${join(out, "kc")}: 17 files for killercoda\n`, stderr: "" });
    expect(JSON.parse(readFileSync(join(out, "kc", "index.json"), "utf8")).details.steps).toHaveLength(4);
    expect(statSync(join(out, "kc", "step1", "verify.sh")).mode & 0o111).toBe(0o111);
    expect(readFileSync(join(out, "kc", "assets", "lab", "lab.yaml"), "utf8")).toBe(readFileSync(`${LAB}/lab.yaml`, "utf8"));
    expect(mcsim(["lab", "export", "instruqt", `${LAB}/lab.yaml`, "--out", join(out, "iq")]).status).toBe(0);
    expect(statSync(join(out, "iq", "03-a-pod-that-has-dig", "check-workstation")).mode & 0o111).toBe(0o111);
    expect(mcsim(["lab", "export", "katacoda", LAB, "--out", out])).toMatchObject({ status: 2, stderr: expect.stringMatching(/katacoda.*killercoda, instruqt/) });
    expect(mcsim(["lab", "export", "instruqt", `${LAB}/scenario.yaml`, "--out", out])).toMatchObject({ status: 2, stderr: expect.stringMatching(/a scenario, not a lab file/) });
  });
});
