import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MCSIM, mcsim } from "./run-mcsim.js";

const MCS = "scenarios/mcs.yaml";
const LAB = "scenarios/mcs-lab.sh";

/** `mcsim shell ARGS` with `input` piped to its stdin. */
function piped(args: readonly string[], input: string) {
  const r = spawnSync(process.execPath, [MCSIM, "shell", ...args], { encoding: "utf8", input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A script file with these lines. */
function script(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "mcsim-shell-")), "lab.sh");
  writeFileSync(file, text);
  return file;
}

describe("mcsim shell (issue 9: the lab shell)", () => {
  it("runs the MCS lesson's steps from --script: apply of a ServiceExport from a here-document, then after sleep 5 the import in every cluster (golden: the seed pins IPs and ages)", () => {
    const r = mcsim(["shell", MCS, "--script", LAB]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync("test/cli/golden/mcs-lab.txt", "utf8"));
    expect(r.stdout).toContain("serviceexport.multicluster.x-k8s.io/my-web created\n");
    expect(r.stdout).toMatch(/production +my-web +ClusterSetIP +\["10\.\d+\.\d+\.\d+"\] +5s\n/);
  });

  it("prints the same for the script piped to stdin, and with --echo adds each prompt and command before its output", () => {
    const r = piped([MCS], readFileSync(LAB, "utf8"));
    expect(r.stdout).toBe(readFileSync("test/cli/golden/mcs-lab.txt", "utf8"));
    const echoed = mcsim(["shell", MCS, "--script", LAB, "--echo"]);
    expect(echoed.stdout).toContain("[cluster-a] $ kubectl apply -f - <<'MCS'\n> apiVersion: v1\n");
    expect(echoed.stdout).toContain("[cluster-b] $ mcsim time\n26s\n");
    expect(echoed.stdout.split("\n").filter((l) => !/^(\[cluster-[ab]\] \$|>) /.test(l)).join("\n")).toBe(r.stdout);
  });

  it("runs the lesson's busybox commands as real clusters would: nslookup in a --rm pod, then exec NotFound; dig not in busybox", () => {
    const r = piped(
      [MCS, "--context", "cluster-b"],
      "kubectl run dns-test --rm -it --image=busybox -- nslookup my-api.production.svc.clusterset.local\n" +
        "kubectl exec -it dns-test -- dig +short my-api.production.svc.clusterset.local\n" +
        "kubectl run dns-test --image=busybox && kubectl exec -it dns-test -- dig +short my-api.production.svc.clusterset.local\n",
    );
    expect(r.stdout).toMatch(/^Server:\t\t10\.101\.0\.10\nAddress:\t10\.101\.0\.10:53\n/);
    expect(r.stdout).toContain('pod "dns-test" deleted\npod/dns-test created\n');
    expect(r.stderr).toBe(
      'Error from server (NotFound): pods "dns-test" not found\n' +
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "dig": executable file not found in $PATH: unknown\n' +
        "command terminated with exit code 126\n",
    );
    expect(r.status).toBe(126);
  });

  it("exits with the last command's status, or exit's, and goes on after a line it cannot run", () => {
    expect(piped([MCS], "kubectl get pods nosuch\n").status).toBe(1);
    const r = piped([MCS], "echo a > f\necho after\nexit 3\necho never\n");
    expect(r).toEqual({ status: 3, stdout: "after\n", stderr: expect.stringMatching(/^mcsim shell: redirecting output to a file \(>\) is not supported[^\n]*\n$/) });
    expect(piped([MCS], "cat <<EOF\nnever closed\n")).toMatchObject({ status: 2, stderr: "mcsim shell: the here-document <<EOF is not closed: end it with a line holding only EOF\n" });
  });

  it("takes --step for the clock each kubectl command moves, and --at for where it starts", () => {
    expect(piped([MCS, "--step", "0", "--at", "20s"], "kubectl get pods\nmcsim time\n").stdout).toBe("20s\n");
    expect(piped([MCS, "--step", "2s"], "kubectl get ns -o name | wc -l\nmcsim time\n").stdout).toBe("5\n17s\n");
  });

  it("reads apply -f FILE from the working directory", () => {
    const file = script("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lab\n");
    const r = mcsim(["shell", MCS, "--script", script(`kubectl apply -f ${file}\nkubectl get cm lab -o name\n`)]);
    expect(r.stdout).toBe("configmap/lab created\nconfigmap/lab\n");
  });

  it("refuses bad input to mcsim itself with exit code 2 and a message", () => {
    const context = mcsim(["shell", MCS, "--context", "cluster-x", "--script", LAB]);
    expect(context.status).toBe(2);
    expect(context.stderr).toContain('--context "cluster-x": scenario mcs has no such cluster');
    const missing = mcsim(["shell", MCS, "--script", "nosuch.sh"]);
    expect(missing).toMatchObject({ status: 2, stderr: "mcsim: cannot read nosuch.sh: no such file\n" });
    expect(mcsim(["shell", MCS, "--step", "soon", "--script", LAB]).status).toBe(2);
    expect(mcsim(["shell", "nosuch.yaml", "--script", LAB]).status).toBe(2);
  });
});
